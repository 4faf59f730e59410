"""Names of codes (CPV, NUTS regions, procedure types, notice subtypes) in Finnish, Swedish and English.

The names are the eForms SDK's code labels (``translations/code_{fi,sv,en}.xml``, entries keyed
``code|name|LIST.CODE``), never typed by hand: ``load()`` (``manage.py load_code_labels``, run by
``bin/run``) puts them in ``CodeLabel``; each process reads a list once into memory (a few MB for CPV's
9,454 codes) and asks nothing of the database after that. Without loaded labels a code is shown bare.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from django.db import transaction
from lxml import etree

from notices.models import CodeLabel

LANGUAGES = ("fi", "sv", "en")
LISTS = ("cpv", "nuts", "procurement-procedure-type", "notice-subtype")
_KEY = re.compile(r"code\|name\|([a-z-]+)\.(.+)")
_lock = threading.Lock()
_cache: dict[str, dict[str, dict[str, str]]] = {}


def read(folder: Path) -> dict[tuple[str, str], dict[str, str]]:
    """{(list, code): {language: name}} for ``LISTS`` from the three files in ``folder``."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    # Java properties XML: its DOCTYPE names a DTD on the web, which is neither fetched nor needed.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    for lang in LANGUAGES:
        path = Path(folder) / f"code_{lang}.xml"
        root = etree.parse(str(path), parser).getroot()
        for entry in root.iter("entry"):
            match = _KEY.fullmatch(entry.get("key") or "")
            if match and match.group(1) in LISTS and entry.text:
                found.setdefault((match.group(1), match.group(2)), {})[lang] = " ".join(entry.text.split())
    return found


def load(folder: Path) -> int:
    """Replace the stored labels with those in ``folder``; returns how many codes were stored."""
    rows = [
        CodeLabel(
            list=listname, code=code, fi=names.get("fi", ""), sv=names.get("sv", ""), en=names.get("en", ""),
            search=" ".join(dict.fromkeys(names.get(lang, "").lower() for lang in LANGUAGES)),
        )
        for (listname, code), names in sorted(read(folder).items())
    ]
    with transaction.atomic():
        CodeLabel.objects.filter(list__in=LISTS).delete()
        CodeLabel.objects.bulk_create(rows, batch_size=2000)
    forget()
    return len(rows)


def forget() -> None:
    """Drop the in-memory copies (after ``load``; tests)."""
    with _lock:
        _cache.clear()


def _names(listname: str) -> dict[str, dict[str, str]]:
    names = _cache.get(listname)
    if names is None:
        names = {
            code: {"fi": fi, "sv": sv, "en": en}
            for code, fi, sv, en in CodeLabel.objects.filter(list=listname).values_list("code", "fi", "sv", "en")
        }
        if names:  # none loaded yet: asked again next time, so a later load shows without a restart
            with _lock:
                _cache[listname] = names
    return names


def name(listname: str, code: str, lang: str) -> str:
    """The code's name in ``lang`` (else English, else Finnish), or "" when none is known. A CPV code
    written with its check digit (45233000-9) is looked up without it."""
    code = (code or "").strip()
    if listname == "cpv":
        code = code.split("-")[0]
    names = _names(listname).get(code)
    if not names:
        return ""
    return names.get(lang) or names.get("en") or names.get("fi") or ""


def cpv_name(code: str, lang: str) -> str:
    return name("cpv", code, lang)


def labelled(listname: str, codes, lang: str) -> list[dict]:
    """[{"code", "name"}] for codes, in their order; "name" is "" when unknown."""
    return [{"code": c, "name": name(listname, c, lang)} for c in codes]


def is_loaded(listname: str) -> bool:
    return bool(_names(listname))


def known(listname: str, code: str) -> bool:
    return code in _names(listname)


def any_begins(listname: str, prefix: str) -> bool:
    return any(code.startswith(prefix) for code in _names(listname))


def suggest_cpv(words: str, lang: str, limit: int = 10) -> list[dict]:
    """CPV codes whose name (in any of the three languages) contains every word, the most general first
    (fewest trailing zeros stripped: 90910000 before 90911200): "siivous" -> 90910000 Siivous- ja
    puhdistuspalvelut, ... A query of digits lists the codes that begin with them."""
    text = " ".join(words.lower().split())
    if not text:
        return []
    found = []
    if text.replace(" ", "").isdigit():
        prefix = text.replace(" ", "")
        found = [c for c in _names("cpv") if c.startswith(prefix)]
    else:
        terms = text.split()
        rows = CodeLabel.objects.filter(list="cpv")
        for term in terms[:8]:
            rows = rows.filter(search__contains=term)
        found = list(rows.values_list("code", flat=True)[:500])
    first = text.split()[0]

    def rank(code: str) -> tuple:
        label = cpv_name(code, lang).lower()
        # The name in the reader's language begins with the word, then has a word that does, then the rest;
        # the most general code first within each (fewest significant digits).
        place = 0 if label.startswith(first) else 1 if f" {first}" in f" {label}" else 2
        return (place, len(code.rstrip("0")), code)

    found.sort(key=rank)
    return [{"code": c, "name": cpv_name(c, lang)} for c in found[:limit]]
