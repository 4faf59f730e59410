"""Rendering a summary with WeasyPrint: safely, quickly, within a time limit.

WeasyPrint gets a URL fetcher that serves ``data:`` URLs and this app's own ``static/notices/pdf`` files
only: no network, no other ``file://``, so no attachments or images from notice content. On the main
thread a render is stopped after ``PDF_RENDER_TIMEOUT`` seconds (SIGALRM; other threads rely on the caps
of ``context``).
"""

from __future__ import annotations

import atexit
import datetime as dt
import gc
import signal
import threading
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from notices.models import Notice
from notices.pdf.context import summary_context

TEMPLATE = "pdf/summary.html"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "notices" / "pdf"


class SummaryError(Exception):
    """A summary could not be made; ``str()`` says why."""


class RenderTimeout(SummaryError):
    pass


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
        timeout = float(settings.PDF_RENDER_TIMEOUT)
    with _time_limit(timeout), _fewer_collections():
        root = xml_root(html) if well_formed else None
        document = _html_class()(html, root, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=fetcher())
        return document.write_pdf(stylesheets=[_stylesheet()], font_config=_font_config())


def xml_root(markup: str):
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

    return CSS(filename=str(STATIC_DIR / "summary.css"), url_fetcher=fetcher(), font_config=_font_config())


@cache
def _html_class():
    """WeasyPrint's HTML with our trimmed user-agent stylesheet (static/notices/pdf/ua.css says why),
    which can also take a tree already parsed by ``_xml_root``."""
    import cssselect2
    from weasyprint import CSS, HTML

    ua = CSS(filename=str(STATIC_DIR / "ua.css"), url_fetcher=fetcher())

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
def fetcher():
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


