"""The page catalogues (locale/fi, locale/sv): complete, and their committed .mo files up to date, so CI
machines need no gettext. After editing: locale/update (needs gettext), then commit .po and .mo."""

import gettext
import re
from pathlib import Path

import pytest

from tests.pdf.test_translations import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted((ROOT / "locale").glob("*/LC_MESSAGES/django.po"))
SOURCES = [
    ROOT / "templates" / "base.html",
    ROOT / "templates" / "404.html",
    ROOT / "templates" / "403.html",
    ROOT / "templates" / "400.html",
    *sorted((ROOT / "templates" / "notices").rglob("*.html")),
    *sorted((ROOT / "templates" / "officer").rglob("*.html")),
    *sorted((ROOT / "notices" / "web").glob("*.py")),
    ROOT / "notices" / "display.py",
]


def every_entry(path: Path) -> dict:
    """Like read_po, but fuzzy entries kept (as untranslated)."""
    text = path.read_text(encoding="utf-8")
    fuzzy = set()
    for block in text.split("\n\n"):
        if re.search(r"^#,.*\bfuzzy\b", block, re.M):
            ids = re.findall(r'^msgid "(.*)"', block, re.M)
            fuzzy.update(ids)
    entries = read_po(path)
    msgid = lambda key: (key[0] if isinstance(key, tuple) else key).split("\x04")[-1]  # noqa: E731
    return {k: ("" if msgid(k) in fuzzy else v) for k, v in entries.items()} | {f: "" for f in fuzzy if f}


def source_messages() -> set[str]:
    messages = set()
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".html":
            messages |= set(re.findall(r'{% translate "([^"]+)"', text))
            messages |= set(re.findall(r"{% translate '([^']+)'", text))
            for body in re.findall(r"{% blocktranslate[^%]*%}(.*?){% endblocktranslate %}", text, re.S):
                messages.add(re.sub(r"{{ (\w+) }}", r"%(\1)s", body))
            messages |= set(re.findall(r'\|default:_\("([^"]+)"\)', text))
        else:
            messages |= set(re.findall(r'\b_\(\s*"((?:[^"\\]|\\.)+)"', text))
            messages |= {f"{c}\x04{m}" for c, m in re.findall(r'pgettext_lazy\("([^"]+)", "([^"]+)"\)', text)}
    return messages


def test_there_are_catalogues():
    assert {p.parts[-3] for p in CATALOGUES} == {"fi", "sv"}


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-3])
def test_no_msgid_is_untranslated_or_fuzzy(po):
    entries = every_entry(po)
    assert len(entries) > 200
    missing = sorted(k for k, v in entries.items() if not v)
    assert not missing, f"{po}: untranslated or fuzzy: {missing}"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-3])
def test_every_label_of_the_pages_is_in_the_catalogue(po):
    catalogue = read_po(po)
    wanted = source_messages()
    assert len(wanted) > 150
    missing = sorted(m for m in wanted if not catalogue.get(m))
    assert not missing, f"{po}: run locale/update and translate: {missing}"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-3])
def test_the_committed_mo_is_compiled_from_the_po(po):
    with open(po.with_suffix(".mo"), "rb") as handle:
        compiled = {k: v for k, v in gettext.GNUTranslations(handle)._catalog.items() if k}
    written = {k: v for k, v in read_po(po).items() if v}
    assert compiled == written, f"{po.with_suffix('.mo')} is stale: run locale/update (or msgfmt -o django.mo django.po)"


def test_placeholders_survive_translation():
    for po in CATALOGUES:
        for key, msgstr in read_po(po).items():
            msgid = key[0] if isinstance(key, tuple) else key
            assert sorted(re.findall(r"%\(\w+\)s", msgid)) == sorted(re.findall(r"%\(\w+\)s", msgstr)), (po, msgid)
