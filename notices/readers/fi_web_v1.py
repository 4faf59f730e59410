"""The ids the first fi-web reader gave to notices, so that notices it stored are still found.

Until issue 14 the reader found items by class names (``<article>``, Joomla's ``div.item``) or, failing
those, split the page at its headings, and took an item's first heading as its title. An item without a
link of its own is identified by ``page URL#slug-of-its-heading``, so where that reader took the page's
heading ("Avoimet hankinnat") the notice was stored under the page heading's slug. The current reader
reads the item's own heading, which gives another id; it gives its records the old ids as aliases
(``NoticeRecord.aliases``) and the store finds a stored notice by them.

This module is that reader's item finder and notice test, kept only to compute those ids: it returns,
for each item the old reader would have stored, its id and its text. Pure, like the readers.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass

import lxml.html

from notices.readers import text as ft

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_CHROME_TAGS = frozenset({"header", "nav", "footer", "aside"})
_ITEM_CLASSES = frozenset({"item", "news-item", "newsitem", "blog-item", "news-article", "entry", "uutinen"})
_HIDDEN_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "svg")


@dataclass(frozen=True)
class OldItem:
    source_id: str  # as the old reader identified it (before "-2" suffixes for repeated headings)
    heading: str
    text: str  # the item's text on one line, to tell which current item it holds


def _tag(node: object) -> str | None:
    tag = getattr(node, "tag", None)
    return tag.lower() if isinstance(tag, str) else None


def _one_line(value: str | None) -> str:
    return " ".join((value or "").split())


def _in_chrome(element) -> bool:
    return any(_tag(a) in _CHROME_TAGS for a in element.iterancestors())


def _first_heading(element):
    for heading in element.iter(*_HEADINGS):
        if _one_line(heading.text_content()):
            return heading
    return None


def _is_item_element(element) -> bool:
    if _tag(element) == "article" or element.get("itemprop") == "blogPost":
        return True
    return bool(_ITEM_CLASSES.intersection((element.get("class") or "").split()))


def _marked_items(root) -> list[tuple[lxml.html.HtmlElement, lxml.html.HtmlElement]]:
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
            items.append((private, heading))
    return items


def _rank(element) -> int | None:
    tag = _tag(element)
    return int(tag[1]) if tag in _HEADINGS else None


def _sections(nodes: list) -> list[list]:
    ranks = [r for r in map(_rank, nodes) if r is not None]
    if not ranks:
        return []
    top = min(ranks)
    groups: list[list] = []
    for node in nodes:
        if _rank(node) == top:
            groups.append([node])
        elif groups:
            groups[-1].append(node)
    sections: list[list] = []
    for group in groups:
        rest = group[1:]
        first_sub = next((i for i, n in enumerate(rest) if _rank(n) is not None), len(rest))
        own_text = _one_line(
            (group[0].tail or "") + "".join(_one_line(n.text_content()) + (n.tail or "") for n in rest[:first_sub])
        )
        if own_text or first_sub == len(rest):
            sections.append(group)
        else:
            sections.extend(_sections(rest))
    return sections


def _heading_items(root) -> list[tuple[lxml.html.HtmlElement, lxml.html.HtmlElement]]:
    headings = [h for h in root.iter(*_HEADINGS) if not _in_chrome(h) and _one_line(h.text_content())]
    parents = Counter(h.getparent() for h in headings if h.getparent() is not None)
    if not parents:
        return []
    parent = parents.most_common(1)[0][0]
    items = []
    for section in _sections([n for n in parent if _tag(n)]):
        wrapper = lxml.html.Element("div")
        for node in section:
            wrapper.append(copy.deepcopy(node))
        items.append((wrapper, wrapper[0]))
    return items


def _own_link(element, heading) -> str | None:
    for anchor in heading.iter("a"):
        if anchor.get("href"):
            return anchor.get("href")
    for anchor in element.iter("a"):
        if anchor.get("itemprop") == "url" and anchor.get("href"):
            return anchor.get("href")
    return None


def _was_a_notice(heading: str, body: str) -> bool:
    if ft.NOTICE_SIGNAL.search(heading) or ft.NOTICE_SIGNAL.search(body):
        return True
    return any(
        f.kind in ("tender", "participation") and ft.PROCUREMENT_WORD.search(f.text)
        for f in ft.find_deadlines(heading + "\n" + body)
    )


def old_items(root: lxml.html.HtmlElement, resolve, page_url: str | None) -> list[OldItem]:
    """The items the old reader would have stored from this page (``root`` as parsed, untouched), with
    their ids: the heading's link resolved by ``resolve``, or ``page_url#slug-of-the-heading``."""
    found = []
    for element, heading in _marked_items(root) or _heading_items(root):
        heading_text = _one_line(heading.text_content())
        if not heading_text:
            continue
        for hidden in list(element.iter(*_HIDDEN_TAGS)):
            if hidden.getparent() is not None:
                hidden.drop_tree()
        text = _one_line(element.text_content())
        body = text.replace(heading_text, "", 1)
        if not _was_a_notice(heading_text, body):
            continue
        link = resolve(_own_link(element, heading))
        source_id = link or f"{page_url or ''}#{ft.slugify(heading_text) or 'notice'}"
        found.append((OldItem(source_id, heading_text, text), bool(link)))
    # As the old reader did: the same heading twice without links gets "-2", "-3" ...; the same linked
    # item twice (a sidebar repeating it) is one notice.
    seen: Counter[str] = Counter()
    items = []
    for item, linked in found:
        seen[item.source_id] += 1
        if seen[item.source_id] > 1:
            if linked:
                continue
            item = OldItem(f"{item.source_id}-{seen[item.source_id]}", item.heading, item.text)
        items.append(item)
    return items
