"""The one writer: identity, idempotence, versions, moved deadlines, buyers merged by identifier."""

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from notices import store
from notices.models import Buyer, BuyerIdentifier, ContactPoint, Deadline, Notice, NoticeVersion
from notices.readers.ids import identify, phone
from notices.records import Address, BuyerRecord, DeadlineRecord, LotRecord, NoticeRecord

HEL = ZoneInfo("Europe/Helsinki")
UTC = dt.UTC

pytestmark = pytest.mark.django_db


def buyer(ident="0206714-5", name="Kymenlaakson Liitto", **kw):
    return BuyerRecord(
        name=name,
        identifiers=(identify(ident, "FI"),) if ident else (),
        address=Address(po_box="35", postal_code="48601", city="Kotka", country="FI"),
        email="kirjaamo@kymenlaakso.fi",
        phone=phone("+354447478502", "FI"),
        fax=phone("+35852308910", "FI"),
        **kw,
    )


def record(**kw):
    base = dict(
        source="fi-web",
        source_id="http://www.kymenlaakso.fi/ajankohtaista/195",
        notice_type="national",
        title="Kymenlaakson Suomi100 markkinoinnin toteuttaminen",
        language="fi",
        titles={"fi": "Kymenlaakson Suomi100 markkinoinnin toteuttaminen"},
        buyers=(buyer(),),
        deadlines=(DeadlineRecord("tender", dt.datetime(2016, 5, 20, 16, 0, tzinfo=HEL), text="Tarjoukset..."),),
        lots=(LotRecord("LOT-0001", "Markkinointi", ("79340000",)),),
        cpv=("79340000",),
        links=("https://www.hankintailmoitukset.fi/fi/notice/view/2016-009231/",),
    )
    base.update(kw)
    return NoticeRecord(**base)


def save(rec, raw=b"<html>page</html>"):
    return store.save(rec, raw=raw, origin="test", fmt=rec.source)


def test_it_stores_a_new_notice_with_everything_in_utc():
    change = save(record())
    assert change.outcome == store.NEW
    notice = Notice.objects.get()
    assert notice.title == "Kymenlaakson Suomi100 markkinoinnin toteuttaminen"
    deadline = notice.deadlines.get()
    assert deadline.kind == "tender" and deadline.lot == ""
    assert deadline.at == dt.datetime(2016, 5, 20, 13, 0, tzinfo=UTC)
    assert notice.next_deadline == deadline.at == notice.closes_at
    assert notice.versions.count() == 1 and notice.versions.get().payload == b"<html>page</html>"
    assert list(notice.lots.values_list("lot_id", "cpv")) == [("LOT-0001", ["79340000"])]
    (b,) = notice.buyers.all()
    assert [(i.scheme, i.value, i.valid) for i in b.identifiers.all()] == [("FI-PRO", "0206714-5", True)]
    contact = notice.contacts.get()
    assert (contact.po_box, contact.postal_code, contact.city) == ("35", "48601", "Kotka")
    assert (contact.phone, contact.phone_valid) == ("+354447478502", False)
    assert (contact.fax_e164, contact.fax_valid) == ("+35852308910", True)
    assert [c.kind for c in change.added] == ["tender"]


def test_it_changes_nothing_when_the_same_record_comes_again():
    save(record())
    counts = [m.objects.count() for m in (Notice, NoticeVersion, Deadline, Buyer, ContactPoint)]
    change = save(record(), raw=b"<html>same notice, other bytes</html>")
    assert change.outcome == store.UNCHANGED
    assert [m.objects.count() for m in (Notice, NoticeVersion, Deadline, Buyer, ContactPoint)] == counts


def test_it_reports_a_moved_deadline_and_keeps_both_versions():
    save(record())
    later = dt.datetime(2016, 5, 27, 12, 0, tzinfo=HEL)
    change = save(record(deadlines=(DeadlineRecord("tender", later),)), raw=b"v2")
    assert change.outcome == store.UPDATED
    assert [(m.kind, m.old, m.new) for m in change.moved] == [
        ("tender", dt.datetime(2016, 5, 20, 13, 0, tzinfo=UTC), dt.datetime(2016, 5, 27, 9, 0, tzinfo=UTC))
    ]
    deadline = Deadline.objects.get()
    assert deadline.at == later and deadline.sequence == 1
    versions = Notice.objects.get().versions.order_by("number")
    assert [v.number for v in versions] == [1, 2]
    assert versions[1].changes["moved"][0]["old"] == "2016-05-20T13:00:00+00:00"


def test_it_reports_added_and_removed_deadlines_and_keeps_the_removed_one_inactive():
    save(record())
    questions = DeadlineRecord("questions", dt.datetime(2016, 5, 10, 12, 0, tzinfo=HEL))
    change = save(record(deadlines=(questions,)))
    assert [c.kind for c in change.added] == ["questions"]
    assert [c.kind for c in change.removed] == ["tender"]
    assert Deadline.objects.get(kind="tender").active is False
    assert Notice.objects.get().next_deadline is None


def test_a_cancellation_is_reported_once():
    save(record())
    change = save(record(status="cancelled"))
    assert change.cancelled and Notice.objects.get().status == "cancelled"
    assert save(record(status="cancelled")).outcome == store.UNCHANGED


def test_a_change_notice_arriving_before_its_original_wins_over_it():
    original = record(
        source="eforms", source_id="aaa", procedure_id="p1", published_at=dt.datetime(2020, 2, 28, tzinfo=UTC)
    )
    moved = dt.datetime(2020, 6, 12, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    correction = dataclasses.replace(
        original,
        source_id="bbb",
        changes="aaa",
        published_at=dt.datetime(2020, 4, 17, tzinfo=UTC),
        deadlines=(DeadlineRecord("tender", moved),),
    )
    assert save(correction).outcome == store.NEW
    assert save(original).outcome == store.STALE
    notice = Notice.objects.get()
    assert notice.source_id == "aaa" and notice.versions.count() == 2
    assert notice.deadlines.get().at == moved


def test_a_change_of_a_change_finds_the_notice_through_its_versions():
    save(record(source="eforms", source_id="aaa"))
    save(record(source="eforms", source_id="bbb", changes="aaa", title="Korjattu"))
    change = save(record(source="eforms", source_id="ccc", changes="bbb", title="Korjattu taas"))
    assert change.outcome == store.UPDATED
    assert Notice.objects.get().title == "Korjattu taas"


def test_one_buyer_across_sources_and_identifier_forms():
    save(record())
    vat_form = BuyerRecord(name="KYMENLAAKSON LIITTO", identifiers=(identify("FI02067145"),))
    save(record(source="ocds", source_id="ocds-1", buyers=(vat_form,)))
    assert Buyer.objects.count() == 1
    assert BuyerIdentifier.objects.get().value == "0206714-5"


def test_an_invalid_identifier_is_kept_as_written_and_does_not_merge_buyers():
    save(record())
    typo = BuyerRecord(name="Toinen Oy", identifiers=(identify("0206714-6"),))
    save(record(source_id="other", buyers=(typo,)))
    assert Buyer.objects.count() == 2
    kept = BuyerIdentifier.objects.get(value="0206714-6")
    assert (kept.scheme, kept.valid, kept.buyer.name) == ("FI-PRO", False, "Toinen Oy")


def test_a_buyer_without_identifier_joins_the_same_named_buyer_without_one():
    save(record(buyers=(buyer(ident=None),)))
    save(record(source_id="x2", buyers=(buyer(ident=None, name="KYMENLAAKSON  liitto"),)))
    assert Buyer.objects.count() == 1


def test_a_failing_receiver_leaves_nothing_half_stored():
    def boom(**kwargs):
        raise RuntimeError("planning failed")

    store.notice_changed.connect(boom)
    try:
        with pytest.raises(RuntimeError):
            save(record())
    finally:
        store.notice_changed.disconnect(boom)
    assert Notice.objects.count() == NoticeVersion.objects.count() == Deadline.objects.count() == 0
    assert Buyer.objects.count() == 0


def test_receivers_get_the_change_inside_the_transaction():
    seen = []

    def receiver(change, **kwargs):
        from django.db import connection

        seen.append((change.outcome, connection.in_atomic_block, [m.kind for m in change.moved]))

    store.notice_changed.connect(receiver)
    try:
        save(record())
        save(record(deadlines=(DeadlineRecord("tender", dt.datetime(2016, 6, 1, 12, tzinfo=HEL)),)))
        save(record(deadlines=(DeadlineRecord("tender", dt.datetime(2016, 6, 1, 12, tzinfo=HEL)),)))
    finally:
        store.notice_changed.disconnect(receiver)
    assert seen == [("new", True, []), ("updated", True, ["tender"])]


def test_a_rejection_keeps_the_bytes_and_the_reason():
    rejection = store.reject(origin="bad.xml", reason="bad.xml: malformed XML at line 3", raw=b"<a>", fmt="eforms")
    assert bytes(rejection.raw) == b"<a>" and rejection.size == 3 and "line 3" in rejection.reason


def test_lots_follow_the_latest_version_keeping_rows_of_lots_that_stay():
    save(record(lots=(LotRecord("LOT-0001", "Markkinointi", ("79340000",)), LotRecord("LOT-0002", "Painotyöt"))))
    kept = Notice.objects.get().lots.get(lot_id="LOT-0001").pk
    save(record(lots=(LotRecord("LOT-0001", "Markkinointi ja viestintä", ("79340000", "79341000")),)))
    (lot,) = Notice.objects.get().lots.all()
    assert (lot.pk, lot.title, lot.cpv) == (kept, "Markkinointi ja viestintä", ["79340000", "79341000"])
    assert Notice.objects.get().all_cpv == ["79340000", "79341000"]


def test_a_correction_that_moves_a_deadline_back_is_a_change():
    first = dt.datetime(2016, 5, 20, 16, 0, tzinfo=HEL)
    save(record())
    save(record(deadlines=(DeadlineRecord("tender", dt.datetime(2016, 5, 27, 16, 0, tzinfo=HEL)),)))
    change = save(record(deadlines=(DeadlineRecord("tender", first, text="Tarjoukset..."),)))
    assert change.outcome == store.UPDATED
    assert [(m.old, m.new) for m in change.moved] == [
        (dt.datetime(2016, 5, 27, 13, 0, tzinfo=UTC), dt.datetime(2016, 5, 20, 13, 0, tzinfo=UTC))
    ]
    notice = Notice.objects.get()
    assert notice.deadlines.get().at == first and notice.versions.count() == 3
    assert save(record(deadlines=(DeadlineRecord("tender", first, text="Tarjoukset..."),))).outcome == store.UNCHANGED


def test_an_older_payload_seen_again_is_kept_once():
    original = record(source="eforms", source_id="aaa", published_at=dt.datetime(2020, 2, 28, tzinfo=UTC))
    correction = dataclasses.replace(
        original, source_id="bbb", changes="aaa", published_at=dt.datetime(2020, 4, 17, tzinfo=UTC), title="Korjattu"
    )
    save(original)
    save(correction)
    assert save(original).outcome == store.UNCHANGED  # already kept as the first version
    assert Notice.objects.get().title == "Korjattu" and NoticeVersion.objects.count() == 2


def test_an_original_arriving_after_its_change_of_the_same_day_stays_history():
    day = dt.datetime(2020, 4, 9, tzinfo=UTC)
    original = record(source="eforms", source_id="aaa", published_at=day)
    correction = dataclasses.replace(original, source_id="bbb", changes="aaa", title="Korjattu")
    save(correction)
    assert save(original).outcome == store.STALE
    assert Notice.objects.get().title == "Korjattu"
