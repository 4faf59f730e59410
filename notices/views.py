"""Pages about notices."""

from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from notices import pdf
from notices.models import Notice


@require_safe
def notice_summary_pdf(request, pk: int):
    """GET /notices/<id>/summary.pdf?lang=fi|sv|en: the PDF summary (ETag; If-None-Match gives 304).
    Without ``lang`` the page language (cookie, Accept-Language, then LANGUAGE_CODE) is used."""
    notice = get_object_or_404(Notice, pk=pk)
    lang = request.GET.get("lang") or _page_language()
    if lang not in pdf.LANGUAGES:
        return HttpResponseBadRequest(f"lang must be one of {', '.join(pdf.LANGUAGES)}\n", content_type="text/plain")
    return pdf.summary_response(request, notice, lang)


def _page_language() -> str:
    lang = (get_language() or "").split("-")[0]
    return lang if lang in pdf.LANGUAGES else pdf.LANGUAGES[0]
