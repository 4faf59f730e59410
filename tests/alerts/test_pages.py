"""The pages: save a search as an alert from the home page, follow a buyer, confirm and stop by the links
in the mails, "remind me of this deadline" in one step, the alert's page and Atom feed, and the page of
one address with every reminder and alert, each editable and removable, and its calendar."""

import re

import pytest
import time_machine
from django.test import Client
from icalendar import Calendar

from scheduler import links
from scheduler.models import Alert, Subscription
from tests.alerts.conftest import digests, make_alert, match, save, send, text_of, utc
from tests.scheduler.conftest import subscribe

pytestmark = pytest.mark.django_db
NOW = utc(2027, 5, 3, 9, 0)


def local_path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


@time_machine.travel(NOW, tick=False)
def test_save_the_home_pages_search_as_an_alert_and_confirm_it(smtp, django_capture_on_commit_callbacks):
    client = Client(HTTP_ACCEPT_LANGUAGE="fi")
    home = client.get("/", {"q": "tienhoito", "cpv": "4523", "within": "30"})
    link = re.search(r'href="(/alerts/new/\?[^"]+)"', home.content.decode()).group(1).replace("&amp;", "&")
    page = client.get(link)
    assert page.status_code == 200 and "tienhoito · CPV 4523" in page.content.decode()
    form = {"email": "bidder@example.fi", "frequency": "daily", "hour": "7", "weekday": "0", "name": ""}
    form.update(re.findall(r'<input type="hidden" name="(f_\w+)" value="([^"]*)"', page.content.decode()))
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/alerts/new/", form)
    assert answer.status_code == 302 and answer["Location"] == "/alerts/sent/"
    alert = Alert.objects.get()
    assert alert.filters == {"q": "tienhoito", "cpv": "4523"} and alert.status == "pending"  # no "within"
    (mail,) = smtp.messages
    confirm = re.search(r"(/alerts/confirm/[^\s]+/)", text_of(mail)).group(1)
    assert client.get(confirm).status_code == 200
    assert Alert.objects.get().status == "active"


def test_follow_this_buyer():
    buyer = save("n-1").notice.buyers.get()
    page = Client().get(f"/buyers/{buyer.pk}/").content.decode()
    link = re.search(r'href="(/alerts/new/\?[^"]+)"', page).group(1).replace("&amp;", "&")
    assert "buyer=0206714-5" in link
    assert "0206714-5" in Client().get(link).content.decode()


@time_machine.travel(NOW, tick=False)
def test_remind_me_of_this_deadline_starts_reminders_in_one_step_and_the_alert_page_lists_it(smtp):
    alert = make_alert({"q": "tienhoito"}, email="b@example.fi")
    notice = save("n-1", title="Tienhoito", now=NOW).notice
    match()
    send()
    (mail,) = digests(smtp)
    remind = local_path(re.search(r"(https?://\S+/alerts/remind/\S+/)", text_of(mail)).group(1))
    client = Client()
    assert client.get(remind).status_code == 200
    assert not Subscription.objects.exists()  # a GET (a mail scanner) starts nothing
    answer = client.post(remind)
    assert answer.status_code == 302
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.notice_id, subscription.status) == ("b@example.fi", notice.pk, "active")
    assert subscription.reminders.exists()
    assert client.post(remind).status_code == 302 and Subscription.objects.count() == 1
    page = client.get(local_path(links.alert_url(alert.pk))).content.decode()
    assert "Tienhoito" in page
    feed = client.get(local_path(links.alert_feed_url(alert.pk)))
    assert feed.status_code == 200 and feed["Content-Type"].startswith("application/atom+xml")
    assert f"/notices/{notice.pk}/" in feed.content.decode() and "Tienhoito" in feed.content.decode()


def test_one_click_unsubscribe_of_an_alert():
    alert = make_alert({"cpv": "45"})
    url = local_path(links.alert_unsubscribe_url(alert.pk))
    client = Client(enforce_csrf_checks=True)
    assert client.get(url).status_code == 200 and Alert.objects.get().status == "active"
    assert client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded").status_code == 200
    assert Alert.objects.get().status == "unsubscribed"


@time_machine.travel(NOW, tick=False)
def test_the_address_page_edits_and_removes_every_reminder_and_alert(smtp):
    notice = save("n-1", now=NOW).notice
    subscription = subscribe(notice, email="Bidder@Example.fi")
    alert = make_alert({"cpv": "45"}, email="bidder@example.fi", frequency="daily")
    make_alert({"cpv": "46"}, email="someone.else@example.fi")
    client = Client()
    url = local_path(links.address_url("bidder@example.fi"))
    page = client.get(url).content.decode()
    assert "Tienhoidon urakka" in page and "CPV 45" in page and "CPV 46" not in page
    assert client.get(local_path(links.reminders_url(subscription.pk))).content.decode().count(url) == 1
    # Edit the reminders: only 1 day before, in Swedish.
    answer = client.post(url, {"action": f"subscription:save:{subscription.pk}", f"s{subscription.pk}-deadlines": ["tender"],
                               f"s{subscription.pk}-before": ["P1D"], f"s{subscription.pk}-language": "sv"})
    assert answer.status_code == 302
    subscription.refresh_from_db()
    assert subscription.before == ["P1D"] and subscription.language == "sv"
    assert set(subscription.reminders.filter(state="scheduled").values_list("offset", flat=True)) == {"P1D"}
    # Edit the alert: weekly on Friday at 6.
    answer = client.post(url, {"action": f"alert:save:{alert.pk}", f"a{alert.pk}-frequency": "weekly",
                               f"a{alert.pk}-hour": "6", f"a{alert.pk}-weekday": "4", f"a{alert.pk}-language": "en",
                               f"a{alert.pk}-name": "Roads"})
    assert answer.status_code == 302
    alert.refresh_from_db()
    assert (alert.frequency, alert.hour, alert.weekday, alert.language, alert.name) == ("weekly", 6, 4, "en", "Roads")
    # The calendar has the followed deadline.
    calendar = Calendar.from_ical(client.get(local_path(links.address_calendar_url("bidder@example.fi"))).content)
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [f"deadline-{notice.pk}-all-tender@127.0.0.1"]
    # Remove both.
    assert client.post(url, {"action": f"subscription:remove:{subscription.pk}"}).status_code == 302
    assert client.post(url, {"action": f"alert:remove:{alert.pk}"}).status_code == 302
    assert Subscription.objects.get().status == "unsubscribed" and Alert.objects.get(pk=alert.pk).status == "unsubscribed"
    # Another address's alert cannot be reached from this page.
    other = Alert.objects.get(email="someone.else@example.fi")
    assert client.post(url, {"action": f"alert:remove:{other.pk}"}).status_code == 404
    assert client.get("/my/not-a-token/").status_code == 404


def test_the_link_to_the_address_page_is_sent_to_that_address(smtp, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/my/", {"email": "b@example.fi"}).status_code == 200
    (mail,) = smtp.messages
    assert mail["X-Tracker-Kind"] == "alert-link" and mail.envelope_to == ["b@example.fi"]
    assert local_path(links.address_url("b@example.fi")) in text_of(mail)
