"""A web page that cites a buyer's Y-tunnus never renames it or passes its contacts off as the buyer's
(issue 12, item 10): the buyer's own sources (eForms from TED or Hilma, its officers) win over free text,
and pages say where each name and contact came from."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from notices import store
from notices.models import Buyer, ContactPoint
from notices.records import Address, BuyerRecord, DeadlineRecord, Identifier, NoticeRecord

pytestmark = pytest.mark.django_db

YTUNNUS = "2345678-0"
FUTURE = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)


def buyer(name, *, names=None, email=None) -> BuyerRecord:
    return BuyerRecord(
        name=name,
        names=names or {"fi": name},
        identifiers=(Identifier("FI-PRO", YTUNNUS, True, YTUNNUS),),
        address=Address(city="Kotka", country="FI"),
        email=email,
    )


def save(source, source_id, who: BuyerRecord, url=None):
    record = NoticeRecord(
        source=source, source_id=source_id, notice_type="cn-standard", title=f"Hankinta {source_id}",
        language="fi", buyers=(who,), deadlines=(DeadlineRecord("tender", FUTURE),), source_url=url,
    )
    return store.save(record, raw=source_id.encode(), origin=url or f"{source_id}.xml").notice


def test_a_web_page_never_renames_a_buyer_known_from_eforms_and_its_contact_is_labelled():
    save("eforms", "e-1", buyer("Kotkan kaupunki", names={"fi": "Kotkan kaupunki", "sv": "Kotka stad"}, email="kirjaamo@kotka.example"))
    save(
        "fi-web", "https://attacker.example/uutiset/1",
        buyer("Hyökkääjän kaupunki", names={"fi": "Hyökkääjän kaupunki", "en": "Attacker City"}, email="evil@example.com"),
        url="https://attacker.example/uutiset",
    )
    found = Buyer.objects.get()
    assert found.name == "Kotkan kaupunki"
    assert found.names == {"fi": "Kotkan kaupunki", "sv": "Kotka stad"}  # not even a new language
    assert found.name_sources == {"": "eforms", "fi": "eforms", "sv": "eforms"}
    sources = dict(ContactPoint.objects.values_list("email", "source"))
    assert sources == {"kirjaamo@kotka.example": "eforms", "evil@example.com": "fi-web"}

    for lang in ("fi", "sv", "en"):
        page = Client(HTTP_ACCEPT_LANGUAGE=lang).get(f"/buyers/{YTUNNUS}/").content.decode()
        assert "Hyökkääjän" not in page and "Attacker City" not in page
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/buyers/{YTUNNUS}/").content.decode()
    assert page.index("kirjaamo@kotka.example") < page.index("evil@example.com")
    assert "a web page on attacker.example, not confirmed by the buyer" in page
    assert "eForms (TED, Hilma)" in page


def test_the_buyers_own_notice_replaces_names_a_web_page_gave_first():
    save("fi-web", "https://somewhere.example/1", buyer("Kotkan kaupunki (sivulta)"), url="https://somewhere.example/")
    assert Buyer.objects.get().name_sources == {"": "fi-web", "fi": "fi-web"}
    save("eforms", "e-1", buyer("Kotkan kaupunki", names={"fi": "Kotkan kaupunki", "sv": "Kotka stad"}))
    found = Buyer.objects.get()
    assert (found.name, found.names) == ("Kotkan kaupunki", {"fi": "Kotkan kaupunki", "sv": "Kotka stad"})
    assert set(found.name_sources.values()) == {"eforms"}
    # A later page still cannot take it back.
    save("fi-web", "https://somewhere.example/2", buyer("Kotkan kaupunki (sivulta)"), url="https://somewhere.example/")
    assert Buyer.objects.get().name == "Kotkan kaupunki"


def test_pages_about_a_buyer_known_only_from_pages_may_still_add_its_names():
    save("fi-web", "https://kunta.example/1", buyer("Pikkukunta"), url="https://kunta.example/")
    save("fi-web", "https://kunta.example/2", buyer("Pikkukunta", names={"fi": "Pikkukunta", "sv": "Lillkommun"}), url="https://kunta.example/")
    assert Buyer.objects.get().names == {"fi": "Pikkukunta", "sv": "Lillkommun"}


def test_the_same_contact_from_a_page_and_from_eforms_is_the_buyers_word():
    save("fi-web", "https://kunta.example/1", buyer("Kotkan kaupunki", email="kirjaamo@kotka.example"), url="https://kunta.example/")
    save("eforms", "e-1", buyer("Kotkan kaupunki", email="kirjaamo@kotka.example"))
    (contact,) = ContactPoint.objects.all()
    assert contact.source == "eforms"
