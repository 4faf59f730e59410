"""A deadline read from ambiguous free text is flagged wherever a deadline is shown, not only on the
notice page: the home list, a buyer's list, Atom, the calendar feeds (TENTATIVE, the reason in the
description), "your reminders" and the API's lists. Calendars carry a name, the personal one an alarm at
each of the subscription's offsets."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from icalendar import Calendar

from notices.readers import text as ft
from notices.records import DeadlineRecord
from scheduler import links
from tests.pages.conftest import days, lang, save
from tests.pages.test_subscriber_pages import path, subscribe

pytestmark = pytest.mark.django_db
WHY = "no time of day was given: read as 23.59"


@pytest.fixture
def flagged(db):
    at = days(9, 23).replace(minute=59)
    record = DeadlineRecord("tender", at, needs_review=True, review_reasons=(ft.DATE_ONLY,))
    return save("flagged", "Siivouspalvelut", [record])


@pytest.fixture
def exact(db):
    return save("exact", "Tienhoito", [("tender", days(10))])


def test_the_home_list_and_the_buyers_list_flag_it(client, flagged, exact):
    html = lang(client, "en").get("/").content.decode()
    card = html[html.index("Siivouspalvelut (en)"):]
    card = card[: card.index("</li>")]
    assert "read from free text: check the notice" in card and WHY in card
    other = html[html.index("Tienhoito (en)"):]
    assert "read from free text" not in other[: other.index("</li>")]
    buyer = client.get(f"/buyers/{flagged.buyers.get().identifiers.get().value}/").content.decode()
    assert WHY in buyer


def test_the_atom_feed_flags_it(client, flagged, exact):
    root = ET.fromstring(client.get("/feeds/notices.atom?lang=en").content)
    summaries = {
        e.find("{http://www.w3.org/2005/Atom}title").text: e.find("{http://www.w3.org/2005/Atom}summary").text
        for e in root.iter("{http://www.w3.org/2005/Atom}entry")
    }
    assert WHY in summaries["Siivouspalvelut (en)"] and "free text" not in summaries["Tienhoito (en)"]


def test_the_calendar_feed_makes_it_tentative_and_says_why(client, flagged, exact):
    calendar = Calendar.from_ical(client.get("/feeds/deadlines.ics?lang=en").content)
    assert str(calendar["X-WR-CALNAME"]) == "Procurement deadlines – Deadline watch"
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    tentative = next(e for s, e in events.items() if "Siivouspalvelut" in s)
    confirmed = next(e for s, e in events.items() if "Tienhoito" in s)
    assert str(tentative["STATUS"]) == "TENTATIVE" and WHY in str(tentative["DESCRIPTION"])
    assert str(confirmed["STATUS"]) == "CONFIRMED" and "free text" not in str(confirmed["DESCRIPTION"])


def test_your_reminders_flag_it_and_say_the_offsets_in_words(client, flagged):
    subscription = subscribe(flagged, language="en")
    subscription.before = ["P1W", "PT90M"]
    subscription.save()
    html = lang(client, "en").get(path(links.reminders_url(subscription.pk))).content.decode()
    assert WHY in html
    assert "7 days before, 1 hour, 30 minutes before" in html


def test_the_personal_calendar_has_a_name_and_an_alarm_at_each_offset(client, flagged):
    subscription = subscribe(flagged, language="en")  # before: P7D, P1D
    calendar = Calendar.from_ical(client.get(path(links.calendar_url(subscription.pk))).content)
    assert str(calendar["X-WR-CALNAME"]) == "Deadlines: Siivouspalvelut (en)"
    (event,) = calendar.walk("VEVENT")
    assert str(event["STATUS"]) == "TENTATIVE"
    alarms = event.walk("VALARM")
    assert sorted(a.decoded("TRIGGER") for a in alarms) == [-dt.timedelta(days=7), -dt.timedelta(days=1)]
    assert {str(a["ACTION"]) for a in alarms} == {"DISPLAY"}
    assert any(str(a["DESCRIPTION"]).startswith("7 days before: ") for a in alarms)


def test_the_api_lists_flag_it(client, flagged, exact):
    items = {i["title"]: i for i in client.get("/api/notices").json()["items"]}
    assert items["Siivouspalvelut"]["next_deadline_needs_review"] is True
    assert items["Siivouspalvelut"]["next_deadline_review_reasons"] == [ft.DATE_ONLY]
    assert items["Tienhoito"]["next_deadline_needs_review"] is False
    assert items["Tienhoito"]["next_deadline_review_reasons"] == []
    deadlines = {d["title"]: d for d in client.get("/api/deadlines").json()["items"]}
    assert deadlines["Siivouspalvelut"]["review_reasons"] == [ft.DATE_ONLY]
