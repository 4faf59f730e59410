"""The fi and sv labels: every label is translated, and the committed .mo files match their .po files
(CI machines need no msgfmt; after editing a .po, run `msgfmt -o django.mo django.po` and commit both)."""

import ast
import gettext
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("fi", "sv")


def read_po(path: Path) -> dict:
    """msgid (with msgctxt + \\x04 in front when there is one) -> msgstr, and (msgid, n) -> msgstr[n] for
    plural forms, as gettext's own catalogue keys them; fuzzy entries are left out, as msgfmt leaves them out."""
    entries, current, field, fuzzy = {}, {}, None, False

    def finish():
        nonlocal current, fuzzy
        if "msgid" in current and current["msgid"] and not fuzzy:
            key = current["msgid"]
            if "msgctxt" in current:
                key = current["msgctxt"] + "\x04" + key
            if "msgid_plural" in current:
                for name, value in current.items():
                    if name.startswith("msgstr["):
                        entries[(key, int(name[7:-1]))] = value
            else:
                entries[key] = current.get("msgstr", "")
        current, fuzzy = {}, False

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = line.strip()
        if not line:
            finish()
        elif line.startswith("#,"):
            fuzzy = "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[field] += ast.literal_eval(line)
        else:
            field, _, value = line.partition(" ")
            current[field] = ast.literal_eval(value)
    return entries


def source_messages() -> set[str]:
    """Every label the PDF summary translates: {% translate %} / {% blocktranslate %} in templates/pdf,
    gettext calls in notices/pdf/ and in notices/display.py (the labels and formats it shares)."""
    messages = set()
    for template in (ROOT / "templates" / "pdf").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        messages |= set(re.findall(r'{% translate "([^"]+)" %}', text))
        for body in re.findall(r"{% blocktranslate[^%]*%}(.*?){% endblocktranslate %}", text, re.S):
            messages.add(re.sub(r"{{ (\w+) }}", r"%(\1)s", body))
    code = "\n".join(
        path.read_text(encoding="utf-8") for path in [*(ROOT / "notices" / "pdf").glob("*.py"), ROOT / "notices" / "display.py"]
    )
    messages |= set(re.findall(r'\b(?:_|gettext|gettext_lazy)\("([^"]+)"\)', code))
    messages |= {f"{ctx}\x04{msg}" for ctx, msg in re.findall(r'pgettext_lazy\("([^"]+)", "([^"]+)"\)', code)}
    return messages


@pytest.mark.parametrize("lang", LANGS)
def test_every_pdf_label_is_translated(lang):
    catalog = read_po(ROOT / "locale" / lang / "LC_MESSAGES" / "django.po")
    wanted = source_messages()
    assert len(wanted) > 50
    missing = sorted(m for m in wanted if not catalog.get(m))
    assert not missing, f"untranslated in {lang}: {missing}"


@pytest.mark.parametrize("lang", LANGS)
def test_the_compiled_mo_matches_the_po(lang):
    folder = ROOT / "locale" / lang / "LC_MESSAGES"
    with open(folder / "django.mo", "rb") as handle:
        compiled = {k: v for k, v in gettext.GNUTranslations(handle)._catalog.items() if k}
    written = {k: v for k, v in read_po(folder / "django.po").items() if v}
    assert compiled == written, f"{folder}/django.mo is stale: run msgfmt -o django.mo django.po there"


def test_django_uses_the_translations():
    from django.utils import translation

    expected_labels = {"fi": "Tarjousten määräaika", "sv": "Sista dag för anbud", "en": "Tender deadline"}
    for lang, expected in expected_labels.items():
        with translation.override(lang):
            assert translation.gettext("Tender deadline") == expected
