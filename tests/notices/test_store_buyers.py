"""A notice's buyer as the store writes it: plain statements instead of Django's get_or_create, which
cost 2 ms of CPU per new buyer. The rows must be those the get_or_create path wrote (kept below as the
reference), the matching rules the same, a new buyer a handful of statements without a savepoint, and
two writers meeting the same new buyer must end with one buyer."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notices import store
from notices.gate import shown
from notices.models import Buyer, BuyerIdentifier, ContactPoint
from notices.readers.ids import identify, phone
from notices.records import Address, BuyerRecord, Identifier, NoticeRecord

pytestmark = pytest.mark.django_db


# --- the get_or_create path this replaced (notices/store.py before the change), the reference ----------


def reference_write_buyer(record: BuyerRecord, source: str, origin: str):
    name_key = " ".join(record.name.split()).casefold()
    strong = [i for i in record.identifiers if i.scheme and i.valid is not False]
    buyer = None
    if strong:
        query = Q()
        for ident in strong:
            query |= Q(scheme=ident.scheme, value=ident.id)
        found = BuyerIdentifier.objects.filter(query).select_related("buyer").first()
        buyer = found.buyer if found else None
    if buyer is None:
        buyer = (
            Buyer.objects.filter(name_key=name_key, country=record.address.country or "")
            .exclude(identifiers__valid=True)
            .first()
        )
    if buyer is None:
        buyer = Buyer.objects.create(
            name=record.name,
            name_key=name_key,
            names=dict(record.names),
            name_sources={"": source, **dict.fromkeys(record.names, source)},
            country=record.address.country or "",
        )
    else:
        store._rename(buyer, record, source, name_key)
    for ident in record.identifiers:
        BuyerIdentifier.objects.get_or_create(
            scheme=ident.scheme or "",
            value=ident.id,
            defaults={"buyer": buyer, "valid": ident.valid, "as_written": ident.as_written or ident.id},
        )
    return buyer, reference_contact(buyer, record, source, origin)


def reference_contact(buyer, record: BuyerRecord, source: str, origin: str):
    given = store.contact_fields(record)  # what a contact point holds is not what changed: how it is written
    if given is None:
        return None
    fields, fingerprint = given
    where = shown(origin, 1000)
    contact, created = ContactPoint.objects.get_or_create(
        buyer=buyer, fingerprint=fingerprint, defaults={**fields, "source": source, "origin": where}
    )
    if not created and (not contact.source or store.authority(source) > store.authority(contact.source)):
        contact.source, contact.origin = source, where
        contact.save(update_fields=["source", "origin"])
    return contact


# --- what was stored, without database ids or clock times ----------------------------------------------


CONTACT_FIELDS = [
    f.attname for f in ContactPoint._meta.concrete_fields if not f.primary_key and f.name != "buyer"
]


def snapshot(returned) -> dict:
    """Buyers by the order they were created in, which both paths follow."""
    buyers = list(Buyer.objects.order_by("pk"))
    rank = {b.pk: n for n, b in enumerate(buyers)}
    contacts = {c["id"]: c for c in ContactPoint.objects.values("id", "buyer_id", *CONTACT_FIELDS)}
    identifiers = BuyerIdentifier.objects.values_list("buyer_id", "scheme", "value", "valid", "as_written")
    return {
        "buyers": [(rank[b.pk], b.name, b.name_key, b.names, b.name_sources, b.country) for b in buyers],
        "identifiers": sorted((rank[buyer], *rest) for buyer, *rest in identifiers),
        "contacts": sorted((rank[c["buyer_id"]], *(c[f] for f in CONTACT_FIELDS)) for c in contacts.values()),
        # What each call gave back: its buyer, and its contact point as stored (None: none).
        "returned": [
            (rank[b.pk], c and (rank[contacts[c.pk]["buyer_id"]], contacts[c.pk]["fingerprint"]))
            for b, c in returned
        ],
    }


def clear():
    Buyer.objects.all().delete()  # identifiers and contact points with them
    store._buyer_cache.clear()


def run(write, calls) -> dict:
    clear()
    returned = []
    for source, record, origin in calls:
        with transaction.atomic():
            returned.append(write(record, source, origin))
    return snapshot(returned)


# A small pool, so that drawn sequences meet the same identifiers and names again: a Y-tunnus in two
# forms, another one, one whose check fails, one without a scheme, one with a scheme but no check.
IDENTIFIERS = [
    identify("0206714-5"),
    identify("FI02067145"),
    identify("0988084-1"),
    identify("0206714-6"),
    Identifier(None, "ABC-1", None, "ABC-1"),
    Identifier("XX-ORG", "77", None, "77"),
]
NAMES = ["Kymenlaakson Liitto", "KYMENLAAKSON  liitto", "Hansel Oy"]

buyer_records = st.builds(
    BuyerRecord,
    name=st.sampled_from(NAMES),
    names=st.dictionaries(st.sampled_from(["fi", "sv"]), st.sampled_from(NAMES), max_size=2),
    identifiers=st.lists(st.sampled_from(IDENTIFIERS), max_size=3).map(tuple),
    address=st.builds(Address, city=st.sampled_from([None, "Kotka"]), country=st.sampled_from([None, "FI"])),
    email=st.sampled_from([None, "kirjaamo@kymenlaakso.fi", "info@hansel.fi"]),
    phone=st.sampled_from([None, phone("+35852308910", "FI")]),
)
sources = st.sampled_from(["eforms", "officer", "ocds", "fi-web"])
origins = st.sampled_from(["a.xml", "https://b/"])
calls = st.lists(st.tuples(sources, buyer_records, origins), min_size=1, max_size=6)


@given(calls=calls)
@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_buyers_are_written_as_the_get_or_create_path_wrote_them(calls):
    assert run(store._write_buyer, calls) == run(reference_write_buyer, calls)


def rows() -> tuple[int, int, int]:
    return Buyer.objects.count(), BuyerIdentifier.objects.count(), ContactPoint.objects.count()


def kymenlaakso(ident="0206714-5", name="Kymenlaakson Liitto") -> BuyerRecord:
    return BuyerRecord(
        name=name,
        names={"fi": name},
        identifiers=(identify(ident),) if ident else (),
        address=Address(po_box="35", postal_code="48601", city="Kotka", country="FI"),
        email="kirjaamo@kymenlaakso.fi",
        phone=phone("+354447478502", "FI"),
    )


def test_a_new_buyer_is_five_statements_without_a_savepoint():
    """Two look-ups, then one INSERT each for the buyer, its identifiers and its contact point (the
    get_or_create path took eleven, four of them savepoints)."""
    record = kymenlaakso()
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        buyer, contact = store._write_buyer(record, "eforms", "a.xml")
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements == ["SELECT", "SELECT", "INSERT", "INSERT", "INSERT"], statements
    stored = ContactPoint.objects.get()
    assert (stored.pk, stored.buyer_id, stored.email, stored.source, stored.origin) == (
        contact.pk, buyer.pk, "kirjaamo@kymenlaakso.fi", "eforms", "a.xml"
    )
    ident = BuyerIdentifier.objects.get()
    assert (ident.buyer_id, ident.scheme, ident.value, ident.valid, ident.as_written) == (
        buyer.pk, "FI-PRO", "0206714-5", True, "0206714-5"
    )
    assert Buyer.objects.get(pk=buyer.pk).name_sources == {"": "eforms", "fi": "eforms"}


def test_a_notice_with_a_new_buyer_is_a_bounded_number_of_statements(django_assert_max_num_queries):
    record = NoticeRecord(
        source="eforms", source_id="n-1", notice_type="cn-standard", title="Hankinta", language="fi",
        buyers=(kymenlaakso(), kymenlaakso("0988084-1", "Hansel Oy")),
    )
    with django_assert_max_num_queries(20):  # the notice 9, each new buyer 5 (get_or_create: 31 in all)
        store.save(record, raw=b"<n/>", origin="n.xml", fmt="eforms")
    assert Buyer.objects.count() == 2


def test_a_buyer_first_seen_without_identifier_takes_its_identifier_later():
    """Found by name while it has no valid identifier; once it has one, a record of that name without
    it is another buyer."""
    first, _ = store._write_buyer(kymenlaakso(ident=None), "eforms", "a.xml")
    again, _ = store._write_buyer(kymenlaakso(name="KYMENLAAKSON  liitto"), "eforms", "b.xml")
    assert again.pk == first.pk
    identifiers = list(BuyerIdentifier.objects.values_list("buyer_id", "value", "valid"))
    assert identifiers == [(first.pk, "0206714-5", True)]
    other, _ = store._write_buyer(kymenlaakso(ident=None), "eforms", "c.xml")
    assert other.pk != first.pk and Buyer.objects.count() == 2


def test_a_writer_that_finds_the_identifier_taken_drops_its_rows_and_takes_that_buyer(monkeypatch):
    """As when another writer committed the same new buyer between our look-up and our INSERT (on
    SQLite too: the look-up is made to miss once)."""
    existing, existing_contact = store._write_buyer(kymenlaakso(), "eforms", "a.xml")
    find, looked = store._find_buyer, []

    def missing_once(*args):
        looked.append(args)
        return None if len(looked) == 1 else find(*args)

    monkeypatch.setattr(store, "_find_buyer", missing_once)
    buyer, contact = store._write_buyer(kymenlaakso(), "eforms", "b.xml")
    assert buyer.pk == existing.pk and contact.pk == existing_contact.pk
    assert rows() == (1, 1, 1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_two_writers_meeting_the_same_new_buyer_end_with_one_buyer():
    """The second writer looks before the first commits, so it writes the buyer as new too; its
    identifier INSERT waits for the first's commit and then finds the identifier taken."""
    first_wrote, first_may_commit = threading.Event(), threading.Event()
    results, errors = {}, []

    def writer(name: str):
        try:
            if name == "second":
                first_wrote.wait(30)
            with transaction.atomic():
                results[name] = store._write_buyer(kymenlaakso(), "eforms", f"{name}.xml")
                if name == "first":
                    first_wrote.set()
                    first_may_commit.wait(30)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            first_wrote.set()
            connection.close()

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _waiting_for_a_lock():
            time.sleep(0.02)
        assert _waiting_for_a_lock(), "the second writer never waited for the first"
    finally:
        first_may_commit.set()
        for thread in threads:
            thread.join(60)
    assert not errors, errors
    assert results["first"][0].pk == results["second"][0].pk
    assert results["first"][1].pk == results["second"][1].pk
    assert rows() == (1, 1, 1)


def _waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0
