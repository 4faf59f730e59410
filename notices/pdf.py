"""PDF summaries of notices: one A4 document a bidder can print, attach and trust.

``render_summary(notice, lang) -> (filename, mimetype, bytes)`` is the public entry point (the reminder
mails attach exactly this). A summary is rendered with WeasyPrint from ``templates/pdf/summary.html``
and cached: once per notice version, language, template version and *time bucket* (see
``cache_key``), in files under ``VAR_DIR/cache/pdf`` with a small process-level LRU in front. The
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

import atexit
import datetime as dt
import fcntl
import gc
import hashlib
import logging
import os
import re
import signal
import tempfile
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from notices.forms import review_reasons
from notices.models import Deadline, Notice

# WeasyPrint logs every render step at INFO; the project logs INFO. Keep its warnings and errors only.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

MIMETYPE = "application/pdf"
LANGUAGES = ("fi", "sv", "en")
TEMPLATE = "pdf/summary.html"
HELSINKI = ZoneInfo("Europe/Helsinki")
STATIC_DIR = Path(__file__).resolve().parent / "static" / "notices" / "pdf"
# Raise when the context built here changes in a way the template hash cannot see.
FORMAT = "1"

# Caps on untrusted input, so no notice can make a render take long or a document absurdly large.
MAX_TITLE = 500
MAX_DESCRIPTION = 4_000
MAX_LOTS = 400
MAX_LOT_TITLE = 200
MAX_LOT_CPV = 4
MAX_DEADLINES = 600
MAX_LINKS = 30
MAX_URL = 300
MAX_CPV = 100
MAX_VERSIONS = 30
MAX_CHANGES_PER_VERSION = 20
MAX_LOTS_IN_LABEL = 12
MAX_FIELD = 300  # names, addresses, identifiers, phone numbers

MEMORY_CACHE_BYTES = 32 * 1024 * 1024

KIND_LABELS = {
    "tender": gettext_lazy("Tender deadline"),
    "participation": gettext_lazy("Requests to participate"),
    "questions": gettext_lazy("Questions deadline"),
    "opening": gettext_lazy("Opening of tenders"),
    "interest": gettext_lazy("Expressions of interest"),
}
KIND_ORDER = {k: i for i, k in enumerate(("questions", "interest", "participation", "tender", "opening"))}
FIELD_LABELS = {
    "title": gettext_lazy("title"),
    "titles": gettext_lazy("title"),
    "descriptions": gettext_lazy("description"),
    "cpv": gettext_lazy("CPV codes"),
    "all_cpv": gettext_lazy("CPV codes"),
    "links": gettext_lazy("procurement documents"),
    "estimated_value": gettext_lazy("estimated value"),
    "currency": gettext_lazy("estimated value"),
    "published_at": gettext_lazy("publication date"),
    "source_url": gettext_lazy("source"),
    "procedure_id": gettext_lazy("procedure identifier"),
    "notice_type": gettext_lazy("notice type"),
    "language": gettext_lazy("language"),
}
SCHEME_LABELS = {"FI-PRO": pgettext_lazy("identifier scheme", "Business ID")}
SOURCE_LABELS = {
    "eforms": "eForms (TED)",
    "fi-web": pgettext_lazy("source", "web page"),
    "ocds": "OCDS",
    "officer": pgettext_lazy("source", "published here"),
}


class SummaryError(Exception):
    """A summary could not be made; ``str()`` says why."""


class RenderTimeout(SummaryError):
    pass


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


def summary_filename(notice: Notice, lang: str) -> str:
    slug = slugify(notice.title or "")[:60].strip("-") or "notice"
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


# --- cache ----------------------------------------------------------------------------------------


def cache_key(notice: Notice, lang: str, now: dt.datetime) -> str:
    """Same key, same PDF: notice version, language, template version and time bucket."""
    parts = (
        FORMAT,
        template_version(),
        str(notice.pk),
        str(notice.current_version_id or 0),
        notice.updated_at.isoformat(),
        lang,
        time_bucket(notice, now),
    )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def etag_for(key: str) -> str:
    return f'"{key[:32]}"'


def time_bucket(notice: Notice, now: dt.datetime) -> str:
    """What "time left" depends on: today's Helsinki date and how many deadlines are still ahead.
    When none is, nothing on the page can go stale and the bucket stays "closed"."""
    ahead = Deadline.objects.filter(notice=notice, active=True, at__gt=now).count()
    if not ahead:
        return "closed"
    return f"{now.astimezone(HELSINKI).date().isoformat()}:{ahead}"


@cache
def template_version() -> str:
    """A hash of everything that shapes the document: template, stylesheet, translations, this file."""
    digest = hashlib.sha256()
    files = [
        *sorted((Path(settings.BASE_DIR) / "templates" / "pdf").rglob("*")),
        *sorted(STATIC_DIR.rglob("*")),
        *sorted(Path(settings.BASE_DIR).joinpath("locale").glob("*/LC_MESSAGES/django.mo")),
        Path(__file__),
    ]
    for path in files:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    import weasyprint

    digest.update(weasyprint.__version__.encode())
    return digest.hexdigest()[:16]


class _MemoryLRU:
    """Recently served PDFs by key, bounded in bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self.items: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: str, value: bytes) -> None:
        if len(value) > self.max_bytes // 4:
            return
        with self.lock:
            if key in self.items:
                return
            self.items[key] = value
            self.size += len(value)
            while self.size > self.max_bytes:
                _, dropped = self.items.popitem(last=False)
                self.size -= len(dropped)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.size = 0


class _FileCache:
    """Rendered PDFs as files named by key under ``PDF_CACHE_DIR`` (default ``VAR_DIR/cache/pdf``).

    Written atomically (temporary file + rename), so readers in other processes see a whole file or
    none. Files older than ``PDF_CACHE_MAX_AGE_DAYS`` are pruned now and then by the writers."""

    prune_every = 3600.0

    def __init__(self):
        self.last_prune = 0.0

    @property
    def root(self) -> Path:
        return Path(getattr(settings, "PDF_CACHE_DIR", None) or Path(settings.VAR_DIR) / "cache" / "pdf")

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.pdf"

    def get(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    def put(self, key: str, content: bytes) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pdf")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.maybe_prune()

    @contextmanager
    def lock(self, key: str):
        """An exclusive lock for this key among processes on this host (64 lock files, reused)."""
        locks = self.root / "locks"
        locks.mkdir(parents=True, exist_ok=True)
        with open(locks / f"{int(key[:4], 16) % 64:02d}.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def maybe_prune(self) -> None:
        if time.monotonic() - self.last_prune < self.prune_every:
            return
        self.last_prune = time.monotonic()
        days = float(getattr(settings, "PDF_CACHE_MAX_AGE_DAYS", 7))
        cutoff = time.time() - days * 86400
        for path in self.root.glob("??/*.pdf"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except FileNotFoundError:
                pass


_memory = _MemoryLRU(MEMORY_CACHE_BYTES)
_files = _FileCache()
_render_lock = threading.RLock()


# --- rendering ------------------------------------------------------------------------------------


def render_pdf(notice: Notice, lang: str, now: dt.datetime) -> bytes:
    """Render the summary now, bypassing the cache."""
    with translation.override(lang):
        html = render_to_string(TEMPLATE, summary_context(notice, lang, now))
    return html_to_pdf(html, well_formed=True)


def html_to_pdf(html: str, timeout: float | None = None, *, well_formed: bool = False) -> bytes:
    """HTML to PDF with the safe fetcher, the shared fonts and stylesheet, within ``timeout`` seconds.

    ``well_formed``: the markup is meant to be well-formed XML (our template's is), so try the XML
    parser first; markup it refuses goes through WeasyPrint's HTML parser as always."""
    if timeout is None:
        timeout = float(getattr(settings, "PDF_RENDER_TIMEOUT", 20))
    with _time_limit(timeout), _fewer_collections():
        root = _xml_root(html) if well_formed else None
        document = _html_class()(html, root, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=_fetcher())
        return document.write_pdf(stylesheets=[_stylesheet()], font_config=_font_config())


def _xml_root(markup: str):
    """The ``<html>`` element of well-formed markup, parsed by expat (C): 0.1 ms, where WeasyPrint's
    pure-Python HTML5 parser takes 3 ms for a summary. None when it is not well-formed (notice text can
    hold characters XML does not allow) or not plain HTML, so the caller parses it as HTML instead.
    Notice text is escaped, so it cannot add a DOCTYPE with entities or any other markup."""
    try:
        root = ElementTree.fromstring(markup)
    except ElementTree.ParseError:
        return None
    if root.tag != "html" or root.find("body") is None:
        return None
    return root


def _forget_fonts() -> None:
    # Drop the shared fonts while the interpreter still works: FontConfiguration.__del__ removes a
    # temporary folder and fails noisily once modules are torn down.
    _stylesheet.cache_clear()
    _font_config.cache_clear()


_gc_lock = threading.Lock()
_gc_depth = 0
_gc_saved: tuple[int, ...] = ()


@contextmanager
def _fewer_collections(threshold: int = 100_000):
    """Let the young generation grow while WeasyPrint builds its box tree. With the default threshold
    (700) the tree is promoted generation by generation and triggers about one full collection (over
    every object Django holds) every ten renders: 13 ms of GC a render on average and the slow tail.
    With this, about 4 ms. Nested and concurrent renders share one change, undone by the last out."""
    global _gc_depth, _gc_saved
    with _gc_lock:
        if _gc_depth == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(max(threshold, _gc_saved[0]), *_gc_saved[1:])
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0:
                gc.set_threshold(*_gc_saved)


@cache
def _font_config():
    # One per process: a FontConfiguration per render costs time and leaks about 0.2 MB each.
    from weasyprint.text.fonts import FontConfiguration

    atexit.register(_forget_fonts)
    return FontConfiguration()


@cache
def _stylesheet():
    from weasyprint import CSS

    return CSS(filename=str(STATIC_DIR / "summary.css"), url_fetcher=_fetcher(), font_config=_font_config())


@cache
def _html_class():
    """WeasyPrint's HTML with our trimmed user-agent stylesheet (static/notices/pdf/ua.css says why),
    which can also take a tree already parsed by ``_xml_root``."""
    import cssselect2
    from weasyprint import CSS, HTML

    ua = CSS(filename=str(STATIC_DIR / "ua.css"), url_fetcher=_fetcher())

    class SummaryHTML(HTML):
        def __init__(self, markup: str, root, *, base_url: str, url_fetcher):
            if root is None:
                super().__init__(string=markup, base_url=base_url, url_fetcher=url_fetcher)
                return
            # What HTML.__init__ sets after parsing (WeasyPrint 70.0; tests/pdf/test_summary.py checks
            # that both ways give the same PDF). No <base> to look for: our template has none.
            self.base_url = base_url
            self.url_fetcher = url_fetcher
            self.media_type = "print"
            self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
            self.etree_element = self.wrapper_element.etree_element

        def _ua_stylesheets(self, forms=False):
            return [ua]

    return SummaryHTML


@cache
def _fetcher():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves ``data:`` URLs and files inside ``static/notices/pdf``; refuses everything else, so a
        document can load nothing from the network or the rest of the file system."""

        def __init__(self):
            super().__init__(timeout=1, allowed_protocols=("data", "file"), allow_redirects=False)
            self.root = STATIC_DIR.resolve()

        def fetch(self, url, headers=None):
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                parts = urlsplit(url)
                if parts.netloc not in ("", "localhost"):
                    raise ValueError(f"refused to load {url[:200]}")
                path = Path(unquote(parts.path)).resolve()
                if path.is_relative_to(self.root) and path.is_file():
                    return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": _mime(path)})
            raise ValueError(f"refused to load {url[:200]}")

    return StaticOnlyFetcher()


def _mime(path: Path) -> str:
    return {".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml", ".ttf": "font/ttf"}.get(
        path.suffix, "application/octet-stream"
    )


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException so WeasyPrint's ``except Exception`` cannot swallow it."""


@contextmanager
def _time_limit(seconds: float):
    usable = (
        seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # never disturb someone else's alarm
    )
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise _Timeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    if previous is None:  # installed outside Python: the best we can restore is the default
        previous = signal.SIG_DFL
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Timeout:
        raise RenderTimeout(f"rendering took longer than {seconds:g} s") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- what the template shows ----------------------------------------------------------------------


def summary_context(notice: Notice, lang: str, now: dt.datetime) -> dict:
    """Everything the template shows, already clipped and formatted (call inside translation.override)."""
    language = notice.language or ""
    description = notice.descriptions.get(language) or next(iter(notice.descriptions.values()), "")
    other_title = notice.titles.get(lang) if lang != language else None
    if other_title and other_title.strip() == notice.title.strip():
        other_title = None
    lots = sorted(notice.lots.all()[: MAX_LOTS + 1], key=lambda lot: _natural(lot.lot_id))
    deadlines = list(notice.deadlines.filter(active=True)[: MAX_DEADLINES + 1])
    versions = list(notice.versions.defer("raw", "record").order_by("-number")[: MAX_VERSIONS + 1])
    lot_titles = {lot.lot_id: lot.title for lot in lots}
    current = notice.current_version
    return {
        "lang": lang,
        "notice": notice,
        "language": language,
        "title": _clip(notice.title, MAX_TITLE),
        "other_title": _clip(other_title, MAX_TITLE) if other_title else "",
        "description": _clip(description, MAX_DESCRIPTION),
        "description_clipped": len(description) > MAX_DESCRIPTION,
        "cancelled": notice.status == Notice.Status.CANCELLED,
        "version": current.number if current else None,
        "version_received": _local(current.received_at) if current else "",
        "published": _local(notice.published_at) if notice.published_at else "",
        "rendered": _local(now),
        "procedure_id": _clip(notice.procedure_id, MAX_FIELD),
        "buyers": [_buyer(b) for b in notice.buyers.prefetch_related("identifiers")],
        "contacts": [_contact(c) for c in notice.contacts.all()],
        "deadline_groups": _deadline_groups(deadlines[:MAX_DEADLINES], lot_titles, now),
        "deadlines_by_lot": any(d.lot for d in deadlines),
        "deadlines_clipped": len(deadlines) > MAX_DEADLINES,
        "lots": [_lot(lot) for lot in lots[:MAX_LOTS]],
        "lots_clipped": len(lots) > MAX_LOTS,
        "cpv": [_clip(c, 20) for c in (notice.all_cpv or notice.cpv)[:MAX_CPV]],
        "estimated_value": _money(notice.estimated_value, notice.currency),
        "links": _links(notice.links[:MAX_LINKS]),
        "source": {
            "name": SOURCE_LABELS.get(notice.source, notice.source),
            "url": _url(notice.source_url),
            "id": _clip(notice.source_id, MAX_URL),
        },
        "versions": [_version(v) for v in versions[:MAX_VERSIONS]],
        "versions_clipped": len(versions) > MAX_VERSIONS,
    }


def _clip(text: str | None, limit: int) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _one_line(text: str | None) -> str:
    """Line breaks as spaces, for text in a ``white-space: pre-line`` cell of the template: the cell's own
    line breaks separate its lines, the notice's must not add more (elsewhere they are plain spaces)."""
    return _LINE_BREAKS.sub(" ", text) if text else ""


_LINE_BREAKS = re.compile(r"\r\n|[\r\n]")


def _local(at: dt.datetime) -> str:
    """20.5.2016 16.00 in Helsinki time: the Finnish way, the same in every label language."""
    at = at.astimezone(HELSINKI)
    return f"{at.day}.{at.month}.{at.year} {at.hour:02d}.{at.minute:02d}"


def _utc(at: dt.datetime) -> str:
    at = at.astimezone(dt.UTC)
    return f"{at.day}.{at.month}.{at.year} {at.hour:02d}.{at.minute:02d} UTC"


def _time_left(at: dt.datetime, now: dt.datetime) -> str:
    seconds = int((at - now).total_seconds())
    if seconds <= 0:
        return _("passed")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest // 60}


def _deadline_groups(rows: list[Deadline], lot_titles: dict[str, str], now: dt.datetime) -> list[dict]:
    """Deadlines by lot (the whole procedure first, then lots in natural order), each lot's by kind.
    Lots whose deadlines are all the same are one group ("LOT-1, LOT-2, LOT-3"), as eForms notices
    often repeat one deadline for each of hundreds of lots."""
    rows = sorted(rows, key=lambda d: (d.lot != "", _natural(d.lot), KIND_ORDER.get(d.kind, 9), d.at))
    by_lot: dict[str, list[Deadline]] = {}
    for d in rows:
        by_lot.setdefault(d.lot, []).append(d)
    merged: dict[tuple, list[str]] = {}
    for lot, deadlines in by_lot.items():
        signature = (lot == "", tuple((d.kind, d.at, d.needs_review, tuple(d.review_reasons)) for d in deadlines))
        merged.setdefault(signature, []).append(lot)
    groups = []
    for lots in merged.values():
        deadlines = by_lot[lots[0]]
        label = ", ".join(_clip(lot, MAX_FIELD) for lot in lots[:MAX_LOTS_IN_LABEL])
        if len(lots) > MAX_LOTS_IN_LABEL:
            label += f" … (+{len(lots) - MAX_LOTS_IN_LABEL})"
        groups.append(
            {
                "lot": label,
                "lot_count": len(lots),
                "lot_title": _clip(lot_titles.get(lots[0], ""), 200) if len(lots) == 1 else "",
                "rows": [
                    {
                        "kind": KIND_LABELS.get(d.kind, d.kind),
                        "local": _local(d.at),
                        "utc": _utc(d.at),
                        "left": _time_left(d.at, now),
                        "passed": d.at <= now,
                        "needs_review": d.needs_review,
                        "review_reasons": "; ".join(review_reasons(d.review_reasons)),
                    }
                    for d in deadlines
                ],
            }
        )
    return groups


def _natural(lot_id: str) -> tuple:
    """LOT-2 before LOT-10."""
    digits = "".join(ch for ch in lot_id if ch.isdigit())
    return (lot_id.rstrip("0123456789"), int(digits[:18]) if digits else -1, lot_id)


def _buyer(buyer) -> dict:
    return {
        "name": _clip(_one_line(buyer.name), MAX_FIELD),
        "identifiers": [
            {
                "scheme": SCHEME_LABELS.get(i.scheme) or _one_line(i.scheme),
                "code": i.scheme,
                "value": _clip(_one_line(i.value), MAX_FIELD),
                "invalid": i.valid is False,
            }
            for i in buyer.identifiers.all()[:20]
        ],
    }


def _contact(c) -> dict:
    address = []
    if c.street:
        address.append(c.street)
    if c.po_box:
        address.append(_("P.O. Box %(number)s") % {"number": c.po_box})
    place = " ".join(p for p in (c.postal_code, c.city) if p)
    if place:
        address.append(place)
    if c.country and c.country != "FI":
        address.append(c.country)
    return {
        "address": _clip(", ".join(address), MAX_FIELD),
        "email": _clip(c.email, MAX_FIELD),
        "phone": _phone(c.phone, c.phone_e164, c.phone_valid),
        "fax": _phone(c.fax, c.fax_e164, c.fax_valid),
        "url": _url(c.url),
        "url_text": _clip(c.url, MAX_URL),
    }


def _phone(as_written: str, e164: str, valid: bool | None) -> dict | None:
    if not as_written and not e164:
        return None
    shown = as_written or e164
    return {
        "text": _clip(shown, MAX_FIELD),
        "e164": e164 if valid and e164 and e164 != shown.replace(" ", "") else "",
        "invalid": valid is False,
    }


def _lot(lot) -> dict:
    return {
        "id": _clip(lot.lot_id, MAX_FIELD),
        "title": _clip(lot.title, MAX_LOT_TITLE),
        "cpv": ", ".join(lot.cpv[:MAX_LOT_CPV]) + (" …" if len(lot.cpv) > MAX_LOT_CPV else ""),
        "value": _money(lot.estimated_value, ""),
    }


def _money(value, currency: str) -> str:
    if value is None:
        return ""
    return f"{number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)} {currency}".strip()


def _url(url: str | None) -> str:
    """A link target only for http(s): anything else is shown as text and never made clickable."""
    url = (url or "").strip()
    return url[:MAX_URL] if urlsplit(url).scheme.lower() in ("http", "https") else ""


def _links(links: list[str]) -> list[dict]:
    return [{"href": _url(link), "text": _clip(link, MAX_URL)} for link in links]


def _version(v) -> dict:
    changes = v.changes or {}
    lines: list[str] = []

    def where(c):
        kind = KIND_LABELS.get(c.get("kind"), c.get("kind") or "")
        lot = c.get("lot")
        return _("%(kind)s, lot %(lot)s") % {"kind": kind, "lot": lot} if lot else str(kind)

    def when(value):
        try:
            return _local(dt.datetime.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value or "")

    if changes.get("outcome") == "stale":
        lines.append(_("older than the version in force; kept for the record"))
    if changes.get("cancelled"):
        lines.append(_("the notice was cancelled"))
    for c in changes.get("moved", []):
        lines.append(
            _("moved: %(what)s from %(old)s to %(new)s")
            % {"what": where(c), "old": when(c.get("old")), "new": when(c.get("new"))}
        )
    for c in changes.get("added", []):
        if v.number > 1:
            lines.append(_("added: %(what)s %(new)s") % {"what": where(c), "new": when(c.get("new"))})
    for c in changes.get("removed", []):
        lines.append(_("removed: %(what)s (was %(old)s)") % {"what": where(c), "old": when(c.get("old"))})
    fields = list(dict.fromkeys(str(FIELD_LABELS.get(f, f)) for f in changes.get("fields", [])))
    if fields:
        lines.append(_("changed: %(fields)s") % {"fields": ", ".join(fields)})
    if v.number == 1 and not lines:
        lines.append(_("first version"))
    clipped = len(lines) > MAX_CHANGES_PER_VERSION
    lines = [_clip(_one_line(line), 400) for line in lines[:MAX_CHANGES_PER_VERSION]]
    if clipped:
        lines.append("…")
    return {
        "number": v.number,
        "received": _local(v.received_at),
        "issued": _local(v.issued_at) if v.issued_at else "",
        "ref": _clip(_one_line(v.source_ref), MAX_URL),
        "origin": _one_line(_url(v.origin)),
        "lines": lines,
    }
