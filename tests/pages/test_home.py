"""The home page: open calls, soonest deadline first, search and filters, paging."""

import datetime as dt

import pytest

from notices.web.forms import PAGE_SIZE
from tests.pages.conftest import buyer_record, days, lang, save

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return [item["title"] for item in response.context["items"]]


def test_it_lists_open_calls_soonest_deadline_first(client):
    save("late", "Myöhäinen", [("tender", days(30))])
    save("soon", "Pian päättyvä", [("tender", days(2))])
    save("closed", "Päättynyt", [("tender", days(-2))])
    save("cancelled", "Peruttu", [("tender", days(3))], status="cancelled")
    response = client.get("/")
    assert response.status_code == 200
    assert titles(response) == ["Pian päättyvä", "Myöhäinen"]
    html = response.content.decode()
    assert "Päättynyt" not in html and "Peruttu" not in html


def test_each_call_shows_its_deadline_in_helsinki_time_and_the_time_left(client):
    at = days(4, hour=16)
    save("one", "Siivous", [("tender", at)])
    html = lang(client, "fi").get("/").content.decode()
    assert f"{at.day}. " in html and f"{at.year} kello 16.00" in html  # 2. joulukuuta 2026 kello 16.00
    assert f'datetime="{at.astimezone(dt.UTC).isoformat()}"' in html
    assert "päivää" in html  # "3 päivää, 23 tuntia"


@pytest.mark.parametrize(
    "query, expected",
    [
        ("q=siivous", ["Koulujen siivous"]),
        ("q=tienhoito", ["Tienhoito"]),
        ("cpv=9091", ["Koulujen siivous"]),
        ("cpv=45", ["Tienhoito"]),
        ("buyer=FI16180333", ["Koulujen siivous"]),
        ("buyer=0206714-5", ["Tienhoito"]),
        ("within=3", ["Koulujen siivous"]),
        ("source=ocds", ["Tienhoito"]),
        ("source=eforms&within=3", ["Koulujen siivous"]),
        ("q=siivous&source=ocds", []),
    ],
)
def test_it_filters_with_the_same_search_as_the_api(client, query, expected):
    save("a", "Koulujen siivous", [("tender", days(2))], cpv=("90910000",),
         buyer=buyer_record("Toinen kunta", "1618033-3"))
    save("b", "Tienhoito", [("tender", days(20))], cpv=("45233000",), source="ocds")
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    assert titles(response) == expected


def test_a_bad_filter_is_shown_beside_its_field(client):
    save()
    response = lang(client, "en").get("/?cpv=abc&within=0")
    assert response.status_code == 200
    form = response.context["form"]
    assert "cpv" in form.errors and "within" in form.errors
    html = response.content.decode()
    assert "Give the leading digits of a CPV code" in html
    assert 'id="id_cpv_error"' in html


def test_it_pages_through_many_calls(client):
    for i in range(PAGE_SIZE + 5):
        save(f"n{i}", f"Hankinta {i:02d}", [("tender", days(2 + i))])
    first = client.get("/")
    assert len(first.context["items"]) == PAGE_SIZE and first.context["pages"]["next"] == "?page=2"
    second = client.get("/" + first.context["pages"]["next"])
    assert titles(second) == [f"Hankinta {i:02d}" for i in range(PAGE_SIZE, PAGE_SIZE + 5)]
    assert second.context["pages"]["previous"] == "?page=1" and second.context["pages"]["next"] is None
    assert client.get("/?q=hankinta").context["pages"]["next"] == "?q=hankinta&page=2"


def test_paging_keeps_the_filters(client):
    for i in range(PAGE_SIZE + 1):
        save(f"n{i}", f"Siivous {i:02d}", [("tender", days(2 + i))])
    response = client.get("/?q=siivous&within=100")
    assert response.context["pages"]["next"] == "?q=siivous&within=100&page=2"


def test_a_call_with_a_later_lot_still_open_is_listed(client):
    save("lots", "Osittain päättynyt", [("tender", days(-1), "1"), ("tender", days(6), "2")], lots=("1", "2"))
    response = client.get("/")
    assert titles(response) == ["Osittain päättynyt"]
    item = response.context["items"][0]
    assert item["deadline"]["iso"] == days(6).astimezone(dt.UTC).isoformat()


def test_the_page_links_the_feeds_of_its_search(client):
    save()
    html = client.get("/?q=tie&cpv=45").content.decode()
    assert 'href="/feeds/deadlines.ics?q=tie&amp;cpv=45"' in html
    assert 'href="/feeds/notices.atom?q=tie&amp;cpv=45"' in html
