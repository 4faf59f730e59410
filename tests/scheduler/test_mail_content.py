"""What every mail says, read back from a real SMTP server: a link to "your reminders" in each, offsets in
words, a deadline that needs review flagged (in the text, the HTML and the calendar entry), and a
cancellation that offers nothing to stop."""

import datetime as dt
import re

import pytest
import time_machine
from icalendar import Calendar

from notices.readers import text as ft
from notices.records import DeadlineRecord
from scheduler import links, planning
from scheduler.dispatch import Dispatcher
from scheduler.models import Subscription
from tests.scheduler.conftest import HELSINKI, UTC, save_notice, subscribe

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 5, 3, 9, 0, tzinfo=UTC)
DEADLINE = dt.datetime(2027, 5, 20, 23, 59, tzinfo=HELSINKI)
DATE_ONLY = DeadlineRecord("tender", DEADLINE, needs_review=True, review_reasons=(ft.DATE_ONLY,))


def run(at):
    with time_machine.travel(at, tick=False):
        return Dispatcher("test").run_once()


def text_of(message):
    return message.get_body(("plain",)).get_content()


def html_of(message):
    return message.get_body(("html",)).get_content()


def ics_of(message):
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_content())


def test_every_mail_links_your_reminders_and_the_addresss_page(smtp, settings):
    settings.SITE_URL = "https://vahti.example.fi"
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        pending = subscribe(notice, email="new@example.fi", active=False)
        planning.queue_confirmation(pending)
        active = subscribe(notice, before=("P7D",))
    run(NOW)  # the confirmation
    run(dt.datetime(2027, 5, 13, 21, 0, tzinfo=UTC))  # the reminder, 7 days before
    with time_machine.travel(dt.datetime(2027, 5, 14, 9, 0, tzinfo=UTC), tick=False):
        save_notice([("tender", DEADLINE + dt.timedelta(days=2))])
    run(dt.datetime(2027, 5, 14, 9, 0, 1, tzinfo=UTC))  # moved
    with time_machine.travel(dt.datetime(2027, 5, 15, 9, 0, tzinfo=UTC), tick=False):
        save_notice([("tender", DEADLINE + dt.timedelta(days=2))], status="cancelled")
    run(dt.datetime(2027, 5, 15, 9, 0, 1, tzinfo=UTC))  # cancelled
    assert smtp.kinds("new@example.fi") == ["confirm"]  # unconfirmed: nothing else
    assert smtp.kinds("bidder@example.fi") == ["reminder", "moved", "cancelled"]
    for message in smtp.messages:
        subscription = pending if "new@example.fi" in message.envelope_to else active
        url = links.reminders_url(subscription.pk)
        assert url.startswith("https://vahti.example.fi/subscriptions/")
        assert url in text_of(message), (message["X-Tracker-Kind"], text_of(message))
        assert f'href="{url}"' in html_of(message)
        # "Your reminders and alerts": everything the address follows, on one page.
        page = links.address_url(subscription.email)
        assert page.startswith("https://vahti.example.fi/my/")
        assert page in text_of(message), (message["X-Tracker-Kind"], text_of(message))
        assert f'href="{page}"' in html_of(message)


def test_the_confirmation_says_the_offsets_in_words(smtp):
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        fi = subscribe(notice, active=False, before=("P7D", "P1D", "PT2H"))
        en = subscribe(notice, email="en@example.fi", language="en", active=False, before=("P1W", "PT90M"))
        planning.queue_confirmation(fi)
        planning.queue_confirmation(en)
    run(NOW)
    fi_text = text_of(smtp.to("bidder@example.fi")[0])
    assert "7 päivää ennen, 1 päivä ennen, 2 tuntia ennen" in fi_text and "P7D" not in fi_text
    assert "7 days before, 1 hour, 30 minutes before" in text_of(smtp.to("en@example.fi")[0])


def test_a_deadline_that_needs_review_is_flagged_in_the_reminder_and_its_calendar_entry(smtp):
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([DATE_ONLY]).notice
        subscribe(notice, before=("P1D",), language="en")
    run(dt.datetime(2027, 5, 19, 21, 0, tzinfo=UTC))
    (message,) = smtp.messages
    why = "read from free text: check the notice (no time of day was given: read as 23.59)"
    assert why in text_of(message)
    assert why[:1].upper() + why[1:] in html_of(message)
    (event,) = ics_of(message).walk("VEVENT")
    assert str(event["STATUS"]) == "TENTATIVE"
    assert "no time of day was given" in str(event["DESCRIPTION"])


def test_a_moved_deadline_that_needs_review_says_so(smtp):
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        subscribe(notice, language="en")
        later = DEADLINE + dt.timedelta(days=1)
        save_notice([DeadlineRecord("tender", later, needs_review=True, review_reasons=(ft.DATE_ONLY,))])
    run(dt.datetime(2027, 5, 3, 9, 0, 1, tzinfo=UTC))
    (message,) = smtp.messages
    assert "no time of day was given" in text_of(message)
    assert str(ics_of(message).walk("VEVENT")[0]["STATUS"]) == "TENTATIVE"


def test_the_cancellation_offers_nothing_to_stop(smtp):
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        subscription = subscribe(notice, language="en")
        save_notice([("tender", DEADLINE)], status="cancelled")
    run(dt.datetime(2027, 5, 3, 9, 0, 1, tzinfo=UTC))
    (message,) = smtp.messages
    text, html = text_of(message), html_of(message)
    assert "Stop these reminders" not in text and "Stop these reminders" not in html
    assert links.unsubscribe_url(subscription.pk) not in text
    assert not re.search(r'href="[^"]*/unsubscribe/', html)
    assert "Nothing more will be sent to you about this notice." in text
    assert Subscription.objects.get().status == "active"


def test_the_cancellation_tells_followers_the_officers_reason(smtp):
    from django.contrib.auth.models import User

    from notices import officers

    staff = User.objects.create_user("staff", "staff@example.fi", None, is_staff=True)
    officers.create_buyer(staff, "0206714-5", "Kymenlaakson Liitto")
    with time_machine.travel(NOW, tick=False):
        draft = officers.create_draft(staff, {
            "buyer": "0206714-5", "title": "Koulujen siivous", "cpv": ["90910000"],
            "deadlines": [{"kind": "tender", "at": DEADLINE.isoformat()}],
        })
        draft, _change = officers.publish(staff, draft.pk)
        subscribe(draft.notice, language="en")
        officers.cancel(staff, draft.notice_id, reason="The need went away.\nA new call comes in spring.")
    run(dt.datetime(2027, 5, 3, 9, 0, 1, tzinfo=UTC))
    (message,) = smtp.messages
    assert "Reason given by the buyer:\nThe need went away.\nA new call comes in spring." in text_of(message).replace("\r\n", "\n")
    assert "The need went away.<br>A new call comes in spring." in html_of(message)
