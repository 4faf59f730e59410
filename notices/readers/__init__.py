"""Readers turn bytes into ``NoticeRecord``s. They are pure: no database, settings or network.

``read(data, fmt=None, url=None, charset=None)`` picks the reader (``fmt`` or sniffed from the bytes) and
returns ``(fmt, records)``, or raises ``IngestError`` saying what is wrong; ``explain`` also returns the
reader's report per item (fi-web).
"""

from __future__ import annotations

from importlib import import_module

from notices.records import IngestError, NoticeRecord

FORMATS = {"eforms": "notices.readers.eforms", "fi-web": "notices.readers.fi_web", "ocds": "notices.readers.ocds"}


def reader(fmt: str):
    if fmt not in FORMATS:
        raise IngestError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return import_module(FORMATS[fmt])


def detect(data: bytes) -> str:
    """The format of ``data`` from its first bytes, or an IngestError that says what it looks like."""
    if not data or data.isspace():  # (strip() would copy the whole payload to find out)
        raise IngestError("the file is empty")
    for fmt in ("ocds", "eforms", "fi-web"):
        if reader(fmt).looks_like(data):
            return fmt
    head = data.lstrip()[:40]
    if head.startswith(b"<"):
        # Markup that is not a web page: the XML reader says precisely what is wrong with it
        # (malformed at line N, a DOCTYPE refused, not an eForms root).
        return "eforms"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"[")):
        # JSON that is not OCDS, or not readable: the OCDS reader says what is wrong with it (not UTF-8
        # at offset N, NaN is not JSON, a number too long, not an OCDS package).
        return "ocds"
    raise IngestError(f"not a notice format this tracker reads (eForms XML, OCDS JSON, HTML); it starts {head!r}")


def read(
    data: bytes, fmt: str | None = None, url: str | None = None, charset: str | None = None
) -> tuple[str, list[NoticeRecord]]:
    """``charset``: the HTTP response's, which the fi-web reader uses for a page that declares none."""
    fmt, records, _items = explain(data, fmt, url, charset)
    return fmt, records


def explain(
    data: bytes, fmt: str | None = None, url: str | None = None, charset: str | None = None
) -> tuple[str, list[NoticeRecord], list]:
    """``read``, and the reader's report on every item it considered where it makes one (fi-web's
    ``ItemReport``: taken or not, why, suspicious); [] for formats whose documents are the notices."""
    fmt = fmt or detect(data)
    module = reader(fmt)
    if hasattr(module, "explain"):
        reading = module.explain(data, url=url, charset=charset)
        return fmt, reading.records, reading.items
    return fmt, module.read(data, url=url), []
