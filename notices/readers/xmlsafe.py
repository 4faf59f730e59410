"""Parse untrusted XML bytes without letting them reach the file system, the network or the memory limit.

Notices arrive from the outside world, so every document is hostile until parsed: a DTD could pull in
``file:///etc/passwd`` (XXE) or expand a few hundred bytes into gigabytes (billion laughs). eForms never
needs a DTD, so a document with one is refused outright instead of being "safely" half-processed. Every
failure becomes an ``IngestError`` whose message says what is wrong and where (line and column).
"""

from __future__ import annotations

import re
import threading

from lxml import etree

from notices.records import IngestError

# No eForms notice comes near this; anything bigger is refused before libxml2 sees it.
MAX_BYTES = 64 * 1024 * 1024

DOCTYPE_REFUSED = "XML with a DOCTYPE or entity declarations is refused (possible XXE or entity bomb)"

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")
# Bytes that never occur in text (everything below 0x20 except tab, newline, carriage return).
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# lxml appends ", line N, column M" to its messages; the position is reported separately.
_POSITION_SUFFIX = re.compile(r",\s*line \d+, column \d+\s*$")

_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)")  # one pass over the bytes finds either

_local = threading.local()


def _parser() -> etree.XMLParser:
    """One parser per thread: lxml parsers are not thread-safe, but building one per call costs time."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            collect_ids=False,  # no xml:id look-ups are made, so no table of them is built
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        _local.parser = parser
    return parser


def _refuse_doctype(data: bytes, where: str | None) -> None:
    """Refuse DTDs before parsing. UTF-16/32 documents slip past this byte check but not the one after."""
    if _DECLARATION.search(data):
        raise IngestError(DOCTYPE_REFUSED, where)


def _refuse_non_xml(data: bytes, where: str | None) -> None:
    """Give binary junk and plain text a clearer message than libxml2's "Start tag expected"."""
    if data.startswith(_BOMS):
        return
    # The head is enough (an lstrip of everything would copy everything), unless it is all white space.
    stripped = data[:1024].lstrip(b" \t\r\n") or data.lstrip(b" \t\r\n")
    if stripped[:1] == b"<" or stripped[:2] == b"\x00<":  # UTF-16 without a BOM starts "<\x00" or "\x00<"
        return
    head = stripped[:512]
    if _CONTROL.search(head):
        raise IngestError("not XML: the file is binary data (it does not start with '<')", where)
    shown = head[:40].decode("utf-8", "replace").replace("\n", " ")
    raise IngestError(f"not XML: the file starts with {shown!r} instead of an XML element", where)


def _syntax_error(error: etree.XMLSyntaxError, where: str | None) -> IngestError:
    """Translate libxml2's message into one that names the problem and its line and column."""
    line, column = error.position if error.position else (error.lineno, None)
    place = f"line {line}, column {column}" if column else f"line {line}"
    message = _POSITION_SUFFIX.sub("", error.msg or "").strip() or "unknown error"
    code = error.code
    if code == etree.ErrorTypes.ERR_UNSUPPORTED_ENCODING:
        return IngestError(f"XML declares an encoding this reader does not know ({message}), {place}", where)
    if code in (etree.ErrorTypes.ERR_INVALID_ENCODING, etree.ErrorTypes.ERR_INVALID_CHAR):
        return IngestError(
            f"wrong encoding: the bytes at {place} are not valid in the encoding the XML declares "
            f"(UTF-8 when none is declared; often a Latin-1 file that claims UTF-8): {message}",
            where,
        )
    if code == etree.ErrorTypes.ERR_DOCUMENT_EMPTY:
        return IngestError(f"not XML: no root element found ({message}), {place}", where)
    return IngestError(f"malformed XML at {place}: {message}", where)


def parse(data: bytes, where: str | None = None) -> etree._Element:
    """The root element of ``data``, parsed with entities, DTDs and network access all switched off.

    ``where`` names the file or URL in error messages. Raises ``IngestError`` and nothing else.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise IngestError(f"expected bytes, got {type(data).__name__}", where)
    data = bytes(data)
    if not data or data.isspace():
        raise IngestError("empty file", where)
    if len(data) > MAX_BYTES:
        raise IngestError(f"file too large for a notice ({len(data)} bytes, limit {MAX_BYTES})", where)
    _refuse_doctype(data, where)
    _refuse_non_xml(data, where)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise _syntax_error(error, where) from None
    except (ValueError, TypeError, MemoryError, etree.LxmlError) as error:  # pragma: no cover - defensive
        raise IngestError(f"unreadable XML: {error}", where) from None
    if root is None:  # pragma: no cover - lxml raises instead, but recover modes could return None
        raise IngestError("not XML: no root element found", where)
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise IngestError(DOCTYPE_REFUSED, where)
    return root
