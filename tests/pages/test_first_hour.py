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
    assert table.count("<td>cancelled</td>") == 2


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
