"""Read national procurement notices that Finnish buyers publish among the news on their own web pages.

A regional council's Joomla front page, a water utility's "Aktuellt" page, a town's "Avoimet hankinnat"
page: the notice is one item among others, written as prose in Finnish or Swedish. This reader finds the
items, keeps the ones that ask for tenders, and reads each into a ``NoticeRecord``. Pure: bytes (the URL
they came from, the HTTP charset) in, records out, or an ``IngestError`` a person understands. No
network, no database. ``explain`` also says, per item, whether it was taken and why.

Decisions:

* The encoding declared by the page is honoured (BOM, ``<meta charset>``, ``http-equiv``, XML
  declaration); then the HTTP header's charset when the caller passes it. ISO-8859-1 and ASCII are read
  as windows-1252, as browsers do. Without either, UTF-8 is tried and windows-1252 is the fallback. A few
  undecodable bytes become U+FFFD; many mean the declaration is wrong and the page is refused.
* Items are found by structure and content, not by class names: the site's chrome (``nav``, page
  ``header``/``footer``/``aside``) goes; heads are ``h1``-``h6``, Joomla's ``contentheading``, a bold
  lead alone on its line, a linked title that starts each entry of a list, a definition list's term and
  a list table's row (its other cells read as "Header: value"). Each head owns the largest element around
  it that holds no other head of its rank, and what follows it up to the next such head. A section whose
  parts are notices is split into them (a page heading "Avoimet hankinnat" over notices); a notice with
  parts ("Lisätietoja") stays whole. An item's title is its own heading, never the page's.
* An item is a notice when it asks for tenders or requests to participate: it sets a tender or
  participation deadline ("viimeistään", "mennessä", "senast", "Sista anbudsdag", a "Tarjousaika" period)
  in words about tenders, not in the past tense and not before it was published; or its own heading is a
  notice's ("Tarjouspyyntö: ...", "Anbudsförfrågan – ...") and it names a buyer or sets a deadline. A
  heading that reports a decision, a cancellation or a ruling is not a notice. News that only mentions
  procurement is not. Items that look like procurement but are not taken are reported as suspicious.
* ``source_id`` is the item's own link (on or around its heading) resolved against the page URL; an item
  without one is ``page URL#slug-of-its-heading``. Deadlines and body text can change without changing
  identity. Where the first reader (``fi_web_v1``) identified the item otherwise, that id is an alias.
* Deadlines are read by ``notices.readers.text`` (Helsinki time, fixed offsets, flags for a person).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import copy
import datetime as dt
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree

from notices.readers import fi_web_v1
from notices.readers import text as ft
from notices.readers.ids import identify, language_alpha2, phone
from notices.records import Address, BuyerRecord, DeadlineRecord, IngestError, NoticeRecord

SOURCE = "fi-web"
NOTICE_TYPE = "national"
COUNTRY = "FI"
DEFAULT_LANGUAGE = "fi"

MAX_BYTES = 16 * 1024 * 1024  # a news page; anything bigger is not one
MAX_BAD_BYTES = 16  # undecodable sequences tolerated (replaced by U+FFFD) before the page is refused
_PRESCAN = 4096  # bytes searched for an encoding declaration (browsers look at the first 1024)

# ---------------------------------------------------------------------------------------------------------
# Bytes to text
# ---------------------------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*(?P<label>[A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml\b[^>]*?encoding\s*=\s*["'](?P<label>[A-Za-z0-9_.:-]+)["']""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml\b[^>]*>")
# The labels browsers read as windows-1252 (WHATWG Encoding Standard).
_WINDOWS_1252_NAMES = {"ascii", "latin-1", "iso8859-1", "cp1252"}
# Python codecs no web page is written in (some cannot even replace bad bytes); UTF-7 is an XSS vector.
_NOT_WEB_ENCODINGS = {
    "idna",
    "punycode",
    "unicode-escape",
    "raw-unicode-escape",
    "undefined",
    "utf-7",
    "charmap",
}
# Characters libxml2 refuses in text (C0 controls other than tab, newline, carriage return).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_HTML_TAG = re.compile(
    r"<(?:!doctype\s+html|html|head|body|main|article|section|div|p|h[1-6]|table|ul|span|a)(?=[\s>/])", re.I
)
_LOOKS_LIKE = re.compile(rb"<!doctype\s+html|<html[\s>]", re.I)


def _codec(label: bytes) -> str | None:
    """The Python codec for a declared encoding label; None when it names no usable text encoding."""
    try:
        info = codecs.lookup(label.decode("ascii").strip())
    except (LookupError, UnicodeDecodeError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_WEB_ENCODINGS:
        return None
    if info.name.startswith(("utf-16", "utf-32")):
        return "utf-8"  # a <meta> cannot declare UTF-16: the bytes it is written in are ASCII-compatible
    if info.name in _WINDOWS_1252_NAMES:
        return "cp1252"
    return info.name


def declared_encoding(data: bytes) -> str | None:
    """The encoding the page declares: BOM, then ``<meta charset>``/``http-equiv``, then XML declaration."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    head = data[:_PRESCAN]
    for pattern in (_META_CHARSET, _XML_ENCODING):
        if (m := pattern.search(head)) and (codec := _codec(m.group("label"))):
            return codec
    return None


def _decode_counting(data: bytes, encoding: str) -> tuple[str, int, int | None]:
    """Text with undecodable sequences replaced, how many there were, and where the first one is."""
    try:
        return data.decode(encoding), 0, None
    except UnicodeDecodeError as error:
        first: int | None = error.start
    except UnicodeError:
        first = None
    try:
        text = data.decode(encoding, errors="replace")
        genuine = data.decode(encoding, errors="ignore").count("\ufffd")  # U+FFFD written in the page itself
    except UnicodeError as error:
        raise IngestError(f"the page cannot be decoded as {encoding}: {error}") from None
    return text, max(1, text.count("\ufffd") - genuine), first


def decode(data: bytes, charset: str | None = None) -> str:
    """The page's text, decoded as it declares, else as ``charset`` (the HTTP header's) says (see the
    module docstring for the rules)."""
    encoding = declared_encoding(data)
    if encoding is None and charset:
        encoding = _codec(charset.strip().strip("\"'").encode("ascii", errors="ignore"))
    if encoding is None:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "cp1252"
    if encoding == "cp1252":
        # Five byte values are unassigned in windows-1252; they are never letters, so replacing is safe.
        return data.decode("cp1252", errors="replace")
    text, bad, first = _decode_counting(data, encoding)
    if bad > MAX_BAD_BYTES:
        where = f" (the first at byte {first})" if first is not None else ""
        raise IngestError(
            f"the page says it is {encoding} but {bad} byte sequences are not valid {encoding}{where}; "
            "it is probably in another encoding"
        )
    return text.removeprefix("\ufeff")


def looks_like(data: bytes) -> bool:
    """Whether the bytes start like an HTML page (a doctype or an ``<html>`` tag near the start)."""
    head = data[:_PRESCAN]
    for bom, name in _BOMS:
        if head.startswith(bom) and name.startswith(("utf-16", "utf-32")):
            head = head.decode(name, errors="ignore").encode("ascii", errors="ignore")
            break
    return bool(_LOOKS_LIKE.search(head))


def _parser() -> lxml.html.HTMLParser:
    return lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True, recover=True)


def parse(data: bytes, charset: str | None = None) -> lxml.html.HtmlElement:
    """The page as an lxml tree; ``IngestError`` for anything that is not an HTML page. ``charset``: the
    HTTP header's, for a page that declares none."""
    if not data or not data.strip():
        raise IngestError("the page is empty")
    if len(data) > MAX_BYTES:
        raise IngestError(f"the page is {len(data)} bytes; a news page is never over {MAX_BYTES}")
    text = decode(data, charset)
    if text.count("\x00") > len(text) // 100:
        raise IngestError("this is binary data, not an HTML page")
    text = _CONTROL.sub("", _XML_DECLARATION.sub("", text, count=1))
    if not _HTML_TAG.search(text):
        raise IngestError("this is not an HTML page: it has no HTML elements")
    try:
        root = lxml.html.document_fromstring(text, parser=_parser())
    except (etree.LxmlError, ValueError) as error:
        raise IngestError(f"the HTML cannot be parsed: {error}") from None
    if root is None:
        raise IngestError("the HTML cannot be parsed: it has no content")
    return root


# ---------------------------------------------------------------------------------------------------------
# Tree to text
# ---------------------------------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    "address article aside blockquote br caption dd div dl dt figcaption figure footer form h1 h2 h3 h4 h5 "
    "h6 header hr li main nav ol p pre section table tbody td tfoot th thead tr ul".split()
)
_HIDDEN_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "svg")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_SPACES = re.compile(r"[^\S\n]+")


def _tag(node: object) -> str | None:
    tag = getattr(node, "tag", None)
    return tag.lower() if isinstance(tag, str) else None


def one_line(value: str | None) -> str:
    """Whitespace collapsed to single spaces (non-breaking spaces included)."""
    return " ".join((value or "").split())


def text_of(element: lxml.html.HtmlElement) -> str:
    """The visible text of an element, one line per block (``<p>``, ``<br>``, ``<li>`` ...).

    Walks the tree without recursion: fuzzed or hostile pages can nest deeper than Python's stack.
    """
    parts: list[str] = []
    for event, node in etree.iterwalk(element, events=("start", "end")):
        tag = _tag(node)
        if event == "start":
            if tag in _BLOCK_TAGS:
                parts.append("\n")
            if tag is not None and node.text:
                parts.append(node.text)
        else:
            if tag in _BLOCK_TAGS:
                parts.append("\n")
            if node is not element and node.tail:
                parts.append(node.tail)
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _drop(element: lxml.html.HtmlElement) -> None:
    """Remove an element but keep the text that follows it."""
    if element.getparent() is not None:
        element.drop_tree()


# ---------------------------------------------------------------------------------------------------------
# The page as the reader sees it: chrome gone, tables and definition lists as lines, headings marked
# ---------------------------------------------------------------------------------------------------------

_LEVEL = "data-fw-level"  # set on every element that heads an item or part of one (1 = h1 ... 7 = a weak head)
_WEAK = 7  # bold leads, linked titles in lists, definition terms, table rows: below every h1-h6
_CONTAINERS = frozenset({"article", "section", "main"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "complementary"})
_FORM_TAGS = ("form", "button", "select", "input", "textarea", "label")
# Text for screen readers only ("Siirry sisältöön", the title repeated inside "Lue lisää").
_SCREEN_READER_CLASSES = frozenset(
    {"visually-hidden", "element-invisible", "sr-only", "screen-reader-text", "hide-accessible", "skip-link"}
)
_BOLD = ("strong", "b")
_LEAD_PARENTS = frozenset({"p", "div", "td", "th", "li", "dd", "span", "font", "center"})
_BLOCK_LEVEL = frozenset(_BLOCK_TAGS - {"br"})


def _classes(element: lxml.html.HtmlElement) -> set[str]:
    return set((element.get("class") or "").split())


def _page_chrome(element: lxml.html.HtmlElement) -> bool:
    """Navigation, banners, footers and sidebars of the site, not of an item."""
    tag = _tag(element)
    if tag == "nav" or (element.get("role") or "").lower() in _CHROME_ROLES:
        return True
    if tag in ("header", "footer", "aside"):
        return not any(_tag(a) in _CONTAINERS for a in element.iterancestors())
    return False


def _invisible(element: lxml.html.HtmlElement) -> bool:
    if element.get("hidden") is not None or (element.get("aria-hidden") or "").lower() == "true":
        return True
    style = (element.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style or bool(_SCREEN_READER_CLASSES & _classes(element))


def _direct_rows(table: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    rows = []
    for child in table:
        if _tag(child) == "tr":
            rows.append(child)
        elif _tag(child) in ("thead", "tbody", "tfoot"):
            rows.extend(r for r in child if _tag(r) == "tr")
    return rows


def _cells(row: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    return [c for c in row if _tag(c) in ("td", "th")]


def _wholly_bold(cell: lxml.html.HtmlElement) -> bool:
    text = one_line(cell.text_content())
    bold = one_line(" ".join(b.text_content() for b in cell.iter(*_BOLD)))
    return bool(text) and text == bold


def _header_row(rows: list[lxml.html.HtmlElement]) -> bool:
    first = rows[0]
    cells = _cells(first)
    if len(cells) < 2 or not all(one_line(c.text_content()) for c in cells):
        return False
    if _tag(first.getparent()) == "thead":
        return True
    return all(_tag(c) == "th" for c in cells) or all(_wholly_bold(c) for c in cells)


def _table_kind(table: lxml.html.HtmlElement) -> str:
    """"list": a header row and one row per item; "facts": label and value per row; else "layout"."""
    if any({"contentheading", "componentheading"} & _classes(e) for e in table.iter() if _tag(e)):
        return "layout"
    rows = _direct_rows(table)
    if len(rows) < 2:
        return "layout"
    widths = [len(_cells(r)) for r in rows]
    if _header_row(rows) and widths[0] >= 2 and all(w == widths[0] for w in widths[1:]):
        return "list"
    if all(w == 2 for w in widths):
        labels = [_cells(r)[0] for r in rows]
        if all(
            _tag(c) == "th" or (0 < len(one_line(c.text_content())) <= 40 and not re.search(r"\d", c.text_content()))
            for c in labels
        ):
            return "facts"
    return "layout"


def _copy_children(source: lxml.html.HtmlElement, target: lxml.html.HtmlElement) -> None:
    """The content of ``source`` (text, elements, their tails) appended to ``target``."""
    if source.text:
        if len(target):
            target[-1].tail = (target[-1].tail or "") + source.text
        else:
            target.text = (target.text or "") + source.text
    for child in source:
        if not isinstance(child.tag, str):
            continue
        target.append(copy.deepcopy(child))


def _line(label: str, value: lxml.html.HtmlElement | None, tag: str = "p") -> lxml.html.HtmlElement:
    line = lxml.html.Element(tag)
    line.text = f"{label}: " if label else ""
    if value is not None:
        _copy_children(value, line)
    return line


def _title_cell(cells: list[lxml.html.HtmlElement]) -> int:
    """Which cell of a row names the item: the first with words that is not a date or a bare link."""
    for index, cell in enumerate(cells):
        text = one_line(cell.text_content())
        if re.search(r"[^\W\d_]{3}", text) and not ft.find_instants(text) and not (
            cell.find(".//a") is not None and one_line(cell.find(".//a").text_content()) == text
        ):
            return index
    return 0


def _replace(old: lxml.html.HtmlElement, new: list[lxml.html.HtmlElement]) -> None:
    parent = old.getparent()
    if parent is None:
        return
    for element in new:
        old.addprevious(element)
    tail = old.tail
    parent.remove(old)
    if tail and new:
        new[-1].tail = (new[-1].tail or "") + tail


def _normalize_table(table: lxml.html.HtmlElement) -> None:
    """A list table becomes one block per row, headed by its title cell, the other cells as "Header: value"
    (so "27.2.2026 klo 12" under "Tarjousten jättöaika" is a tender deadline); a table of facts becomes
    "Label: value" lines. Layout tables stay."""
    kind = _table_kind(table)
    rows = _direct_rows(table)
    if kind == "list":
        headers = [one_line(c.text_content()) for c in _cells(rows[0])]
        blocks = []
        for row in rows[1:]:
            cells = _cells(row)
            if not any(one_line(c.text_content()) for c in cells):
                continue
            title = _title_cell(cells)
            block = lxml.html.Element("div")
            head = _line("", cells[title])
            head.set(_LEVEL, str(_WEAK))
            block.append(head)
            for index, cell in enumerate(cells):
                if index != title and one_line(cell.text_content()):
                    block.append(_line(headers[index] if index < len(headers) else "", cell))
            blocks.append(block)
        _replace(table, blocks)
    elif kind == "facts":
        _replace(table, [_line(one_line(_cells(r)[0].text_content()), _cells(r)[1]) for r in rows])


def _normalize_dl(dl: lxml.html.HtmlElement) -> None:
    """A definition list of items (long descriptions) keeps its terms as heads; one of facts ("Y-tunnus",
    "1827772-9") becomes "Label: value" lines."""
    terms = [c for c in dl if _tag(c) == "dt"]
    descriptions = [c for c in dl if _tag(c) == "dd"]
    if not terms or not descriptions:
        return
    long = [d for d in descriptions if len(one_line(d.text_content())) > 120 or d.find(".//p") is not None]
    if len(long) * 2 >= len(descriptions):
        for term in terms:
            text = one_line(term.text_content())
            if re.search(r"[^\W\d_]{3}", text) and not (ft.find_instants(text) and len(text) < 30):
                term.set(_LEVEL, str(_WEAK))  # a term that is a date ("9.2.2026") names no item
        return
    lines = []
    label = ""
    for child in dl:
        if _tag(child) == "dt":
            label = one_line(child.text_content())
        elif _tag(child) == "dd":
            lines.append(_line(label, child))
    _replace(dl, lines)


def _bold_lead(element: lxml.html.HtmlElement) -> bool:
    """``<p><strong>Tarjouspyyntö – Vesijohtojen saneeraus</strong><br>...``: bold words alone on the first
    line of a block. Not a bold sentence inside a notice ("<strong>Tarjoukset 20.5. klo 12 mennessä</strong>")
    nor a label ("<b>Lisätietoja:</b>")."""
    parent = element.getparent()
    if parent is None or _tag(parent) not in _LEAD_PARENTS or (parent.text or "").strip():
        return False
    for before in element.itersiblings(preceding=True):
        if one_line(before.text_content()) or (before.tail or "").strip() or _tag(before) == "br":
            return False
    if (element.tail or "").strip():
        return False
    after = element.getnext()
    if after is not None and _tag(after) != "br":
        return False
    text = one_line(element.text_content())
    if not 3 <= len(text) <= 200 or not re.search(r"[^\W\d_]{3}", text) or text[-1] in ".:;,":
        return False
    # A deadline in bold is emphasis, not a heading.
    return not (ft.find_instants(text) and ft.deadline_kind(text))


def _whole_block(anchor: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """The block an anchor fills on its own (a title link), if it does."""
    text = one_line(anchor.text_content())
    block = anchor.getparent()
    while block is not None and _tag(block) not in _BLOCK_LEVEL:
        block = block.getparent()
    if block is None or one_line(block.text_content()) != text:
        return None
    return block


def _title_links(root: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """Linked titles of list entries without headings (Drupal's views fields): a link alone in its block,
    first in an entry that has more text, among sibling entries that start the same way."""
    candidates = []
    for anchor in root.iter("a"):
        text = one_line(anchor.text_content())
        if not anchor.get("href") or len(text.split()) < 2 or len(text) > 200:
            continue
        if any(a.get(_LEVEL) for a in anchor.iterancestors()):
            continue
        if (block := _whole_block(anchor)) is not None:
            candidates.append((anchor, block, text))
    others = {anchor for anchor, _, _ in candidates}
    entries = {}
    for anchor, block, text in candidates:
        entry = block
        while (parent := entry.getparent()) is not None and one_line(parent.text_content()).startswith(text):
            if any(a in others and a is not anchor for a in parent.iter("a")):
                break
            entry = parent
        if len(one_line(entry.text_content())) >= len(text) + 20:
            entries[entry] = anchor
    return [
        anchor
        for entry, anchor in entries.items()
        if any(s in entries for s in entry.itersiblings()) or any(s in entries for s in entry.itersiblings(preceding=True))
    ]


def _marker_lead(block: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """``<p>Tarjouspyyntö: Lumityöt 2026<br>...``: a notice's heading written as the plain first line of a
    block. The line is wrapped in a ``span`` so that it can head the item."""
    line = [block.text or ""]
    children = []
    for child in block:
        if _tag(child) == "br" or _tag(child) in _BLOCK_LEVEL:
            break
        children.append(child)
        line.append(child.text_content() + (child.tail or ""))
    first = one_line("".join(line))
    prefix = _TITLE_PREFIX.match(first)
    if not prefix or len(first[prefix.end() :]) < 3 or len(first) > 200:
        return None
    rest = one_line(text_of(block))[len(first) :]
    if not rest and len(first) > 120:
        return None  # a whole paragraph of prose that happens to start with the marker
    if len(children) < len(block) and _tag(block[len(children)]) in _BLOCK_LEVEL:
        return None
    span = lxml.html.Element("span")
    span.text = block.text
    block.text = None
    for child in children:
        span.append(child)  # moves it, with its tail
    block.insert(0, span)
    return span


def _mark_heads(root: lxml.html.HtmlElement) -> None:
    for element in root.iter():
        tag = _tag(element)
        if tag is None or element.get(_LEVEL) or not one_line(element.text_content()):
            continue
        classes = _classes(element)
        if tag in _HEADINGS:
            element.set(_LEVEL, tag[1])
        elif "componentheading" in classes:
            element.set(_LEVEL, "1")
        elif "contentheading" in classes:
            element.set(_LEVEL, "2")
    for element in list(root.iter(*_BOLD)):
        if not any(a.get(_LEVEL) for a in element.iterancestors()) and _bold_lead(element):
            element.set(_LEVEL, str(_WEAK))
    for block in list(root.iter("p", "div", "li", "td", "dd")):
        if block.get(_LEVEL) or any(a.get(_LEVEL) for a in block.iterancestors()):
            continue
        if not any(d.get(_LEVEL) for d in block.iterdescendants() if _tag(d)):
            if (span := _marker_lead(block)) is not None:
                span.set(_LEVEL, str(_WEAK))
    for anchor in _title_links(root):
        anchor.set(_LEVEL, str(_WEAK))


def normalize(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The part of the page that holds items (``<main>`` when there is one), prepared in place: e-mail
    cloaking revealed, scripts, forms, hidden text and the site's chrome removed, list tables and
    definition lists turned into items and "Label: value" lines, and every head marked with its level."""
    _reveal_cloaked_emails(root)
    for element in list(root.iter()):
        if _tag(element) is None:
            continue
        if element.get(_LEVEL) is not None:
            del element.attrib[_LEVEL]  # the page's own attribute of that name means nothing here
        if (
            _tag(element) in _HIDDEN_TAGS
            or _tag(element) in _FORM_TAGS
            or _invisible(element)
            or _page_chrome(element)
        ):
            _drop(element)
    for table in reversed(list(root.iter("table"))):
        _normalize_table(table)
    for dl in reversed(list(root.iter("dl"))):
        _normalize_dl(dl)
    body = root.find(".//body")
    content = body if body is not None else root
    main = next((e for e in content.iter("main") if one_line(e.text_content())), None)
    if main is None:
        main = next((e for e in content.iter() if _tag(e) and (e.get("role") or "").lower() == "main"), None)
    content = main if main is not None else content
    _mark_heads(content)
    return content


# ---------------------------------------------------------------------------------------------------------
# Finding the items: sections under heads, split where the parts are notices of their own
# ---------------------------------------------------------------------------------------------------------


class _Doc:
    """The content as a line of text pieces, each at the position of the tree event it belongs to, so that
    any stretch of the page between two positions has a text and a set of elements."""

    def __init__(self, content: lxml.html.HtmlElement):
        self.pieces: list[tuple[int, str]] = []
        self.span: dict[lxml.html.HtmlElement, tuple[int, int]] = {}
        self.elements: list[tuple[int, lxml.html.HtmlElement]] = []
        starts: dict[lxml.html.HtmlElement, int] = {}
        position = 0
        for event, node in etree.iterwalk(content, events=("start", "end")):
            tag = _tag(node)
            if event == "start":
                starts[node] = position
                self.elements.append((position, node))
                if tag in _BLOCK_TAGS:
                    self.pieces.append((position, "\n"))
                if tag is not None and node.text:
                    self.pieces.append((position, node.text))
            else:
                self.span[node] = (starts[node], position)
                if tag in _BLOCK_TAGS:
                    self.pieces.append((position, "\n"))
                if node is not content and node.tail:
                    self.pieces.append((position, node.tail))
            position += 1
        self.end = position
        self.piece_positions = [position for position, _ in self.pieces]
        self.element_positions = [position for position, _ in self.elements]

    def text(self, start: int, stop: int, skip: tuple[int, int] | None = None) -> str:
        """The text between two positions, one line per block; ``skip`` leaves out a span (a head)."""
        first, last = bisect_left(self.piece_positions, start), bisect_left(self.piece_positions, stop)
        parts = [
            text for position, text in self.pieces[first:last] if not (skip and skip[0] <= position < skip[1])
        ]
        lines = (_SPACES.sub(" ", line).strip() for line in "".join(parts).split("\n"))
        return "\n".join(line for line in lines if line)

    def within(self, start: int, stop: int, *tags: str) -> list[lxml.html.HtmlElement]:
        first, last = bisect_left(self.element_positions, start), bisect_left(self.element_positions, stop)
        return [e for _, e in self.elements[first:last] if not tags or _tag(e) in tags]


@dataclass
class _Section:
    head: lxml.html.HtmlElement | None  # None for the whole content
    level: int
    heading: str
    start: int  # where the section begins (its head's owner)
    stop: int  # where its own text ends (the next head)
    end: int  # where it ends with its parts
    kids: list[_Section]
    signals: dict[bool, _Signals] = field(default_factory=dict)  # by whether the list it is in is about tenders


def _owner(head: lxml.html.HtmlElement, level: int, content, at_or_above: list[int], doc: _Doc):
    """The largest element around a head that holds no other head of its level or above: the item (an
    ``<article>``, a Joomla heading table, a table row), or the head itself among its siblings.
    ``at_or_above``: the positions of the heads of this level or above, in order."""
    owner = head
    for _ in range(64):
        parent = owner.getparent()
        if parent is None or parent is content or parent not in doc.span:
            break
        start, end = doc.span[parent]
        if bisect_left(at_or_above, end) - bisect_left(at_or_above, start) > 1:  # the head itself is one
            break
        owner = parent
    return owner


def _sections(content: lxml.html.HtmlElement, doc: _Doc) -> _Section:
    """The tree of sections: each head's section starts where its owner does and ends at the next head of
    its level or above (or where its owner's parent ends); a head of a lower level within it is a part."""
    heads = [
        (doc.span[e][0], e, int(e.get(_LEVEL)))
        for _, e in doc.elements
        if _tag(e) and e.get(_LEVEL) and one_line(e.text_content())
    ][:10000]
    at_or_above = {
        level: [position for position, _, lv in heads if lv <= level] for level in {lv for _, _, lv in heads}
    }
    found = []
    for _, head, level in heads:
        owner = _owner(head, level, content, at_or_above[level], doc)
        parent = owner.getparent()
        bound = doc.span[parent][1] if parent is not None and parent in doc.span else doc.end
        found.append((doc.span[owner][0], bound, head, level))
    found.sort(key=lambda f: f[0])
    # For each section, the next one of its level or above.
    following = [len(found)] * len(found)
    waiting: list[int] = []
    for index in reversed(range(len(found))):
        while waiting and found[waiting[-1]][3] > found[index][3]:
            waiting.pop()
        following[index] = waiting[-1] if waiting else len(found)
        waiting.append(index)
    root = _Section(None, 0, "", 0, found[0][0] if found else doc.end, doc.end, [])
    stack = [root]
    for index, (start, bound, head, level) in enumerate(found):
        stop = found[index + 1][0] if index + 1 < len(found) else doc.end
        end = found[following[index]][0] if following[index] < len(found) else doc.end
        section = _Section(head, level, one_line(head.text_content()), start, min(stop, bound), min(end, bound), [])
        while len(stack) > 1 and (stack[-1].level >= level or start >= stack[-1].end):
            stack.pop()
        stack[-1].kids.append(section)
        stack.append(section)
    return root


# What a heading says the item is.
_MARKER_WORD = (
    r"(?:kansallinen\s+|nationell\s+|EU-?\s*)?"
    r"(?:hankintailmoitus|tarjouspyyntö|tarjouskilpailu|kilpailutus|osallistumispyyntö|ennakkoilmoitus|hankinta"
    r"|upphandlingsannons|upphandling|anbudsförfrågan|anbudsinbjudan|anbudsbegäran|konkurrensutsättning"
    r"|procurement\s+notice|contract\s+notice|call\s+for\s+tenders)"
)
_MARKER = rf"{_MARKER_WORD}(?:\s*/\s*{_MARKER_WORD})?"  # "Tarjouspyyntö / Anbudsförfrågan: ..."
_TITLE_PREFIX = re.compile(rf"^\s*{_MARKER}\s*[:\-–—]\s*", re.I)
_MARKED = re.compile(rf"(?:^\s*{_MARKER}\s*[:\-–—]|[,:\-–—]\s*{_MARKER}\s*$)", re.I)
# A heading that reports on an earlier procurement: a decision, a cancellation, a court ruling.
_DECISION = re.compile(
    r"(?:päätös|päätökse|päätetty|\bvalinta|valittu|valitsi|\btulokset?\b|keskeyt|peruttu|peruutettu"
    r"|beslut|tilldelning|avslutad|avbrut|avbryt|annullerad|markkinaoikeus|marknadsdomstol|award|cancelled)",
    re.I,
)
# Headings of a part of a notice, never of an item: they stay with the notice above them.
_PART_HEADING = re.compile(
    r"^(?:lisätiedot|lisätietoja|yhteystiedot|yhteyshenkilö\w*|tarjouspyyntöasiakirjat|asiakirjat|liitteet"
    r"|aikataulu|määräajat|hankinnan\s+(?:kohde|kuvaus)|yleistä|kontakt(?:uppgifter|person)?|mer\s+information"
    r"|ytterligare\s+information|bilagor|handlingar|dokument|upphandlingsdokument(?:en)?|tidtabell|tidsfrister"
    r"|upphandlingens\s+föremål|allmänt)\s*:?$",
    re.I,
)
_LOOKS_PROCUREMENT = re.compile(r"(?:tarjou|anbud)", re.I)
_PUBLISHED_TEXT = re.compile(r"(?:julkaistu|julkaisupäivä|publicerad|publiceringsdatum|published)\s*:?\s*", re.I)


@dataclass
class _Signals:
    """What an item's own words say about it."""

    marked: bool  # its heading is a notice's ("Tarjouspyyntö: ...")
    decision: bool  # its heading reports on an earlier procurement
    calls: list[ft.FoundDeadline]  # tender/participation deadlines set in words about tenders
    deadlines: list[ft.FoundDeadline]
    buyer: bool  # a buyer is named with a label, or a business id is given

    @property
    def notice_like(self) -> bool:
        return not self.decision and (bool(self.calls) or self.marked)


def _published_in_text(text: str) -> dt.date | None:
    """ "Julkaistu 9.2.2026", "Publicerad: 18 februari 2026": the day an item says it was published."""
    for m in _PUBLISHED_TEXT.finditer(text):
        instants = ft.find_instants(text[m.end() : m.end() + 40])
        if instants and instants[0].start == 0 and instants[0].at is not None:
            return instants[0].at.date()
    return None


def _calls(found: list[ft.FoundDeadline], published: dt.date | None, in_tenders: bool) -> list[ft.FoundDeadline]:
    """The deadlines that ask for tenders or applications: a closing time in words about tenders (or in
    a list about tenders: "Jättöaika" under "Tarjouspyynnöt"), and not one before the item was published."""
    return [
        f
        for f in found
        if f.kind in ("tender", "participation")
        and ft.DEADLINE_WORD.search(f.text)
        and (in_tenders or ft.PROCUREMENT_WORD.search(f.text))
        and not (published and f.at.date() < published)
    ]


def _signals(
    heading: str, text: str, published: dt.date | None, lang: str | None, in_tenders: bool = False
) -> _Signals:
    found = ft.find_deadlines(heading + "\n" + text, lang, published)
    buyer = bool(_BUYER_LABEL.search(text)) or bool(ft.find_business_ids(text))
    return _Signals(
        marked=bool(_MARKED.search(heading)),
        decision=bool(_DECISION.search(heading)) and not _TITLE_PREFIX.match(heading),
        calls=_calls(found, published, in_tenders),
        deadlines=found,
        buyer=buyer,
    )


def _own_text(section: _Section, doc: _Doc) -> str:
    skip = doc.span.get(section.head) if section.head is not None else None
    return doc.text(section.start, section.stop, skip)


def _section_signals(section: _Section, doc: _Doc, page: _Page, in_tenders: bool = False) -> _Signals:
    if in_tenders not in section.signals:
        own = _own_text(section, doc)
        published = _item_published(doc, section.start, section.stop, own)
        section.signals[in_tenders] = _signals(section.heading, own, published, page.language, in_tenders)
    return section.signals[in_tenders]


def _about_tenders(section: _Section, doc: _Doc, in_tenders: bool) -> bool:
    """Whether a section (a list's heading and introduction) is about tenders, for the items under it."""
    return in_tenders or bool(ft.PROCUREMENT_WORD.search(section.heading + "\n" + _own_text(section, doc)))


def _any_notice(section: _Section, doc: _Doc, page: _Page, in_tenders: bool = False) -> bool:
    if _section_signals(section, doc, page, in_tenders).notice_like:
        return True
    inner = _about_tenders(section, doc, in_tenders)
    return any(_any_notice(k, doc, page, inner) for k in section.kids)


@dataclass
class _Found:
    """An item: its section (its parts included unless split off) and the text of the sections it was
    split from (a list's introduction: "X Oy (Y-tunnus ...) pyytää tarjouksia alla luetelluista ...")."""

    section: _Section
    stop: int
    context: list[tuple[int, int]]
    in_tenders: bool = False  # the list it is in is about tenders ("Tarjouspyynnöt", "Upphandlingar")


def _part_of_a_notice(heading: str) -> bool:
    """A heading of a part of a notice ("Lisätietoja", "Tarjousten jättäminen", "Sista anbudsdag"), which
    an item's own heading never is."""
    if _MARKED.search(heading):
        return False
    return bool(_PART_HEADING.match(heading) or ft.deadline_kind(heading) or ft.DEADLINE_WORD.search(heading))


def _split(section: _Section, doc: _Doc, page: _Page, in_tenders: bool) -> bool:
    """Whether a section's parts are items of their own: when one of them is a notice and the section is
    not one itself (a page heading over notices), or when two or more are (a notice-like heading over
    several notices). A notice with parts ("Lisätietoja", "Tarjousten jättäminen") stays whole."""
    inner = _about_tenders(section, doc, in_tenders) if section.head is not None else in_tenders
    if section.head is None:
        return True
    noticed = sum(
        1 for kid in section.kids if not _part_of_a_notice(kid.heading) and _any_notice(kid, doc, page, inner)
    )
    if _section_signals(section, doc, page, in_tenders).notice_like:
        return noticed >= 2
    return noticed >= 1


def _items(
    section: _Section, doc: _Doc, page: _Page, context: list[tuple[int, int]], in_tenders: bool = False
) -> list[_Found]:
    if not section.kids or not _split(section, doc, page, in_tenders):
        return [_Found(section, section.end, context, in_tenders)]
    inner = context + ([(section.start, section.stop)] if section.head is not None else [])
    about = _about_tenders(section, doc, in_tenders) if section.head is not None else in_tenders
    found: list[_Found] = []
    for kid in section.kids:
        if found and _part_of_a_notice(kid.heading) and found[-1].stop == kid.start:
            found[-1].stop = kid.end  # "Lisätietoja" under a notice written with bold leads
            continue
        found.extend(_items(kid, doc, page, inner, about))
    return found


def find_items(content: lxml.html.HtmlElement, doc: _Doc, page: _Page) -> list[_Found]:
    """The items on a normalized page, in page order. A page without any head is one item."""
    root = _sections(content, doc)
    if not root.kids:
        return [_Found(root, root.end, [])]
    return _items(root, doc, page, [])


# ---------------------------------------------------------------------------------------------------------
# Reading one item
# ---------------------------------------------------------------------------------------------------------

_TITLE_BUYER = re.compile(r"^(?P<buyer>[^:]{2,120}?)\s+:\s+(?P<title>\S.*)$")
_NAME_PUNCTUATION = " \t(),/:;[]–—-"
_ID_LABEL = re.compile(r"(?:y-?tunnus\w*|FO-?(?:nummer|nr)|business\s+id|VAT|ALV)(?:\s+(?:on|är|is))?$", re.I)
_NAME_SENTENCE_BREAK = re.compile(r"[.!?]\s+")
_STREET = re.compile(r"^[^\W\d_][\w .'’-]*?\s\d+(?:\s?[A-Za-z])?(?:\s?[-–]\s?\d+)?(?:\s+[A-Za-z]\s?\d+)?$")
_MAX_NAME_WORDS = 10
# Labels that name the buyer; the value is the rest of the line (or the next line).
_BUYER_LABEL = re.compile(
    r"(?im)^[ \t]*(?:hankintayksikkö|hankintayksikön\s+nimi|tilaaja|hankinnan\s+tekijä|hankkija|ostaja"
    r"|rakennuttaja|upphandlande\s+(?:enhet|myndighet|organisation)|beställare|byggherre"
    r"|contracting\s+(?:authority|entity)|buyer)[ \t]*[:\-–]?[ \t]*(?P<value>[^\n]*)$"
)
# Generic words that are no one's name ("Kunta pyytää tarjouksia", "Kunnan Y-tunnus on ...").
_GENERIC_NAMES = frozenset(
    "kunta kunnan kunnassa kaupunki kaupungin kuntayhtymä kuntayhtymän yhtymä yhtiö yhtiön osuuskunta "
    "seurakunta hankintayksikkö tilaaja kommun kommunen kommunens stad staden stadens samkommun "
    "samkommunen bolaget andelslaget beställaren".split()
)
# An organisation asking for tenders: "Myllykylän kaupunki pyytää tarjouksia", "Vikby stad begär in anbud".
_REQUESTER = re.compile(
    r"(?P<name>[^\W\d_][\w.&'’-]*(?:\s+[\w.&'’-]+){0,6}?)\s+(?:\([^)]{0,60}\)\s*,?\s*)?"
    r"(?:pyytää|pyytävät|pyydämme|kilpailuttaa|hakee|begär|upphandlar|inbjuder|efterfrågar)\b"
)
# A word that says a name is an organisation's.
_ORGANISATION = re.compile(
    r"(?:kunta|kaupunki|kuntayhtymä|yhtymä|liitto|seurakunta\w*|sairaanhoitopiiri\w*|hyvinvointialue"
    r"|osuuskunta|virasto|keskus|laitos|säätiö|\boy\b|\boyj\b|\bab\b|\bky\b|\bry\b|kommun|\bstad\b"
    r"|samkommun|andelslag|förbund|församling|region|landskap|verket|stiftelse|municipality|city)",
    re.I,
)


def split_title(heading: str) -> tuple[str | None, str]:
    """The buyer named in a heading and the title proper.

    "Kansallinen hankintailmoitus: Kymenlaakson Liitto : Kymenlaakson Suomi100 markkinoinnin toteuttaminen"
    → ("Kymenlaakson Liitto", "Kymenlaakson Suomi100 markkinoinnin toteuttaminen"): the notice-type
    prefix is noise and "Buyer : Title" is how Hilma names national notices.
    """
    title = _TITLE_PREFIX.sub("", heading, count=1).strip() or heading
    m = _TITLE_BUYER.match(title)
    if m and len(m.group("buyer").split()) <= _MAX_NAME_WORDS:
        return m.group("buyer").strip(), m.group("title").strip()
    return None, title


def _name_like(value: str) -> str | None:
    """The value when it could be an organisation's name: a few words, capitalised, no digits or address,
    no label ("Hankintayksikkö: Iitin kunta" is "Iitin kunta") and not a generic word ("Kunta")."""
    value = one_line(value)
    if ": " in value:
        value = value.rsplit(": ", 1)[1]
    value = value.strip(_NAME_PUNCTUATION)
    words = value.split()
    if not words or len(words) > _MAX_NAME_WORDS or not value[0].isupper() or "@" in value:
        return None
    if re.search(r"\d", value) or (len(words) == 1 and value.lower() in _GENERIC_NAMES):
        return None
    return value


def _labelled_name(body: str) -> str | None:
    """ "Hankintayksikkö: Salmelan kunta", "Upphandlande enhet: Ekby kommun, bildningsavdelningen",
    "Tilaaja: X, Y-tunnus ...": the name after the label, up to a comma, a bracket or a sentence's end."""
    for m in _BUYER_LABEL.finditer(body):
        value = m.group("value").strip()
        if not value:
            rest = body[m.end() :].lstrip("\n")
            value = rest.split("\n", 1)[0] if rest else ""
        value = re.split(r"\s*[,(;]|\.\s|\s+[-–—]\s+|\s+(?:Y-?tunnus|FO-?nummer|FO-nr)\b", value, maxsplit=1)[0]
        if name := _name_like(value.rstrip(".")):
            return name
    return None


def _name_before_id(body: str, ids: list[ft.BusinessId]) -> str | None:
    """The organisation named right before its business id: "Närpes Vatten och Avlopp Ab (FO-nummer ...)"."""
    for business_id in ids:
        line_start = body.rfind("\n", 0, business_id.start) + 1
        before = body[line_start : business_id.start].rstrip(_NAME_PUNCTUATION)
        before = _ID_LABEL.sub("", before).rstrip(_NAME_PUNCTUATION)
        before = _NAME_SENTENCE_BREAK.split(before)[-1]
        if name := _name_like(before):
            return name
    return None


def _requester(body: str) -> str | None:
    """The subject of "pyytää tarjouksia" / "begär in anbud", when it names an organisation."""
    for m in _REQUESTER.finditer(body):
        name = _name_like(_NAME_SENTENCE_BREAK.split(m.group("name"))[-1])
        if name and _ORGANISATION.search(name) and len(name.split()) >= 2:
            return name
    return None


def _name_before_po_box(body: str) -> str | None:
    """The line above "PL 35" in an address block is usually the addressee."""
    box = ft.find_po_box(body)
    if not box:
        return None
    lines = body[: box.start()].rstrip("\n").split("\n")
    if body[: box.start()].endswith("\n") and lines:
        return _name_like(lines[-1])
    return None


def _address_name(addresses: list[lxml.html.HtmlElement]) -> str | None:
    for address in addresses:
        lines = text_of(address).split("\n")
        if lines and (name := _name_like(lines[0])):
            return name
    return None


def _street(body: str, postal: ft.Postal) -> str | None:
    """The street, when written before the postal code on its line ("Katu 4, 45100") or on the line above."""
    line_start = body.rfind("\n", 0, postal.start) + 1
    same_line = body[line_start : postal.start].rstrip(" ,")
    previous = body[: line_start - 1].rsplit("\n", 1)[-1] if line_start else ""
    for candidate in (same_line.strip(), previous.strip()):
        if candidate and _STREET.match(candidate) and not ft.find_po_box(candidate):
            return candidate
    return None


def _address(body: str) -> Address:
    """PO box, postal code, city (and street when written) from the item's own text.

    The country is Finland: these are Finnish buyers' own pages (and the postal codes are Finnish).
    """
    box = ft.find_po_box(body)
    postal = (ft.find_postal(body, box.end()) if box else None) or ft.find_postal(body)
    return Address(
        street=_street(body, postal) if postal else None,
        po_box=box.group("n") if box else None,
        postal_code=postal.code if postal else None,
        city=postal.city if postal else None,
        country=COUNTRY,
    )


@dataclass(frozen=True)
class _Page:
    url: str | None  # where the page came from, without fragment
    base: str | None  # what relative links resolve against (<base href> or url)
    language: str | None
    site_name: str | None
    title: str | None = None  # the <title>


def _resolve(page: _Page, href: str | None) -> str | None:
    """An absolute link, or None for links that lead nowhere (javascript:, bare fragments, broken URLs)."""
    href = (href or "").strip()
    if not href or href.startswith("#") or href.lower().startswith(("javascript:", "data:", "tel:")):
        return None
    try:
        resolved = urljoin(page.base, href) if page.base else href
        urlsplit(resolved)
    except ValueError:
        return None
    return resolved


def _is_home_page(link: str) -> bool:
    try:
        parts = urlsplit(link)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and parts.path in ("", "/")
        and not parts.query
    )


def _own_link(head: lxml.html.HtmlElement | None, anchors: list[lxml.html.HtmlElement]):
    """The item's own link: on its heading, around its heading (a list entry that is one link), or the
    link schema.org marks as the item's URL."""
    if head is not None:
        if _tag(head) == "a" and head.get("href"):
            return head
        for anchor in head.iter("a"):
            if anchor.get("href"):
                return anchor
        for ancestor in head.iterancestors():
            if _tag(ancestor) == "a" and ancestor.get("href"):
                return ancestor
            if ancestor.get(_LEVEL) is None and _tag(ancestor) in _BLOCK_LEVEL - {"h1", "h2", "h3", "h4", "h5", "h6"}:
                break
    for anchor in anchors:
        if anchor.get("itemprop") == "url" and anchor.get("href"):
            return anchor
    return None


def _reveal_cloaked_emails(element: lxml.html.HtmlElement) -> None:
    """Put the addresses hidden by Joomla's e-mail cloaking where a reader of the page would see them."""
    for script in list(element.iter("script")):
        code = script.text or ""
        address = ft.decode_joomla_cloak(code)
        target_id = ft.cloak_target(code)
        if not address:
            continue
        target = next((e for e in element.iter() if _tag(e) and e.get("id") == target_id), None)
        if target is not None:
            for child in list(target):
                target.remove(child)
            target.text = address
        else:
            script.addprevious(lxml.html.Element("span"))
            script.getprevious().text = address
    for hidden in list(element.iter("joomla-hidden-mail")):  # Joomla 4: base64 halves in attributes
        try:
            first = base64.b64decode(hidden.get("first") or "", validate=True).decode("utf-8")
            last = base64.b64decode(hidden.get("last") or "", validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        if first and last:
            for child in list(hidden):
                hidden.remove(child)
            hidden.text = f"{first}@{last}"


def _time_value(time: lxml.html.HtmlElement) -> dt.datetime | None:
    value = (time.get("datetime") or "").strip()
    if not value:
        return None
    try:
        if len(value) == 10:
            return ft.helsinki_midnight(dt.date.fromisoformat(value))
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else ft.to_helsinki(moment)[0]


def _published_at(times: list[lxml.html.HtmlElement]) -> dt.datetime | None:
    """``<time datetime>`` (the one marked as the publication date first): a date is read as Helsinki
    midnight, a naive time as Helsinki time."""
    marked = [t for t in times if t.get("itemprop") == "datePublished" or t.get("pubdate") is not None]
    for time in marked + [t for t in times if t not in marked]:
        if (moment := _time_value(time)) is not None:
            return moment
    return None


def _item_published(doc: _Doc, start: int, stop: int, text: str) -> dt.date | None:
    moment = _published_at(doc.within(start, stop, "time"))
    if moment is not None:
        return moment.astimezone(ft.HELSINKI).date()
    return _published_in_text(text)


def _emails(anchors: list[lxml.html.HtmlElement], body: str) -> list[str]:
    found = []
    for anchor in anchors:
        href = (anchor.get("href") or "").strip()
        if href.lower().startswith("mailto:"):
            found.extend(ft.find_emails(href[7:].split("?")[0]))
    return _unique(found + ft.find_emails(body))


@dataclass
class _Context:
    """What the introduction of a list says for its items (the buyer, its id and contacts)."""

    text: str
    anchors: list[lxml.html.HtmlElement]


def _buyer(
    body: str,
    title_buyer: str | None,
    anchors: list[lxml.html.HtmlElement],
    addresses: list[lxml.html.HtmlElement],
    context: _Context,
    links: list[str],
    page: _Page,
    lang: str,
) -> BuyerRecord | None:
    """The buyer: named in the heading, after a label, before its business id, as the one asking for
    tenders, atop its address; else as the list's introduction names it; else the site's owner.

    Contact details come from the item's own text, else from the introduction of the list it is in (the
    page footer is the site's, not the notice's).
    """
    ids = ft.find_business_ids(body)
    context_ids = ft.find_business_ids(context.text) if context.text else []
    name = (
        title_buyer
        or _labelled_name(body)
        or _name_before_id(body, ids)
        or _requester(body)
        or _address_name(addresses)
        or _name_before_po_box(body)
        or (
            context.text
            and (
                _labelled_name(context.text)
                or _name_before_id(context.text, context_ids)
                or _requester(context.text)
                or _name_before_po_box(context.text)
            )
        )
        or page.site_name
    )
    if not name:
        return None
    identifiers = tuple(i for i in (identify(b.value, COUNTRY) for b in ids or context_ids) if i is not None)
    emails = _emails(anchors, body) or _emails(context.anchors, context.text)
    phone_written = ft.find_phone(body) or ft.find_phone(context.text)
    fax_written = ft.find_fax(body) or ft.find_fax(context.text)
    return BuyerRecord(
        name=name,
        names={lang: name},
        identifiers=identifiers,
        address=_address(body),
        email=emails[0] if emails else None,
        phone=phone(phone_written, COUNTRY) if phone_written else None,
        fax=phone(fax_written, COUNTRY) if fax_written else None,
        url=next((link for link in links if _is_home_page(link)), None),
    )


def _deadlines(found: Iterable[ft.FoundDeadline]) -> tuple[DeadlineRecord, ...]:
    return tuple(
        DeadlineRecord(
            kind=f.kind, at=f.at, lot=None, needs_review=f.needs_review, text=f.text, review_reasons=f.reasons
        )
        for f in found
    )


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


@dataclass(frozen=True)
class ItemReport:
    """What the reader made of one item on a page: whether it is a notice, and why (``explain``)."""

    heading: str  # the item's own heading as written ("" for a page without any)
    taken: bool
    reason: str
    suspicious: bool = False  # not taken, yet it looks like procurement: a person should look
    signals: tuple[str, ...] = ()  # what makes it look like procurement
    source_id: str | None = None  # the notice's id when taken
    text: str = ""  # the item's text, shortened
    link: str | None = None  # the item's own link (its heading's), resolved: a detail page to follow

    def line(self) -> str:
        """One line for a person: "taken: 'heading': why" or "not taken: ..."."""
        verdict = "taken" if self.taken else ("SUSPICIOUS, not taken" if self.suspicious else "not taken")
        return f"{verdict}: {self.heading[:80]!r}: {self.reason}"


def _procurement_signals(heading: str, text: str, signals: _Signals) -> tuple[str, ...]:
    """What makes an item look like procurement: a notice marker, tenders mentioned, a business id, a
    deadline phrase."""
    found = []
    if signals.marked:
        found.append("a notice marker in its heading")
    if m := _LOOKS_PROCUREMENT.search(heading + "\n" + text):
        found.append(f"the word {m.group(0).lower()}…")
    if ft.find_business_ids(text):
        found.append("a business id")
    phrases = [f for f in signals.deadlines if ft.DEADLINE_WORD.search(f.text)]
    if phrases:
        found.append(f"a {phrases[0].kind} deadline phrase")
    return tuple(found)


def _verdict(signals: _Signals, text: str) -> tuple[bool, str]:
    if signals.decision:
        return False, "its heading reports a decision or an outcome, not a call for tenders"
    if signals.calls:
        call = signals.calls[0]
        return True, f"it sets a {call.kind} deadline: {call.text[:120]!r}"
    if signals.marked and (signals.buyer or signals.deadlines):
        what = "a buyer" if signals.buyer else f"a {signals.deadlines[0].kind} deadline"
        return True, f"its own heading is a notice's and it names {what}"
    if signals.marked:
        return False, "its heading is a notice's but it names no buyer and sets no deadline"
    if signals.deadlines or _LOOKS_PROCUREMENT.search(text):
        return False, "it mentions procurement but asks for no tenders: no tender or participation deadline"
    return False, "nothing about procurement"


def read_item(
    found: _Found, doc: _Doc, page: _Page
) -> tuple[NoticeRecord | None, ItemReport]:
    """One item as a notice (or None when it is not one), and the report of why."""
    section = found.section
    head = section.head
    skip = doc.span.get(head) if head is not None else None
    heading_text = section.heading or (page.title or "")
    body = doc.text(section.start, found.stop, skip)
    anchors = doc.within(section.start, found.stop, "a")
    own_anchor = _own_link(head, anchors)
    own_link = _resolve(page, own_anchor.get("href")) if own_anchor is not None else None
    published_at = _published_at(doc.within(section.start, found.stop, "time"))
    published = published_at.astimezone(ft.HELSINKI).date() if published_at else _published_in_text(body)

    lang = _item_language(head, body, page)
    signals = _signals(heading_text, body, published, lang, found.in_tenders)
    taken, reason = _verdict(signals, body)
    suspicious = _procurement_signals(heading_text, body, signals) if not taken else ()
    report = ItemReport(heading_text, taken, reason, bool(suspicious), suspicious, None, body[:500], own_link)
    if not taken:
        return None, report

    context = _Context(
        "\n".join(doc.text(start, stop) for start, stop in found.context),
        [a for start, stop in found.context for a in doc.within(start, stop, "a")],
    )
    all_links = _unique(
        link
        for anchor in anchors
        if (link := _resolve(page, anchor.get("href"))) and not link.lower().startswith("mailto:")
    )
    title_buyer, title = split_title(heading_text)
    buyer = _buyer(
        body, title_buyer, anchors, doc.within(section.start, found.stop, "address"), context, all_links, page, lang
    )
    links = [
        link
        for link in all_links
        if link != own_link and not (buyer and link == buyer.url) and urldefrag(link)[0] != page.url
    ]
    text = heading_text + "\n" + body
    record = NoticeRecord(
        source=SOURCE,
        source_id=own_link or f"{page.url or ''}#{ft.slugify(heading_text) or 'notice'}",
        notice_type=NOTICE_TYPE,
        title=title,
        language=lang,
        titles={lang: title},
        descriptions={lang: body} if body else {},
        buyers=(buyer,) if buyer else (),
        deadlines=_deadlines(signals.deadlines),
        links=tuple(links),
        published_at=published_at,
        source_url=own_link or page.url,
        warnings=tuple(
            f"a deadline at a date or time that does not exist was left out: {sentence!r}"
            for sentence in ft.find_impossible_deadlines(text, lang, published)
        ),
    )
    return record, replace(report, source_id=record.source_id)


def _item_language(head: lxml.html.HtmlElement | None, body: str, page: _Page) -> str:
    declared = None
    if head is not None:
        for element in (head, *head.iterancestors()):
            if lang := (element.get("lang") or "").strip():
                declared = language_alpha2(lang.split("-")[0].split("_")[0] or None)
                break
    if declared and declared == page.language:
        declared = None  # the page's own language says nothing about this item
    return declared or ft.guess_language(body) or page.language or DEFAULT_LANGUAGE


# ---------------------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------------------

_NAV_WORDS = frozenset({"etusivu", "koti", "hem", "start", "startsida", "home", "logo", "etusivulle"})


def _home_link_name(root: lxml.html.HtmlElement, base: str | None) -> str | None:
    """The name on the link to the site's front page (a logo's alt text, a brand): who runs the site."""
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        try:
            target = urljoin(base, href) if base else href
        except ValueError:
            continue
        if href not in ("/", "./", "index.html", "index.php") and not (target and _is_home_page(target)):
            continue
        texts = [one_line(anchor.text_content())] + [one_line(img.get("alt")) for img in anchor.iter("img")]
        for text in texts:
            text = re.sub(r"\s*[,-–—]\s*(?:etusivu\w*|startsida|hem)\s*$", "", text, flags=re.I)
            if text and text.lower() not in _NAV_WORDS and (name := _name_like(text)) and _ORGANISATION.search(name):
                return name
    return None


def _site_name(root: lxml.html.HtmlElement, base: str | None) -> str | None:
    """Who runs the site: og:site_name; else the part of the <title> that names an organisation ("Aktuellt
    – Närpes Vatten Ab"); else the name on the front-page link; else the longest part of the <title>."""
    for meta in root.iter("meta"):
        if meta.get("property") == "og:site_name" and one_line(meta.get("content")):
            return one_line(meta.get("content"))
    parts: list[str] = []
    for title in root.iter("title"):
        parts = [p.strip() for p in re.split(r"\s+[-–—|·:]\s+|:\s+", one_line(title.text_content())) if p.strip()]
        break
    for part in parts:
        if _ORGANISATION.search(part) and _name_like(part):
            return part
    if name := _home_link_name(root, base):
        return name
    return max(parts, key=len) if parts else None


def _page(root: lxml.html.HtmlElement, url: str | None) -> _Page:
    page_url = urldefrag(url)[0] if url else None
    base = page_url
    for element in root.iter("base"):
        if href := (element.get("href") or "").strip():
            try:
                base = urljoin(page_url, href) if page_url else href
            except ValueError:
                pass
            break
    lang_attr = (root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") or "").strip()
    language = language_alpha2(re.split(r"[-_]", lang_attr)[0] or None) if lang_attr else None
    if language and not re.fullmatch(r"[a-z]{2}", language):
        language = None
    title = next((one_line(t.text_content()) for t in root.iter("title")), None)
    return _Page(page_url, base, language, _site_name(root, base), title)


def _distinct_ids(
    records: list[tuple[NoticeRecord, int]]
) -> tuple[list[tuple[NoticeRecord, int]], list[int]]:
    """Two items with the same heading and no links of their own get "-2", "-3" ... in page order; the
    same linked item twice (e.g. in a sidebar) is one notice. Returns the records kept (with the index of
    their item report) and the indexes of the items dropped as repeats."""
    seen: Counter[str] = Counter()
    result, repeats = [], []
    for record, index in records:
        seen[record.source_id] += 1
        if seen[record.source_id] > 1:
            if record.source_id == record.source_url:
                repeats.append(index)
                continue
            record = replace(record, source_id=f"{record.source_id}-{seen[record.source_id]}")
        result.append((record, index))
    return result, repeats


def _with_aliases(records: list[NoticeRecord], old: list[fi_web_v1.OldItem]) -> list[NoticeRecord]:
    """Each old item's id as an alias of the first record (in page order) whose heading it holds, when the
    record's own id differs: so a notice the first reader stored under the page heading's slug is found."""
    ids = {r.source_id for r in records}
    aliases: dict[int, list[str]] = {}
    for item in old:
        if item.source_id in ids:
            continue
        text = item.text
        for index, record in enumerate(records):
            heading = one_line(record.titles.get(record.language) or record.title)
            if heading and heading in text:
                aliases.setdefault(index, []).append(item.source_id)
                break
    return [
        replace(r, aliases=tuple(_unique(aliases[i]))) if i in aliases else r for i, r in enumerate(records)
    ]


@dataclass(frozen=True)
class Reading:
    """A page as the reader read it: its notices, and a report on every item it considered."""

    records: list[NoticeRecord]
    items: list[ItemReport]

    @property
    def suspicious(self) -> list[ItemReport]:
        """Items that look like procurement but yield no notice: to be reported, never silently dropped."""
        return [item for item in self.items if item.suspicious]


def explain(data: bytes, url: str | None = None, charset: str | None = None) -> Reading:
    """``read``, with the report on every item: whether it was taken as a notice and why, and which
    items look like procurement although they yield no notice (``Reading.suspicious``).

    ``url`` is where the page came from: links resolve against it and unlinked items are identified by
    it. ``charset`` is the charset of the HTTP response's ``Content-Type``, used when the page declares
    none. Raises ``IngestError`` for bytes that are not an HTML page.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise IngestError("expected the page's bytes")
    data = bytes(data)
    try:
        root = parse(data, charset)
    except IngestError as error:
        raise (error.at(url) if url else error) from None
    page = _page(root, url)
    old = fi_web_v1.old_items(copy.deepcopy(root), lambda href: _resolve(page, href), page.url)
    content = normalize(root)
    doc = _Doc(content)
    reports: list[ItemReport] = []
    read: list[tuple[NoticeRecord, int]] = []
    for found in find_items(content, doc, page):
        record, report = read_item(found, doc, page)
        reports.append(report)
        if record is not None:
            read.append((record, len(reports) - 1))
    kept, repeats = _distinct_ids(read)
    for index in repeats:
        reports[index] = replace(reports[index], taken=False, reason="the same linked item again")
    for record, index in kept:
        reports[index] = replace(reports[index], source_id=record.source_id)
    records = _with_aliases([record for record, _ in kept], old)
    if not records and not any(r.suspicious for r in reports):
        everything = doc.text(0, doc.end)
        signals = _signals(page.title or "", everything, None, page.language)
        if page_signals := _procurement_signals(page.title or "", everything, signals):
            reports.append(
                ItemReport(
                    page.title or "",
                    False,
                    "the page looks like procurement but no item on it is a notice",
                    True,
                    page_signals,
                    None,
                    everything[:500],
                )
            )
    return Reading(records, reports)


@dataclass(frozen=True)
class NoticeLink:
    url: str
    text: str


def notice_links(data: bytes, url: str | None = None, charset: str | None = None) -> list[NoticeLink]:
    """Links whose own text is a notice's heading ("Tarjouspyyntö: …", "… – anbudsförfrågan"), in page
    order, once each: on a list page of linked headings, the way to each notice's detail page. Links to
    reports of decisions on earlier procurements are not."""
    root = parse(bytes(data), charset)
    page = _page(root, url)
    found: dict[str, NoticeLink] = {}
    for anchor in root.iter("a"):
        text = one_line(anchor.text_content())
        if not text or not _MARKED.search(text) or _DECISION.search(text):
            continue
        link = _resolve(page, anchor.get("href"))
        if link and urlsplit(link).scheme in ("http", "https") and link not in found:
            found[link] = NoticeLink(link, text)
    return list(found.values())


def read(data: bytes, url: str | None = None, charset: str | None = None) -> list[NoticeRecord]:
    """The national notices among a buyer's web page's items; [] when there are none (``explain`` says why).

    ``url`` is where the page came from: links resolve against it and unlinked items are identified by
    it. ``charset`` is the HTTP header's charset, used when the page declares none. Raises ``IngestError``
    for bytes that are not an HTML page.
    """
    return explain(data, url, charset).records
