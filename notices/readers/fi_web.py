"""Read national procurement notices that Finnish buyers publish among the news on their own web pages.

A regional council's Joomla front page, a water utility's "Aktuellt" page: the notice is one news item
among others, written as prose in Finnish or Swedish. This reader finds the items, keeps the ones that
carry procurement signals, and reads each into a ``NoticeRecord``. Pure: bytes (and the URL they came
from) in, records out, or an ``IngestError`` a person understands. No network, no database.

Decisions:

* The encoding declared by the page is honoured (BOM, ``<meta charset>``, ``http-equiv``, XML
  declaration). ISO-8859-1 and ASCII are read as windows-1252, as browsers do. Without a declaration,
  UTF-8 is tried and windows-1252 is the fallback. A few undecodable bytes become U+FFFD; many mean the
  declaration is wrong and the page is refused rather than read as mojibake.
* An item is a notice when it uses a phrase only notices use ("hankintailmoitus", "tarjouspyyntö",
  "upphandlingsannons", "begär anbud", ...) or sets a tender/participation deadline in a sentence about
  tenders. Times and the word "Upphandlingar" alone do not make a notice.
* ``source_id`` is the item's own link (its heading link) resolved against the page URL; an item without
  one is ``page URL#slug-of-its-heading``. Deadlines and body text can change without changing identity.
* Deadlines are read by ``notices.readers.text`` (Helsinki time, fixed offsets, flags for a person).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import copy
import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree

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


def decode(data: bytes) -> str:
    """The page's text, decoded as it declares (see the module docstring for the rules)."""
    encoding = declared_encoding(data)
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


def parse(data: bytes) -> lxml.html.HtmlElement:
    """The page as an lxml tree; ``IngestError`` for anything that is not an HTML page."""
    if not data or not data.strip():
        raise IngestError("the page is empty")
    if len(data) > MAX_BYTES:
        raise IngestError(f"the page is {len(data)} bytes; a news page is never over {MAX_BYTES}")
    text = decode(data)
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
_CHROME_TAGS = frozenset({"header", "nav", "footer", "aside"})
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
# Finding the items on the page
# ---------------------------------------------------------------------------------------------------------

_ITEM_CLASSES = frozenset({"item", "news-item", "newsitem", "blog-item", "news-article", "entry", "uutinen"})


@dataclass
class _Item:
    """One news item: a private copy of its elements (safe to modify) and its heading inside it."""

    element: lxml.html.HtmlElement
    heading: lxml.html.HtmlElement


def _in_chrome(element: lxml.html.HtmlElement) -> bool:
    return any(_tag(a) in _CHROME_TAGS for a in element.iterancestors())


def _first_heading(element: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    for heading in element.iter(*_HEADINGS):
        if one_line(heading.text_content()):
            return heading
    return None


def _is_item_element(element: lxml.html.HtmlElement) -> bool:
    if _tag(element) == "article" or element.get("itemprop") == "blogPost":
        return True
    return bool(_ITEM_CLASSES.intersection((element.get("class") or "").split()))


def _marked_items(root: lxml.html.HtmlElement) -> list[_Item]:
    """Items the page marks as such: ``<article>``, schema.org ``blogPost``, Joomla ``div.item``.

    Nested candidates resolve to the innermost one that still has a heading.
    """
    candidates = [
        e
        for e in root.iter()
        if _tag(e) and _is_item_element(e) and not _in_chrome(e) and _first_heading(e) is not None
    ]
    chosen = set(candidates)
    items = []
    for element in candidates:
        if any(d in chosen for d in element.iterdescendants()):
            continue
        private = copy.deepcopy(element)
        private.tail = None
        heading = _first_heading(private)
        if heading is not None:
            items.append(_Item(private, heading))
    return items


def _rank(element: lxml.html.HtmlElement) -> int | None:
    tag = _tag(element)
    return int(tag[1]) if tag in _HEADINGS else None


def _sections(nodes: list[lxml.html.HtmlElement]) -> list[list[lxml.html.HtmlElement]]:
    """Split sibling nodes at their top-level headings, recursing into sections that only hold sub-items.

    "<h1>Ajankohtaista</h1><h2>A</h2><p/><h2>B</h2><p/>" gives A and B; "<h1>Notice</h1><p/><h2>More</h2>"
    gives one item (the h1 has text of its own before its sub-headings).
    """
    ranks = [r for r in map(_rank, nodes) if r is not None]
    if not ranks:
        return []
    top = min(ranks)
    groups: list[list[lxml.html.HtmlElement]] = []
    for node in nodes:
        if _rank(node) == top:
            groups.append([node])
        elif groups:
            groups[-1].append(node)
    sections: list[list[lxml.html.HtmlElement]] = []
    for group in groups:
        rest = group[1:]
        first_sub = next((i for i, n in enumerate(rest) if _rank(n) is not None), len(rest))
        own_text = one_line(
            (group[0].tail or "") + "".join(text_of(n) + (n.tail or "") for n in rest[:first_sub])
        )
        if own_text or first_sub == len(rest):
            sections.append(group)
        else:
            sections.extend(_sections(rest))
    return sections


def _heading_items(root: lxml.html.HtmlElement) -> list[_Item]:
    """Items of a page without item markup: each heading with the siblings that follow it."""
    headings = [h for h in root.iter(*_HEADINGS) if not _in_chrome(h) and one_line(h.text_content())]
    parents = Counter(h.getparent() for h in headings if h.getparent() is not None)
    if not parents:
        return []
    parent = parents.most_common(1)[0][0]
    items = []
    for section in _sections([n for n in parent if _tag(n)]):
        wrapper = lxml.html.Element("div")
        for node in section:
            wrapper.append(copy.deepcopy(node))
        items.append(_Item(wrapper, wrapper[0]))
    return items


def find_items(root: lxml.html.HtmlElement) -> list[_Item]:
    """The news items on a page, in page order."""
    return _marked_items(root) or _heading_items(root)


# ---------------------------------------------------------------------------------------------------------
# Reading one item
# ---------------------------------------------------------------------------------------------------------

_TITLE_PREFIX = re.compile(
    r"^\s*(?:(?:kansallinen|EU-?|nationell|national)\s+)?"
    r"(?:hankintailmoitus|hankinta|tarjouspyyntö|ennakkoilmoitus|upphandlingsannons|upphandling"
    r"|anbudsförfrågan|procurement\s+notice|contract\s+notice)\s*[:\-–—]\s*",
    re.I,
)
_TITLE_BUYER = re.compile(r"^(?P<buyer>[^:]{2,120}?)\s+:\s+(?P<title>\S.*)$")
_NAME_PUNCTUATION = " \t(),/:;[]–—-"
_ID_LABEL = re.compile(r"(?:y-?tunnus\w*|FO-?(?:nummer|nr)|business\s+id|VAT|ALV)$", re.I)
_NAME_SENTENCE_BREAK = re.compile(r"[.!?]\s+")
_STREET = re.compile(r"^[^\W\d_][\w .'’-]*?\s\d+(?:\s?[A-Za-z])?(?:\s?[-–]\s?\d+)?(?:\s+[A-Za-z]\s?\d+)?$")
_MAX_NAME_WORDS = 10


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
    """The value when it could be an organisation's name: a few words, capitalised, no digits or address."""
    value = one_line(value).strip(_NAME_PUNCTUATION)
    words = value.split()
    if not words or len(words) > _MAX_NAME_WORDS or not value[0].isupper() or "@" in value:
        return None
    if re.search(r"\d", value):
        return None
    return value


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


def _name_before_po_box(body: str) -> str | None:
    """The line above "PL 35" in an address block is usually the addressee."""
    box = ft.find_po_box(body)
    if not box:
        return None
    lines = body[: box.start()].rstrip("\n").split("\n")
    if body[: box.start()].endswith("\n") and lines:
        return _name_like(lines[-1])
    return None


def _address_name(element: lxml.html.HtmlElement) -> str | None:
    for address in element.iter("address"):
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


def _own_link(item: _Item) -> lxml.html.HtmlElement | None:
    for anchor in item.heading.iter("a"):
        if anchor.get("href"):
            return anchor
    for anchor in item.element.iter("a"):
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


def _published_at(element: lxml.html.HtmlElement) -> dt.datetime | None:
    """``<time datetime>``: a date is read as Helsinki midnight, a naive time as Helsinki time."""
    for time in element.iter("time"):
        value = (time.get("datetime") or "").strip()
        if not value:
            continue
        try:
            if len(value) == 10:
                return ft.helsinki_midnight(dt.date.fromisoformat(value))
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            continue
        return moment if moment.tzinfo else ft.to_helsinki(moment)[0]
    return None


def _item_language(item: _Item, body: str, page: _Page) -> str:
    declared = language_alpha2((item.element.get("lang") or "").split("-")[0].split("_")[0] or None)
    return declared or ft.guess_language(body) or page.language or DEFAULT_LANGUAGE


def _emails(element: lxml.html.HtmlElement, body: str) -> list[str]:
    found = []
    for anchor in element.iter("a"):
        href = (anchor.get("href") or "").strip()
        if href.lower().startswith("mailto:"):
            found.extend(ft.find_emails(href[7:].split("?")[0]))
    return found + ft.find_emails(body)


def _buyer(
    item: _Item, body: str, title_buyer: str | None, links: list[str], page: _Page, lang: str
) -> BuyerRecord | None:
    """The buyer: named in the heading, before its business id, atop its address, or the site's owner.

    Contact details come from the item's own text only (the page footer is the site's, not the notice's).
    """
    ids = ft.find_business_ids(body)
    name = (
        title_buyer
        or _name_before_id(body, ids)
        or _address_name(item.element)
        or _name_before_po_box(body)
        or page.site_name
    )
    if not name:
        return None
    identifiers = tuple(i for i in (identify(b.value, COUNTRY) for b in ids) if i is not None)
    emails = _emails(item.element, body)
    phone_written, fax_written = ft.find_phone(body), ft.find_fax(body)
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


def _is_notice(heading: str, body: str, found: list[ft.FoundDeadline]) -> bool:
    """Procurement signals: a phrase only notices use, or a tender/participation deadline about tenders."""
    if ft.NOTICE_SIGNAL.search(heading) or ft.NOTICE_SIGNAL.search(body):
        return True
    return any(f.kind in ("tender", "participation") and ft.PROCUREMENT_WORD.search(f.text) for f in found)


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def read_item(item: _Item, page: _Page) -> NoticeRecord | None:
    """One news item as a notice, or None when it is not one."""
    heading_text = one_line(item.heading.text_content())
    if not heading_text:
        return None
    own_anchor = _own_link(item)
    own_link = _resolve(page, own_anchor.get("href")) if own_anchor is not None else None
    published_at = _published_at(item.element)

    _reveal_cloaked_emails(item.element)
    for hidden in list(item.element.iter(*_HIDDEN_TAGS)):
        _drop(hidden)
    all_links = _unique(
        link
        for anchor in item.element.iter("a")
        if (link := _resolve(page, anchor.get("href"))) and not link.lower().startswith("mailto:")
    )
    if item.heading is not item.element:
        _drop(item.heading)  # the body is what follows the heading
    body = text_of(item.element)

    lang = _item_language(item, body, page)
    # The day the item was published lets "pe 3.2. klo 13" (no year) be read.
    published = published_at.astimezone(ft.HELSINKI).date() if published_at else None
    found = ft.find_deadlines(heading_text + "\n" + body, lang, published)
    if not _is_notice(heading_text, body, found):
        return None

    title_buyer, title = split_title(heading_text)
    buyer = _buyer(item, body, title_buyer, all_links, page, lang)
    links = [
        link
        for link in all_links
        if link != own_link and not (buyer and link == buyer.url) and urldefrag(link)[0] != page.url
    ]
    return NoticeRecord(
        source=SOURCE,
        source_id=own_link or f"{page.url or ''}#{ft.slugify(heading_text) or 'notice'}",
        notice_type=NOTICE_TYPE,
        title=title,
        language=lang,
        titles={lang: title},
        descriptions={lang: body} if body else {},
        buyers=(buyer,) if buyer else (),
        deadlines=_deadlines(found),
        links=tuple(links),
        published_at=published_at,
        source_url=own_link or page.url,
        warnings=tuple(
            f"a deadline at a date or time that does not exist was left out: {sentence!r}"
            for sentence in ft.find_impossible_deadlines(heading_text + "\n" + body, lang, published)
        ),
    )


# ---------------------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------------------


def _site_name(root: lxml.html.HtmlElement) -> str | None:
    """Who runs the site: og:site_name, else the longest part of the <title> ("Aktuellt – Närpes Vatten")."""
    for meta in root.iter("meta"):
        if meta.get("property") == "og:site_name" and one_line(meta.get("content")):
            return one_line(meta.get("content"))
    for title in root.iter("title"):
        parts = [p.strip() for p in re.split(r"\s+[-–—|·]\s+", one_line(title.text_content())) if p.strip()]
        if parts:
            return max(parts, key=len)
    return None


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
    return _Page(page_url, base, language, _site_name(root))


def _distinct_ids(records: list[NoticeRecord]) -> list[NoticeRecord]:
    """Two items with the same heading and no links of their own get "-2", "-3" ... in page order."""
    seen: Counter[str] = Counter()
    result = []
    for record in records:
        seen[record.source_id] += 1
        if seen[record.source_id] > 1:
            if record.source_id == record.source_url:  # the same linked item twice (e.g. sidebar): once
                continue
            record = replace(record, source_id=f"{record.source_id}-{seen[record.source_id]}")
        result.append(record)
    return result


def read(data: bytes, url: str | None = None) -> list[NoticeRecord]:
    """The national notices among a buyer's web page's news items; [] when there are none.

    ``url`` is where the page came from: links resolve against it and unlinked items are identified by
    it. Raises ``IngestError`` for bytes that are not an HTML page.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise IngestError("expected the page's bytes")
    data = bytes(data)
    try:
        root = parse(data)
    except IngestError as error:
        raise (error.at(url) if url else error) from None
    page = _page(root, url)
    records = [r for r in (read_item(item, page) for item in find_items(root)) if r is not None]
    return _distinct_ids(records)
