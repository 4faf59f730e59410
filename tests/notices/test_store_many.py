"""``store.save_many``: what a bulk ingest writes together must be exactly what ``save`` one by one writes,
in the same order, and a notice the database refuses must cost only itself."""

import dataclasses
import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from notices import readers, store
from notices.ingest.fetch import Payload
from notices.ingest.read import Outcome
from notices.ingest.write import write_all
from notices.models import Buyer, ContactPoint, Notice, NoticeCpv, NoticeVersion, Rejection
from notices.records import DeadlineRecord, Encoded
from notices.search import text_ids
from tests.conftest import corpus_path

pytestmark = pytest.mark.django_db(transaction=True)

EFORMS = ("cn_24_open.xml", "cn_24_maximal.xml", "pin-only_24_lots.xml", "cn_24_multilingual.xml", "can_24_maximal.xml")


def corpus_entries() -> list[store.Entry]:
    """Real notices: eForms examples, Hilma's national ones, the Kymenlaakso page; then the change
    notice of cn_24_open (an update of a notice written earlier in the same call)."""
    paths = [corpus_path("eforms-sdk-1.15.1", name) for name in EFORMS]
    paths += sorted(corpus_path("hilma-sdk").glob("E*.xml"))
    entries = []
    for path in paths:
        data = path.read_bytes()
        fmt, records = readers.read(data)
        entries += [store.Entry.of(r, raw=data, origin=str(path), fmt=fmt) for r in records]
    page = corpus_path("fi-web", "kymenlaakso-2016-05.html").read_bytes()
    fmt, records = readers.read(page, "fi-web", url="http://www.kymenlaakso.fi/ajankohtaista")
    entries += [store.Entry.of(r, raw=page, origin="kymenlaakso", fmt=fmt) for r in records]
    change = corpus_path("eforms-sdk-1.15.1", "change-cn_24_open_dates.xml").read_bytes()
    fmt, records = readers.read(change)
    entries += [store.Entry.of(r, raw=change, origin="change", fmt=fmt) for r in records]
    return entries


def snapshot() -> list:
    """Everything stored about every notice, without database ids or clock times."""
    result = []
    for notice in Notice.objects.order_by("source", "source_id"):
        versions = [
            (v.number, v.content_hash, v.raw_hash, bytes(v.raw), v.format, v.origin, v.source_ref,
             v.source_version, v.issued_at, v.record, v.changes)
            for v in notice.versions.order_by("number")
        ]  # fmt: skip
        result.append(
            {
                "fields": {
                    f.attname: getattr(notice, f.attname)
                    for f in Notice._meta.concrete_fields
                    if f.attname not in ("id", "created_at", "updated_at", "current_version_id")
                },
                "current": notice.current_version.number,
                "versions": versions,
                "lots": sorted(notice.lots.values_list("lot_id", "title", "titles", "cpv", "estimated_value")),
                "deadlines": sorted(
                    notice.deadlines.values_list("lot", "kind", "at", "needs_review", "text", "sequence", "active")
                ),
                "buyers": sorted(
                    (b.name, b.names, b.country, sorted(b.identifiers.values_list("scheme", "value", "valid")))
                    for b in notice.buyers.all()
                ),
                "contacts": sorted(notice.contacts.values_list("fingerprint", "email", "phone_e164", "fax")),
                "cpv rows": sorted(NoticeCpv.objects.filter(notice=notice).values_list("code", flat=True)),
                "found by its title": Notice.objects.filter(pk=notice.pk, id__in=text_ids(_word(notice.title))).exists(),
            }
        )
    return result


def _word(title: str) -> str:
    return max(title.split(), key=len).strip(".,:;()\"'")


def outcomes(changes) -> list:
    return [
        (c.outcome, c.notice.source_id, [(m.kind, m.lot, m.old, m.new) for m in c.moved], len(c.added), c.cancelled)
        for c in changes
    ]


def clear():
    Notice.objects.all().delete()
    Buyer.objects.all().delete()
    store._buyer_cache.clear()


def test_written_together_is_written_as_one_by_one():
    entries = corpus_entries()
    assert len(entries) >= 10

    with transaction.atomic():
        together = store.save_many(entries)
    after_together = snapshot()
    clear()
    one_by_one = [store.save(e.record, raw=e.raw, origin=e.origin, fmt=e.fmt) for e in entries]

    assert outcomes(together) == outcomes(one_by_one)
    assert [c.outcome for c in together].count("new") == len(entries) - 1
    assert together[-1].outcome == "updated" and together[-1].moved  # the change notice moved a deadline
    assert snapshot() == after_together
    assert all(n["found by its title"] and n["versions"] for n in after_together)
    assert Notice.objects.filter(current_version__isnull=True).count() == 0


def test_order_is_kept_for_entries_that_name_each_other():
    """A repeat, a change of a notice written in the same call and a notice already stored go the
    one-by-one way, after whatever came before them."""
    first = corpus_entries()[0]  # cn_24_open
    store.save(first.record, raw=first.raw, origin="before", fmt=first.fmt)
    entries = corpus_entries()
    moved = dataclasses.replace(
        entries[1].record,
        deadlines=(DeadlineRecord("tender", dt.datetime(2031, 1, 2, 12, tzinfo=dt.UTC), lot="LOT-0001"),),
    )
    batch = [
        entries[0],  # stored before: unchanged
        entries[1],  # new
        entries[2],  # new
        entries[1],  # the same again: unchanged
        store.Entry.of(moved, raw=b"moved", origin="moved", fmt="eforms"),  # its deadline moved: updated
        entries[3],  # new
        entries[-1],  # the change notice of cn_24_open: updated
    ]
    with transaction.atomic():
        results = store.save_many(batch)
    assert [r.outcome for r in results] == ["unchanged", "new", "new", "unchanged", "updated", "new", "updated"]
    assert results[4].notice.pk == results[1].notice.pk and results[4].version.number == 2
    assert Notice.objects.count() == 4


def refuse_title(title: str):
    """A database trigger that refuses one notice: a real database error, raised by the database."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON notices_notice "
                f"WHEN new.title = '{title}' BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END"
            )
        else:
            cursor.execute(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.title = '{title}' THEN RAISE EXCEPTION 'refused by a test trigger'; END IF; "
                "RETURN NEW; END $$"
            )
            cursor.execute("CREATE TRIGGER refuse BEFORE INSERT ON notices_notice FOR EACH ROW EXECUTE FUNCTION refuse()")


def drop_refusal():
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER refuse" if connection.vendor == "sqlite" else "DROP TRIGGER refuse ON notices_notice")
        if connection.vendor != "sqlite":
            cursor.execute("DROP FUNCTION refuse()")


def test_a_notice_the_database_refuses_costs_only_itself():
    entries = corpus_entries()[:4]
    bad = dataclasses.replace(entries[1].record, title="refused", buyers=(entries[1].record.buyers[0],))
    entries[1] = store.Entry.of(bad, raw=b"<bad/>", origin="bad.xml", fmt="eforms")
    refuse_title("refused")
    try:
        with transaction.atomic():
            results = store.save_many(entries)
    finally:
        drop_refusal()
    assert isinstance(results[1], DatabaseError) and "refused by a test trigger" in str(results[1])
    assert [r.outcome for i, r in enumerate(results) if i != 1] == ["new", "new", "new"]
    assert sorted(Notice.objects.values_list("source_id", flat=True)) == sorted(
        entries[i].record.source_id for i in (0, 2, 3)
    )
    assert not NoticeVersion.objects.filter(raw=b"<bad/>").exists()
    # The others are whole: every version current, every buyer's contact linked.
    assert all(n.current_version_id for n in Notice.objects.all())
    assert ContactPoint.objects.filter(notices__isnull=True).count() == 0


def test_a_group_ingest_keeps_the_refused_notice_as_a_rejection():
    entries = corpus_entries()[:3]
    bad = dataclasses.replace(entries[1].record, title="refused")
    items = []
    for entry in (entries[0], store.Entry.of(bad, raw=b"<bad/>", origin="bad.xml", fmt="eforms"), entries[2]):
        outcome = Outcome(entry.origin, entry.fmt, records=[entry.record], encoded=[Encoded.of(entry.record)])
        items.append((Payload(entry.raw.data, entry.origin), outcome))
    refuse_title("refused")
    try:
        written = list(write_all(items, group=50))
    finally:
        drop_refusal()
    assert [len(o.changes) for o in written] == [1, 0, 1]
    assert written[1].errors and "bad.xml" in written[1].errors[0] and "refused" in written[1].errors[0]
    rejection = Rejection.objects.get()
    assert bytes(rejection.raw) == b"<bad/>" and "could not be stored" in rejection.reason
    assert Notice.objects.count() == 2
