"""Pages reached from the mails: confirm, unsubscribe, "your reminders" and its calendar feed."""

import pytest
from icalendar import Calendar

from notices.display import ics_uid
from scheduler import links, planning
from scheduler.mail import Builder
from scheduler.models import Reminder, Subscription
from tests.pages.conftest import lang

pytestmark = pytest.mark.django_db


def path(url: str) -> str:
    return url.split("127.0.0.1:8000", 1)[1]


def subscribe(notice, *, confirm=True, language="fi", **kw) -> Subscription:
    subscription = Subscription(
        email=kw.pop("email", "bidder@example.fi"), notice=notice, deadlines=kw.pop("deadlines", ["tender"]),
        before=["P7D", "P1D"], language=language, **kw,
    )
    subscription.new_token()
    subscription.save()
    if confirm:
        planning.confirm(subscription)
    return subscription


def test_the_confirmation_page_links_your_reminders(client, notice):
    subscription = subscribe(notice, confirm=False, language="en")
    html = client.get(path(links.confirm_url(subscription.pk))).content.decode()
    assert "Reminders confirmed" in html and path(links.reminders_url(subscription.pk)) in html
    assert '<html lang="en">' in html


def test_your_reminders_lists_what_is_planned(client, notice):
    subscription = subscribe(notice)
    response = lang(client, "en").get(path(links.reminders_url(subscription.pk)))
    assert response.status_code == 200
    rows = response.context["reminders"]
    assert len(rows) == Reminder.objects.count() == 4
    assert {r["state"] for r in rows} == {"scheduled"}
    html = response.content.decode()
    assert "Your reminders" in html and "7 days before" in html and "bidder@example.fi" in html
    # Copied into a calendar program: absolute, on the host the page was asked from, not SITE_URL's.
    assert f'value="http://testserver{links.calendar_path(subscription.pk)}"' in html
    assert path(links.unsubscribe_url(subscription.pk)) in html


def test_your_reminders_lists_the_addresss_other_subscriptions(client, notice, other_buyer):
    first = subscribe(notice)
    other = subscribe(other_buyer.notices.get(), email="BIDDER@example.fi")
    subscribe(notice, email="someone@example.fi")
    response = client.get(path(links.reminders_url(first.pk)))
    assert [o["url"] for o in response.context["others"]] == [links.reminders_path(other.pk)]


@pytest.mark.parametrize("token", ["1:forged", "nonsense", "1"])
def test_a_forged_token_is_404(client, notice, token):
    subscribe(notice)
    assert client.get(f"/subscriptions/{token}/").status_code == 404
    assert client.get(f"/subscriptions/{token}/calendar.ics").status_code == 404


def test_an_unsubscribe_token_opens_no_reminders_page(client, notice):
    subscription = subscribe(notice)
    assert client.get(f"/subscriptions/{links.unsubscribe_token(subscription.pk)}/").status_code == 404


def test_the_subscription_calendar_has_the_mails_uids(client, notice):
    subscription = subscribe(notice, deadlines=["tender", "questions"])
    response = client.get(path(links.calendar_url(subscription.pk)))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    uids = {str(e["UID"]) for e in events}
    assert uids == {ics_uid(notice.pk, "", "tender"), ics_uid(notice.pk, "2", "tender"), ics_uid(notice.pk, "1", "questions")}
    # The .ics a reminder mail attaches has the same UID and SEQUENCE for its deadline.
    reminder = Reminder.objects.select_related("subscription__notice", "deadline").filter(deadline__lot="").first()
    mailed = Builder().reminder(reminder)
    part = next(p for p in mailed.attachments if getattr(p, "get_content_type", lambda: "")() == "text/calendar")
    mailed_event = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")[0]
    fed = next(e for e in events if str(e["UID"]) == str(mailed_event["UID"]))
    assert fed["SEQUENCE"] == mailed_event["SEQUENCE"] and fed["DTSTART"].dt == mailed_event["DTSTART"].dt


def test_the_calendar_is_empty_until_confirmed_and_after_unsubscribing(client, notice):
    pending = subscribe(notice, confirm=False)
    assert not Calendar.from_ical(client.get(path(links.calendar_url(pending.pk))).content).walk("VEVENT")
    active = subscribe(notice)
    planning.unsubscribe(active)
    assert not Calendar.from_ical(client.get(path(links.calendar_url(active.pk))).content).walk("VEVENT")


def test_unsubscribing_still_works_from_the_restyled_pages(client, notice):
    subscription = subscribe(notice, language="sv")
    url = path(links.unsubscribe_url(subscription.pk))
    page = client.get(url).content.decode()
    assert '<html lang="sv">' in page and f'action="{url}"' in page
    assert path(links.reminders_url(subscription.pk)) in page  # every mail's footer link leads there too
    client.post(url)
    assert Subscription.objects.get(pk=subscription.pk).status == "unsubscribed"
    assert not Reminder.objects.filter(subscription=subscription, state="scheduled").exists()


def test_pages_link_to_the_site_they_are_served_from_not_to_site_url(client, notice, settings):
    """SITE_URL is for mails; a page reached at another address (bin/run with ADDRESS, a proxy) links to
    that address, never to SITE_URL's host or port."""
    subscription = subscribe(notice, confirm=False, language="en")
    confirm, unsubscribe = path(links.confirm_url(subscription.pk)), path(links.unsubscribe_url(subscription.pk))
    reminders = path(links.reminders_url(subscription.pk))
    settings.SITE_URL = "http://mail-links.example:8000"
    for url in (confirm, reminders, unsubscribe):
        html = client.get(url).content.decode()
        assert "mail-links.example" not in html and ":8000" not in html, url
