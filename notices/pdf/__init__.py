"""PDF summaries of notices: one A4 document a bidder can print, attach and trust.

The package: this module is the public entry (rendering through the caches); ``context`` builds what the
template shows (clipped, formatted), ``render`` runs WeasyPrint safely, ``cache`` keys and keeps results.

``render_summary(notice, lang) -> (filename, mimetype, bytes)`` is the public entry point (the reminder
mails attach exactly this). A summary is rendered with WeasyPrint from ``templates/pdf/summary.html``
and cached: once per notice version, language, template version and *time bucket* (see
``cache.cache_key``), in files under ``VAR_DIR/cache/pdf`` with a small process-level LRU in front. The
ETag served by the site and the API is derived from the same key, so ``If-None-Match`` answers 304
without rendering or reading the cache.

Why a time bucket: the summary shows the time left to each deadline as of rendering. The cached copy
says when it was rendered (page footer), and it is replaced when the Helsinki date changes or when one
of the notice's deadlines passes; once every deadline has passed the copy is kept until a new version
arrives, as nothing on it can go stale any more.

Safety: notice text is untrusted. The template escapes it (autoescape, never ``|safe``), and WeasyPrint
gets a URL fetcher that serves ``data:`` URLs and this app's own ``static/notices/pdf`` files only:
no network, no other ``file://``, so no attachments or images from notice content. Input sizes are
capped before rendering, and on the main thread a render is stopped after ``PDF_RENDER_TIMEOUT``
seconds (SIGALRM; other threads rely on the caps alone).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass

from django.utils import timezone
from django.utils.text import slugify

from notices.models import Notice
from notices.pdf.cache import MEMORY_CACHE_BYTES, FileCache, MemoryLRU, cache_key, etag_for
from notices.pdf.render import RenderTimeout, SummaryError, html_to_pdf, render_pdf
from notices.vocab import LANGUAGES

__all__ = [
    "MIMETYPE", "RenderTimeout", "Summary", "SummaryError", "check_language", "clear_memory_cache", "get_summary",
    "html_to_pdf", "preview_pdf", "render_pdf", "render_summary", "summary_etag", "summary_filename",
    "summary_response",
]

# WeasyPrint logs every render step at INFO; the project logs INFO. Keep its warnings and errors only.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

MIMETYPE = "application/pdf"


@dataclass(frozen=True)
class Summary:
    filename: str
    mimetype: str
    content: bytes
    etag: str  # quoted, ready for the ETag header


# --- public API -----------------------------------------------------------------------------------


def render_summary(
    notice: Notice | int, lang: str, *, now: dt.datetime | None = None
) -> tuple[str, str, bytes]:
    """The notice's PDF summary with labels in ``lang`` (fi, sv or en): ``(filename, mimetype, bytes)``.

    Served from the cache when this version was already rendered in this language today."""
    summary = get_summary(notice, lang, now=now)
    return summary.filename, summary.mimetype, summary.content


def get_summary(notice: Notice | int, lang: str, *, now: dt.datetime | None = None) -> Summary:
    lang = check_language(lang)
    notice = _notice(notice)
    now = now or timezone.now()
    key = cache_key(notice, lang, now)
    filename = summary_filename(notice, lang)
    content = _memory.get(key)
    if content is None:
        with _render_lock:  # WeasyPrint shares one FontConfiguration: one render at a time per process
            content = _memory.get(key) or _files.get(key)
            if content is None:
                with _files.lock(key):  # and one per key across processes on this host
                    content = _files.get(key)
                    if content is None:
                        content = render_pdf(notice, lang, now)
                        _files.put(key, content)
            _memory.put(key, content)
    return Summary(filename, MIMETYPE, content, etag_for(key))


def preview_pdf(notice: Notice, lang: str, *, now: dt.datetime | None = None) -> bytes:
    """A summary rendered now and kept nowhere (an officer's preview of a notice not yet published)."""
    with _render_lock:
        return render_pdf(notice, check_language(lang), now or timezone.now())


def summary_etag(notice: Notice, lang: str, *, now: dt.datetime | None = None) -> str:
    """The ETag the summary has now, without rendering or reading it."""
    return etag_for(cache_key(notice, check_language(lang), now or timezone.now()))


def summary_response(request, notice: Notice, lang: str):
    """The HTTP answer for the site and the API: 304 when the client has this one, else the PDF."""
    from django.http import HttpResponse
    from django.utils.cache import get_conditional_response

    lang = check_language(lang)
    etag = summary_etag(notice, lang)
    response = get_conditional_response(request, etag=etag)
    if response is None:
        try:
            summary = get_summary(notice, lang)
        except RenderTimeout:
            response = HttpResponse(
                "The summary took too long to render.\n", status=503, content_type="text/plain"
            )
            response["Retry-After"] = "60"
            return response
        response = HttpResponse(summary.content, content_type=MIMETYPE)
        response["Content-Disposition"] = f'inline; filename="{summary.filename}"'
        response["Content-Length"] = str(len(summary.content))
        etag = summary.etag
    response["ETag"] = etag
    # Revalidate every time: a new version or a new day gives a new ETag, a 304 costs nothing.
    response["Cache-Control"] = "no-cache"
    response["Content-Language"] = lang
    response["X-Content-Type-Options"] = "nosniff"
    return response


def check_language(lang: str | None) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"summaries are made in {', '.join(LANGUAGES)}, not {lang!r}")
    return lang


_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-"})


def summary_filename(notice: Notice, lang: str) -> str:
    """``koulujen-siivous-2028-2031-12-fi.pdf``: ASCII, a dash for an en or em dash (slugify drops them,
    which made "2028–2031" into "20282031")."""
    slug = slugify((notice.title or "").translate(_DASHES))[:60].strip("-") or "notice"
    return f"{slug}-{notice.pk}-{lang}.pdf"


def _notice(notice: Notice | int) -> Notice:
    if isinstance(notice, Notice):
        return notice
    try:
        return Notice.objects.get(pk=notice)
    except Notice.DoesNotExist:
        raise SummaryError(f"no notice with id {notice}") from None


def clear_memory_cache() -> None:
    _memory.clear()


_memory = MemoryLRU(MEMORY_CACHE_BYTES)
_files = FileCache()
_render_lock = threading.RLock()
