"""The compiled catalogues are committed (no gettext needed to run): they must match their sources."""

import gettext
import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "scheduler" / "locale"


def read_po(path: Path) -> dict:
    """msgid (or (msgid, plural)) -> msgstr (or list of plural forms), for the entries of a .po file."""
    entries, current, key = {}, {}, None

    def flush():
        if current.get("msgid"):
            if "fuzzy" in current.get("flags", ""):
                entries[current["msgid"]] = None
            elif "msgid_plural" in current:
                forms = [current[k] for k in sorted(k for k in current if k.startswith("msgstr["))]
                entries[(current["msgid"], current["msgid_plural"])] = forms
            else:
                entries[current["msgid"]] = current.get("msgstr", "")

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            flush()
            current, key = {}, None
        elif line.startswith("#,"):
            current["flags"] = line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] += _unquote(line)
        else:
            key, _, rest = line.partition(" ")
            current[key] = _unquote(rest)
    return entries


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text[1:-1])


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_every_string_is_translated_and_the_mo_file_is_up_to_date(language):
    folder = LOCALE / language / "LC_MESSAGES"
    entries = read_po(folder / "django.po")
    assert len(entries) > 40
    untranslated = [k for k, v in entries.items() if not v or (isinstance(v, list) and not all(v))]
    assert not untranslated, f"{language}: untranslated or fuzzy: {untranslated}"
    with open(folder / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for key, value in entries.items():
        if isinstance(key, tuple):
            assert [compiled.ngettext(key[0], key[1], n) for n in (1, 2)] == value, (
                f"{language}: django.mo is older than django.po; run scheduler/locale/update"
            )
        else:
            assert compiled.gettext(key) == value, f"{language}: django.mo is older than django.po ({key!r})"
