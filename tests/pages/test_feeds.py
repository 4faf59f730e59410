"""Atom for new notices and iCalendar for the deadlines of a search, with the reminder mails' UIDs."""

import xml.etree.ElementTree as ET

import pytest
from icalendar import Calendar

from notices.display import ics_uid
from tests.pages.conftest import buyer_record, days, save

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def entries(response) -> list[str]:
    root = ET.fromstring(response.content)
    return [e.find(f"{ATOM}title").text for e in root.iter(f"{ATOM}entry")]


def test_the_atom_feed_has_new_notices_newest_first(client):
    save("a", "Ensimmäinen")
    save("b", "Toinen", cpv=("90910000",), buyer=buyer_record("Toinen kunta", "1618033-3"))
    save("c", "Peruttu", status="cancelled")
    response = client.get("/feeds/notices.atom")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    assert entries(response) == ["Toinen", "Ensimmäinen"]
    root = ET.fromstring(response.content)
    link = next(root.iter(f"{ATOM}entry")).find(f"{ATOM}link").get("href")
    assert link.startswith("http://testserver/notices/")


@pytest.mark.parametrize("query, expected", [("q=toinen", ["Toinen"]), ("cpv=4523", ["Ensimmäinen"]),
                                             ("buyer=FI16180333", ["Toinen"])])
def test_the_atom_feed_takes_the_home_pages_filters(client, query, expected):
    save("a", "Ensimmäinen")
    save("b", "Toinen", cpv=("90910000",), buyer=buyer_record("Toinen kunta", "1618033-3"))
    assert entries(client.get(f"/feeds/notices.atom?{query}")) == expected


def test_a_bad_filter_is_400(client, db):
    assert client.get("/feeds/notices.atom?cpv=x").status_code == 400
    assert client.get("/feeds/deadlines.ics?within=-1").status_code == 400


def test_the_deadline_calendar_of_a_search_uses_the_mails_uids(client, notice):
    other = save("b", "Siivous", [("tender", days(3))], cpv=("90910000",))
    save("old", "Vanha", [("tender", days(-60))])
    save("gone", "Peruttu", status="cancelled")
    response = client.get("/feeds/deadlines.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert {str(e["UID"]) for e in events} == {
        ics_uid(notice.pk, "", "tender"), ics_uid(notice.pk, "2", "tender"), ics_uid(notice.pk, "1", "questions"),
        ics_uid(other.pk, "", "tender"),
    }
    only = Calendar.from_ical(client.get("/feeds/deadlines.ics?q=siivous&cpv=9091").content).walk("VEVENT")
    assert [str(e["UID"]) for e in only] == [ics_uid(other.pk, "", "tender")]


def test_a_moved_deadline_keeps_its_uid_and_raises_its_sequence(client, notice):
    def tender():
        events = Calendar.from_ical(client.get("/feeds/deadlines.ics").content).walk("VEVENT")
        return next(e for e in events if str(e["UID"]) == ics_uid(notice.pk, "", "tender"))

    before = tender()
    save(deadlines=[("questions", days(5), "1"), ("tender", days(11)), ("tender", days(12), "2")], lots=("1", "2"))
    after = tender()
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert after["DTSTART"].dt == days(11)


def test_the_calendar_is_in_the_requested_language(client, notice):
    events = Calendar.from_ical(client.get("/feeds/deadlines.ics?lang=en").content).walk("VEVENT")
    assert any("Tienhoidon urakka 2027 (en)" in str(e["SUMMARY"]) for e in events)
