"""Issue 15 on the pages: statuses, the new filters and their errors beside the fields, CPV names and the
CPV picker, the CSV export, and the README's feed example."""

from __future__ import annotations

import csv
import io

import pytest

from tests.pages.conftest import buyer_record, days, lang, save

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return [item["title"] for item in response.context["items"]]


def test_closed_and_cancelled_notices_can_be_found(client):
    save("open", "Avoin koulukuljetus", [("tender", days(3))])
    save("closed", "Päättynyt koulukuljetus", [("tender", days(-3))])
    save("cancelled", "Peruttu koulukuljetus", [("tender", days(5))], status="cancelled")
    assert titles(client.get("/?q=koulukuljetus")) == ["Avoin koulukuljetus"]
    assert titles(client.get("/?q=koulukuljetus&status=closed")) == ["Päättynyt koulukuljetus"]
    assert titles(client.get("/?q=koulukuljetus&status=cancelled")) == ["Peruttu koulukuljetus"]
    assert titles(client.get("/?q=kuljetus&status=all")) == [
        "Avoin koulukuljetus", "Peruttu koulukuljetus", "Päättynyt koulukuljetus"]


def test_words_inside_compounds_and_inflections_on_the_page(client):
    save("a", "Alakoulun siivous", [("tender", days(3))])
    save("b", "Renovering av Sjöstrands lågstadieskola", [("tender", days(4))])
    assert titles(client.get("/?q=koulu")) == ["Alakoulun siivous"]
    assert titles(client.get("/?q=skola")) == ["Renovering av Sjöstrands lågstadieskola"]
    assert titles(client.get("/?q=koulun")) == ["Alakoulun siivous"]


@pytest.mark.parametrize(
    "query, field, text",
    [
        ("buyer=2345678-1", "buyer", "should be 0 (2345678-0)"),
        ("buyer=123", "buyer", "is not a business ID"),
        ("value_min=10&value_max=5", "value_max", "wrong way round"),
        ("region=XX9", "region", "There is no region XX9"),
        ("cpv=99999", "cpv", "No CPV code begins with 99999"),
    ],
)
def test_an_invalid_filter_says_what_is_wrong_beside_its_field(client, code_labels, query, field, text):
    save()
    response = lang(client, "en").get(f"/?{query}")
    assert response.status_code == 200
    assert field in response.context["form"].errors
    html = response.content.decode()
    assert text in html and f'id="id_{field}_error"' in html


def test_the_same_error_in_finnish(client):
    save()
    html = lang(client, "fi").get("/?buyer=2345678-1").content.decode()
    assert "2345678-0" in html and 'id="id_buyer_error"' in html


def test_cpv_codes_have_their_names_and_the_picker_suggests_codes_by_name(client, code_labels):
    save("a", "Koulujen siivous", [("tender", days(2))], cpv=("90910000",))
    html = lang(client, "fi").get("/").content.decode()
    assert "90910000" in html and "Siivous- ja puhdistuspalvelut" in html
    assert "Cleaning services" in lang(client, "en").get("/").content.decode()
    response = lang(client, "fi").get("/?cpv_name=siivous")
    suggestions = response.context["cpv_suggestions"]
    assert suggestions[0]["code"] == "90910000" and suggestions[0]["name"] == "Siivous- ja puhdistuspalvelut"
    assert suggestions[0]["url"] == "?cpv=90910000"
    assert titles(client.get(suggestions[0]["url"].replace("?", "/?"))) == ["Koulujen siivous"]


def test_the_notice_page_and_the_atom_feed_name_the_cpv_codes(client, code_labels):
    n = save("a", "Koulujen siivous", [("tender", days(2))], cpv=("90910000",), nuts=("FI1B1",))
    html = lang(client, "sv").get(f"/notices/{n.pk}/").content.decode()
    assert "90910000" in html and "Städning" in html and "Helsinki-Uusimaa" in html
    atom = client.get("/feeds/notices.atom?lang=en").content.decode()
    assert "90910000 Cleaning services" in atom


def test_the_csv_export_opens_in_a_finnish_spreadsheet(client, code_labels):
    save("a", "Hämeenlinnan koulujen siivous", [("tender", days(2))], cpv=("90910000",), estimated_value=1234.5,
         currency="EUR", buyer=buyer_record("Hämeenlinnan kaupunki", "0139484-9"))
    save("b", "Tienhoito", [("tender", days(5))], cpv=("45233000",))
    save("c", "=HYPERLINK(\"x\")", [("tender", days(9))], cpv=("45233000",))
    response = lang(client, "fi").get("/notices.csv?cpv=90")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.streaming
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the file as UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["id", "otsikko", "ostaja"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["otsikko"] == "Hämeenlinnan koulujen siivous" and row["ostaja"] == "Hämeenlinnan kaupunki"
    assert row["y-tunnus"] == "0139484-9" and row["CPV-nimet"] == "Siivous- ja puhdistuspalvelut"
    assert row["arvioitu arvo"] == "1234,50" and row["tila"] == "avoin"
    commas = b"".join(client.get("/notices.csv?sep=,&lang=en").streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(commas)))
    assert rows[0][1] == "title" and [r[1] for r in rows[1:]] == [  # the English titles of tests' notices
        "Hämeenlinnan koulujen siivous (en)", "Tienhoito (en)", "'=HYPERLINK(\"x\") (en)"]
    assert client.get("/notices.csv?buyer=2345678-1").status_code == 400


def test_the_api_csv_export_has_the_same_filters(client, code_labels):
    save("a", "Koulujen siivous", [("tender", days(2))], cpv=("90910000",))
    save("b", "Tienhoito", [("tender", days(5))], cpv=("45233000",))
    body = b"".join(client.get("/api/notices.csv?q=siivous&lang=en").streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert [r[1] for r in rows[1:]] == ["Koulujen siivous (en)"]
    bad = client.get("/api/notices.csv?buyer=2345678-1")
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["path"] == ["query", "buyer"]


def test_the_readme_feed_example_finds_the_sample_school(client, db):
    from django.core.management import call_command

    call_command("load_samples")
    body = client.get("/feeds/deadlines.ics?q=koulu&cpv=4521").content.decode()
    assert "BEGIN:VEVENT" in body and "alakoulun" in body.lower()
