"""The notice page: everything a bidder needs, the change history, the PDF summary."""

import datetime as dt

import pytest

from notices.models import Notice
from tests.pages.conftest import days, lang, save

pytestmark = pytest.mark.django_db


def test_it_shows_the_notice(client, notice):
    response = lang(client, "en").get(f"/notices/{notice.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Tienhoidon urakka 2027 (en)</h1>" in html  # the title in the page's language...
    assert "Tienhoidon urakka 2027</p>" in html  # ...and as written
    assert '<a href="/buyers/0206714-5/">Kymenlaakson Liitto</a>' in html
    assert "45233000" in html and "Kuvaus urakasta." in html
    assert 'href="https://example.fi/docs/tarjouspyynto.pdf"' in html
    assert 'href="javascript:alert(1)"' not in html and "javascript:alert(1)" in html  # shown, never a link
    assert 'href="mailto:hankinnat@example.fi"' in html and 'href="tel:+358201234567"' in html
    assert "Kauppakatu 1, 45100 Kouvola" in html
    assert f'href="/notices/{notice.pk}/summary.pdf?lang=en"' in html


def test_every_deadline_by_lot_and_kind_in_local_time_and_utc(client, notice):
    html = lang(client, "fi").get(f"/notices/{notice.pk}/").content.decode()
    groups = client.get(f"/notices/{notice.pk}/").context["deadline_groups"]
    assert [(g["lot"], [r["kind"] for r in g["rows"]]) for g in groups] == [
        ("", ["Tarjousten määräaika"]),
        ("1", ["Kysymysten määräaika"]),
        ("2", ["Tarjousten määräaika"]),
    ]
    tender = days(10)
    assert tender.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") in html
    assert f'<time datetime="{tender.astimezone(dt.UTC).isoformat()}">' in html
    assert "Osa 1: Osa 1" in html and "Koko hankinta" in html


def test_the_history_says_what_moved_from_and_to(client, notice):
    old, new = days(10), days(15)
    save(deadlines=[("questions", days(5), "1"), ("tender", new), ("tender", days(12), "2")], lots=("1", "2"))
    response = lang(client, "en").get(f"/notices/{notice.pk}/")
    html = response.content.decode()
    versions = response.context["versions"]
    assert [v["number"] for v in versions] == [2, 1]
    moved = versions[0]["items"][0]
    assert moved["type"] == "moved" and moved["what"] == "Tender deadline"
    assert moved["old"]["iso"] == old.astimezone(dt.UTC).isoformat()
    assert moved["new"]["iso"] == new.astimezone(dt.UTC).isoformat()
    assert "Tender deadline moved" in html and "<del>" in html and "<ins>" in html
    assert '<span class="tag">moved</span>' in html
    assert "first version" in html


def test_the_pdf_summary_button_gives_the_pdf(client, notice):
    url = client.get(f"/notices/{notice.pk}/").context["pdf_url"]
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_a_missing_notice_is_404(client, db):
    assert client.get("/notices/999999/").status_code == 404


def test_a_cancelled_notice_says_so_and_offers_no_follow_form(client):
    n = save(status="cancelled")
    response = lang(client, "en").get(f"/notices/{n.pk}/")
    assert response.context["follow_form"] is None
    assert "This notice has been cancelled." in response.content.decode()


def test_a_closed_call_offers_no_follow_form(client):
    n = save(deadlines=[("tender", days(-3))])
    response = lang(client, "en").get(f"/notices/{n.pk}/")
    assert response.context["follow_form"] is None
    assert "This call is closed" in response.content.decode()


def test_the_follow_form_offers_the_notices_own_deadlines_and_lots(client, notice):
    form = client.get(f"/notices/{notice.pk}/").context["follow_form"]
    assert [k for k, _ in form.fields["deadlines"].choices] == ["tender", "questions"]
    assert [k for k, _ in form.fields["lot"].choices] == ["", "1", "2"]
    assert [k for k, _ in form.fields["before"].choices] == ["P7D", "P1D", "PT2H"]
    assert form.initial["deadlines"] == ["tender"] and form.initial["before"] == ["P7D", "P1D", "PT2H"]


def test_the_notice_link_of_the_reminder_mails_is_this_page(client, notice):
    from notices import display

    path = display.notice_url(notice.pk).split("8000", 1)[1]
    assert client.get(path).status_code == 200
    assert Notice.objects.count() == 1


def test_the_seed_notice_page_shows_its_contacts_fax_included(client):
    from io import StringIO

    from django.core.management import call_command

    from tests.conftest import corpus_path

    page = corpus_path("fi-web", "kymenlaakso-2016-05.html")
    call_command("ingest", str(page), "--url", "http://www.kymenlaakso.fi/", stdout=StringIO())
    notice = Notice.objects.get()
    html = lang(client, "fi").get(f"/notices/{notice.pk}/").content.decode()
    assert 'href="mailto:kirjaamo@kymenlaakso.fi"' in html
    assert "<dt>Faksi</dt><dd>+35852308910</dd>" in html
    assert "+354447478502" in html and 'href="tel:+354447478502"' not in html  # invalid: shown, not dialled
    assert "PL 35, 48601 Kotka" in html


def test_a_deadline_read_without_its_year_says_so_in_the_page_language(client):
    """An item published 20.12.2016 whose deadlines leave the year out ("pe 3.2. klo 13")."""
    from io import StringIO
    from pathlib import Path

    from django.core.management import call_command

    page = Path(__file__).resolve().parents[1] / "data" / "fi-web" / "vuodeton-2017-01.html"
    call_command("ingest", str(page), "--url", "https://www.esimerkkila.example/ajankohtaista", stdout=StringIO())
    notice = Notice.objects.get()
    english = lang(client, "en").get(f"/notices/{notice.pk}/").content.decode()
    assert english.count("no year was given: taken from the publication date") == 2
    assert "2017-02-03 11:00 UTC" in english
    finnish = lang(client, "fi").get(f"/notices/{notice.pk}/").content.decode()
    assert "no year was given" not in finnish and finnish.count("vuosi päätelty julkaisupäivästä") == 2
