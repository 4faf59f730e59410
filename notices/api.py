"""Public read API for notices and buyers (django-ninja router, mounted at /api/ in tracker/api.py)."""

from typing import Literal

from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from ninja import Router

from notices import pdf
from notices.models import Notice

router = Router(tags=["notices"])

_PDF = {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}


@router.get(
    "/notices/{notice_id}/summary.pdf",
    url_name="notice_summary_pdf",
    summary="PDF summary of a notice",
    description=(
        "The notice as a printable A4 PDF with labels in `lang` (fi, sv or en; default: the request's "
        "language). Rendered once per notice version, language and day and served from a cache; send the "
        "ETag back in If-None-Match to get 304 Not Modified."
    ),
    openapi_extra={
        "responses": {
            "200": {"description": "The PDF", **_PDF},
            "304": {"description": "Not modified: the ETag still matches"},
            "404": {"description": "No such notice"},
        }
    },
)
def notice_summary_pdf(request, notice_id: int, lang: Literal["fi", "sv", "en"] | None = None):
    notice = get_object_or_404(Notice, pk=notice_id)
    if lang is None:
        current = (get_language() or "").split("-")[0]
        lang = current if current in pdf.LANGUAGES else pdf.LANGUAGES[0]
    return pdf.summary_response(request, notice, lang)
