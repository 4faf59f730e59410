"""`manage.py ingest --explain`: per web-page item, taken or not and why, on stderr; and never a silent
zero: an item that looks like procurement but yields no notice is named in a warning."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from notices.models import Notice

pytestmark = pytest.mark.django_db

URL = "https://www.esimerkkila.example/ajankohtaista"
PAGE = """<!DOCTYPE html><html lang="fi"><head><meta charset="utf-8"><title>Esimerkkilän kunta</title></head>
<body><main><h1>Ajankohtaista</h1>
<article><h2>Tarjouspyyntö: Lumityöt 2026</h2><p>Esimerkkilän kunta pyytää tarjouksia lumitöistä.</p>
<p>Tarjoukset viimeistään 5.3.2026 klo 12.</p></article>
<article><h2>Hankintalaki uudistuu</h2><p>Uusi hankintalaki tulee voimaan 1.1.2026.
Tarjouspyynnöissä on huomioitava uudet säännöt.</p></article>
<article><h2>Kirjaston aukioloajat</h2><p>Avoinna ma–pe klo 10–19.</p></article>
</main></body></html>"""


def run(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("ingest", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_explain_says_per_item_on_stderr_and_leaves_the_json_alone(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    code, plain_out, _ = run("--dry-run", "--json", str(page), "--url", URL)
    code, out, err = run("--dry-run", "--json", "--explain", str(page), "--url", URL)
    assert code == 0
    assert out == plain_out  # the --json contract on stdout is unchanged
    (notice,) = [json.loads(line) for line in out.splitlines()]
    assert notice["title"] == "Lumityöt 2026"
    explained = [line for line in err.splitlines() if line.startswith("explain: ")]
    assert explained == [
        f"explain: {page}: taken: 'Tarjouspyyntö: Lumityöt 2026': it sets a tender deadline: "
        "'Tarjoukset viimeistään 5.3.2026 klo 12.'",
        f"explain: {page}: SUSPICIOUS, not taken: 'Hankintalaki uudistuu': it mentions procurement but asks "
        "for no tenders: no tender or participation deadline",
        f"explain: {page}: not taken: 'Kirjaston aukioloajat': nothing about procurement",
    ]
    assert "read: 1, rejected: 0" in err
    assert Notice.objects.count() == 0


def test_an_item_that_looks_like_procurement_is_named_in_a_warning_without_explain(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    code, out, err = run(str(page), "--url", URL)
    assert code == 0 and "new: 1" in out
    (warning,) = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert "'Hankintalaki uudistuu' looks like procurement (the word tarjou…)" in warning
    assert "explain:" not in err


def test_the_issues_joomla_page_is_no_silent_zero_any_more(tmp_path):
    """`read: 0, rejected: 0` for a Joomla 1.0 page that says "Kansallinen hankintailmoitus", gives a
    Y-tunnus, a tender deadline, a phone, a fax and an e-mail: now it is read."""
    page = tmp_path / "joomla.html"
    page.write_bytes(
        (
            '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head><body>'
            "<table class='contentpaneopen'><tr><td class='contentheading'>Kansallinen hankintailmoitus: "
            "Koulukuljetukset</td></tr></table><table class='contentpaneopen'><tr><td><p>Hankintayksikkö: "
            "Iitin kunta<br>Y-tunnus: 0153052-1</p><p>Tarjousaika 25.11.2025–2.2.2026 klo 12.00.</p>"
            "<p>Puh. 020 615 3000, faksi 020 615 3009, kirjaamo@iitti.fi</p></td></tr></table></body></html>"
        ).encode("cp1252")  # declared ISO-8859-1 with an en dash pasted from Word, as such pages are
    )
    code, out, err = run("--dry-run", "--json", "--explain", str(page), "--url", URL)
    assert code == 0
    (notice,) = [json.loads(line) for line in out.splitlines()]
    assert notice["title"] == "Koulukuljetukset" and notice["buyers"][0]["name"] == "Iitin kunta"
    assert "read: 1, rejected: 0" in err
