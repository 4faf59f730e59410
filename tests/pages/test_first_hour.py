"""What a new user met in the first hour (issue 17), on the pages: a cancelled notice counts no time
down, an invalid phone number is flagged as the PDF flags it."""

import pytest

from notices.records import Phone
from tests.pages.conftest import buyer_record, days, lang, save

pytestmark = pytest.mark.django_db


def test_a_cancelled_notice_counts_no_time_down(client):
    notice = save("c", "Peruttu urakka", [("questions", days(4)), ("tender", days(9))], status="cancelled")
    html = lang(client, "en").get(f"/notices/{notice.pk}/").content.decode()
    table = html[html.index('<table class="deadlines">'):html.index("</table>")]
    assert "9 days" not in table and "4 days" not in table
    assert table.count('<td class="col-left">cancelled</td>') == 2
    assert table.count("Time left: cancelled") == 2  # the phone layout's copy


def test_an_invalid_phone_number_is_flagged_on_the_page(client):
    buyer = buyer_record()
    bad = type(buyer)(**{**buyer.__dict__, "phone": Phone("040 123", None, False)})
    notice = save("p", "Puhelin", buyer=bad)
    html = lang(client, "en").get(f"/notices/{notice.pk}/").content.decode()
    contacts = html[html.index('id="contacts-heading"'):]
    assert "040 123" in contacts and "not a valid number; shown as written" in contacts
    assert 'href="tel:' not in contacts
    good = lang(client, "en").get(f"/notices/{save().pk}/").content.decode()
    assert "not a valid number" not in good and 'href="tel:+358201234567"' in good


def test_the_pdf_of_a_cancelled_notice_counts_no_time_down(db):
    import io

    from pypdf import PdfReader

    from notices import pdf

    notice = save("c", "Peruttu urakka", [("tender", days(9))], status="cancelled")
    _name, _type, data = pdf.render_summary(notice, "en")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "cancelled" in text and "9 d" not in text


def test_english_dates_are_european_and_unambiguous(client):
    import datetime as dt

    from django.utils import translation

    from notices.display import local_time
    from tests.pages.conftest import HELSINKI

    at = dt.datetime(2026, 12, 13, 15, 0, tzinfo=HELSINKI)
    with translation.override("en"):
        assert local_time(at) == "13 Dec 2026, 15:00"
    with translation.override("fi"):
        assert local_time(at) == "13. joulukuuta 2026 kello 15.00"
    midnight = dt.datetime(2026, 6, 1, tzinfo=HELSINKI)
    assert local_time(midnight, short=True, publication=True) == "1.6.2026"  # the PDF's form
    assert local_time(midnight, short=True) == "1.6.2026 00.00"  # a deadline keeps its time
    notice = save("d", "Päivämäärät", [("tender", at)])
    html = lang(client, "en").get(f"/notices/{notice.pk}/").content.decode()
    assert "13 Dec 2026, 15:00" in html and "p.m." not in html and "Dec." not in html


@pytest.mark.parametrize(
    "published",
    ["2026-11-02T00:00:00+02:00", "2026-06-01T00:00:00+03:00", "2026-06-01T00:00:00+02:00",
     "2026-06-01T00:00:00+01:00", "2026-06-01T00:00:00+00:00"],
)
def test_a_publication_date_without_a_time_is_shown_as_a_date(client, published):
    import datetime as dt

    at = dt.datetime.fromisoformat(published)
    notice = save("d", "Päivämäärä", published_at=at)
    html = lang(client, "fi").get(f"/notices/{notice.pk}/").content.decode()
    facts = html[html.index("Julkaistu"):]
    facts = facts[: facts.index("</dd>")]
    day = "2. marraskuuta 2026" if at.month == 11 else "1. kesäkuuta 2026"
    assert day in facts and "kello" not in facts


def test_a_publication_with_its_time_keeps_it(client):
    import datetime as dt

    notice = save("t", "Kellonaika", published_at=dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC))
    html = lang(client, "fi").get(f"/notices/{notice.pk}/").content.decode()
    assert "1. kesäkuuta 2026 kello 12.30" in html


def test_the_pdf_file_name_keeps_the_dash_of_a_range(client):
    notice = save("r", "Koulujen siivous 2028–2031")
    response = client.get(f"/notices/{notice.pk}/summary.pdf?lang=fi")
    assert f'filename="koulujen-siivous-2028-2031-{notice.pk}-fi.pdf"' in response["Content-Disposition"]


def test_after_bad_search_input_no_count_is_claimed_and_the_clear_link_stays(client, db):
    save()
    html = lang(client, "en").get("/?cpv=45abc&q=tie").content.decode()
    heading = html[html.index('id="results-heading"'):]
    heading = heading[: heading.index("</h2>")]
    assert "(0)" not in heading and "count" not in heading
    assert "Correct the search above." in html
    assert 'href="/">Clear the filters</a>' in html


@pytest.mark.parametrize("language, heading, words", [
    ("fi", "Sivua ei löytynyt", "Ilmoitusta 999999 ei ole."),
    ("sv", "Sidan hittades inte", "Det finns ingen annons 999999."),
    ("en", "Page not found", "There is no notice 999999."),
])
def test_a_missing_page_is_in_the_site_layout_and_language_and_says_what(client, db, language, heading, words):
    response = lang(client, language).get("/notices/999999/")
    html = response.content.decode()
    assert response.status_code == 404
    assert f'<html lang="{language}">' in html and 'class="site-header"' in html
    assert f"<h1>{heading}</h1>" in html and words in html
    unknown = lang(client, language).get("/no/such/page/")
    assert unknown.status_code == 404 and heading in unknown.content.decode()


def test_a_bad_feed_filter_says_why_in_the_page_language_without_a_traceback(client, db, caplog):
    response = lang(client, "en").get("/feeds/notices.atom?cpv=4x&within=-1")
    html = response.content.decode()
    assert response.status_code == 400 and 'class="site-header"' in html
    assert "CPV code: Give the leading digits of a CPV code" in html
    assert "Closing within (days): Ensure this value is greater than or equal to 1." in html
    calendar = lang(client, "fi").get("/feeds/deadlines.ics?within=x")
    assert calendar.status_code == 400 and "Syötä kokonaisluku." in calendar.content.decode()
    assert not [r for r in caplog.records if r.exc_info], "a client's bad filter is no error with a traceback"


def test_a_bad_pdf_language_is_the_400_page(client, db):
    notice = save()
    response = lang(client, "en").get(f"/notices/{notice.pk}/summary.pdf?lang=de")
    assert response.status_code == 400 and "lang: give one of fi, sv, en." in response.content.decode()


def test_a_refusal_is_the_sites_403_page_in_the_page_language(client, db):
    from notices.models import Buyer
    from tests.pages.conftest import officer

    notice = save()
    client.force_login(officer("olli", Buyer.objects.get()))
    response = lang(client, "sv").get(f"/officer/notices/{notice.pk}/")  # ingested: changed only at its source
    html = response.content.decode()
    assert response.status_code == 403 and '<html lang="sv">' in html and "<h1>Inte tillåtet</h1>" in html
