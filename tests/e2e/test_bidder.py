"""A bidder, in a real browser: open calls → a notice → its PDF → its buyer; follows the notice with an
e-mail address, gets the confirmation mail on a real SMTP server, opens its link, and the reminders are
scheduled; sees them on "your reminders" and stops them."""

import io
import re

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from notices.models import Notice
from scheduler.models import Reminder, Subscription
from tests.e2e.conftest import expect, look

pytestmark = pytest.mark.django_db(transaction=True)


def test_home_notice_pdf_buyer(page, live_server):
    call_command("load_samples", stdout=io.StringIO())
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Avoimet tarjouspyynnöt"
    cards = page.locator(".cards .card-title a")
    assert cards.count() == Notice.objects.filter(status="active").count() == 4
    look(page, "home-fi")

    # Search: text and CPV, with the API's search.
    page.fill("#id_q", "peruskorjaus")
    page.click("button.primary")
    expect(cards).to_have_text(["Järvenrannan alakoulun peruskorjaus"])
    page.fill("#id_cpv", "45abc")
    page.click("button.primary")
    assert "CPV-koodin alkunumerot" in page.locator("#id_cpv_error").inner_text()
    look(page, "home-search-error")
    page.goto(live_server.url + "/?cpv=45")
    title = cards.first.inner_text()
    cards.first.click()

    assert page.locator("h1").inner_text() == title
    expect(page.locator("table.deadlines tbody tr").nth(2)).to_be_attached()
    assert "UTC" in page.locator("table.deadlines").inner_text()
    look(page, "notice")

    with page.expect_download() as download:
        page.click("text=PDF-tiivistelmä")
    data = open(download.value.path(), "rb").read()
    assert data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert title.split()[0] in text and "Tarjousten määräaika" in text

    page.click(".facts a[href^='/buyers/']")
    assert page.url.startswith(live_server.url + "/buyers/")
    assert title in page.locator(".cards").inner_text()
    look(page, "buyer")


def test_follow_confirm_by_mail_see_and_stop_reminders(page, live_server, smtp):
    call_command("load_samples", stdout=io.StringIO())
    notice = Notice.objects.get(source="ocds")
    page.goto(f"{live_server.url}/notices/{notice.pk}/")

    # A mistake first: the error is shown beside the field, the form keeps what was typed.
    page.fill("#id_email", "not-an-address")
    page.click("text=Lähetä minulle vahvistuslinkki")
    expect(page.locator("#follow .has-error").nth(0)).to_be_attached()
    look(page, "notice-follow-error")

    page.fill("#id_email", "bidder@example.fi")
    page.uncheck("#follow input[value='PT2H']")
    page.click("text=Lähetä minulle vahvistuslinkki")
    assert page.locator("h1").inner_text() == "Katso sähköpostisi"
    look(page, "follow-sent")
    subscription = Subscription.objects.get()
    assert subscription.status == "pending" and subscription.before == ["P7D", "P1D"]
    assert not Reminder.objects.exists()

    assert smtp.wait(lambda: smtp.to("bidder@example.fi"), timeout=20), "no confirmation mail arrived"
    message = smtp.to("bidder@example.fi")[0]
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"(https?://[^/\s]+/subscriptions/confirm/\S+/)", body).group(1)
    assert link.startswith(live_server.url)

    page.goto(link)
    assert page.locator("h1").inner_text() == "Muistutukset vahvistettu"
    look(page, "confirmed")
    states = list(Reminder.objects.values_list("state", flat=True))
    assert states and set(states) == {"scheduled"}

    page.click("text=Katso muistutuksesi")
    expect(page.locator("table tbody tr")).to_have_count(len(states))
    look(page, "your-reminders")
    calendar = page.request.get(page.locator("#calendar-url").input_value())
    assert calendar.ok and f"UID:deadline-{notice.pk}-" in calendar.text()

    # The mail's own unsubscribe link (every mail has one): a page with a button, then unsubscribed.
    unsubscribe = re.search(r"(https?://[^/\s]+/subscriptions/unsubscribe/\S+/)", body).group(1)
    page.goto(unsubscribe)
    look(page, "unsubscribe")
    assert Subscription.objects.get().status == "active"  # opening the link alone changes nothing
    page.click("form button.primary")
    page.wait_for_load_state()
    assert Subscription.objects.get().status == "unsubscribed"
    look(page, "unsubscribed")
    assert set(Reminder.objects.values_list("state", flat=True)) == {"cancelled"}
