"""The one writer of notices.

``save()`` takes what a reader (or an officer) produced and writes it in one transaction: buyer, notice,
version, lots, deadlines and contacts. It is idempotent (the same record twice changes nothing) and says
what changed, so reminders can follow: a new notice, deadlines moved (old and new), added or removed,
a cancellation. Receivers of ``notice_changed`` run inside the same transaction, so a reminder plan can
never disagree with the deadlines it was planned from.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models import Max, Q
from django.dispatch import Signal
from django.utils import timezone

from notices.models import (
    Buyer,
    BuyerIdentifier,
    ContactPoint,
    Deadline,
    Lot,
    Notice,
    NoticeVersion,
    Rejection,
)
from notices.records import NOT_HASHED, BuyerRecord, DeadlineRecord, Encoded, NoticeRecord, RawPayload
from notices.vocab import CLOSING_KINDS

# Sent inside the writing transaction with ``change=Change`` whenever a notice is new or was updated.
notice_changed = Signal()

# Deadlines that decide whether a call is still open (and so the listing order).

NEW, UPDATED, UNCHANGED, STALE = "new", "updated", "unchanged", "stale"


@dataclass(frozen=True)
class DeadlineChange:
    kind: str
    lot: str  # "" for the whole procedure
    old: dt.datetime | None  # None: the deadline is new
    new: dt.datetime | None  # None: the deadline was removed

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "lot": self.lot or None,
            "old": self.old.isoformat() if self.old else None,
            "new": self.new.isoformat() if self.new else None,
        }


@dataclass
class Change:
    """What one ``save()`` did to one notice."""

    notice: Notice
    outcome: str  # new, updated, unchanged, stale (an older version, kept but not applied)
    version: NoticeVersion | None = None
    moved: list[DeadlineChange] = field(default_factory=list)
    added: list[DeadlineChange] = field(default_factory=list)
    removed: list[DeadlineChange] = field(default_factory=list)
    cancelled: bool = False
    fields: list[str] = field(default_factory=list)  # other notice fields that changed

    def as_json(self) -> dict:
        return {
            "outcome": self.outcome,
            "moved": [c.as_json() for c in self.moved],
            "added": [c.as_json() for c in self.added],
            "removed": [c.as_json() for c in self.removed],
            "cancelled": self.cancelled,
            "fields": self.fields,
        }


@dataclass
class Entry:
    """One record to write and what it was read from. ``source`` is where the notice belongs (the
    record's own source, or "officer"); ``encoded`` and ``raw`` are ``Encoded.of(record)`` and
    ``RawPayload.of(bytes)``, made by the reader's process in a bulk ingest."""

    record: NoticeRecord
    raw: RawPayload
    origin: str
    fmt: str
    source: str
    encoded: Encoded

    @classmethod
    def of(
        cls,
        record: NoticeRecord,
        *,
        raw: bytes | RawPayload,
        origin: str,
        fmt: str | None = None,
        source: str | None = None,
        encoded: Encoded | None = None,
    ) -> Entry:
        raw = raw if isinstance(raw, RawPayload) else RawPayload.of(raw)
        return cls(record, raw, origin, fmt or record.source, source or record.source, encoded or Encoded.of(record))


def save(
    record: NoticeRecord,
    *,
    raw: bytes | RawPayload,
    origin: str,
    fmt: str | None = None,
    source: str | None = None,
    encoded: Encoded | None = None,
) -> Change:
    """Write one notice record; see the module docstring. ``source`` overrides ``record.source``
    (officer-published notices)."""
    return _save_one(Entry.of(record, raw=raw, origin=origin, fmt=fmt, source=source, encoded=encoded))


def save_many(entries: Sequence[Entry]) -> list[Change | DatabaseError]:
    """Write each entry as ``save`` would, in order, each notice all-or-nothing; an entry that could not
    be stored gets its ``DatabaseError`` in its place. Inside a transaction (a bulk ingest commits a
    group of payloads at once) or not.

    New notices that nothing else in ``entries`` names (the bulk of a large ingest) are written together:
    a run of them costs one statement per table instead of a dozen per notice. Should that fail, the run
    is rolled back and written notice by notice, so a bad notice costs only itself."""
    if len(entries) == 1:
        return [_save_or_error(entries[0])]
    results: list[Change | DatabaseError | None] = [None] * len(entries)
    named = Counter(key for entry in entries for key in _keys(entry))
    stored = _stored(entries)
    run: list[int] = []

    def flush():
        if not run:
            return
        try:
            with transaction.atomic():
                changes = _create([entries[i] for i in run])
        except DatabaseError:
            _buyer_cache.clear()  # as in _save_one: a cached buyer may have been deleted meanwhile
            changes = [_save_or_error(entries[i]) for i in run]
        for i, change in zip(run, changes):
            results[i] = change
        run.clear()

    for index, entry in enumerate(entries):
        key = (entry.source, entry.record.source_id)
        if entry.record.changes is None and key not in stored and named[key] == 1:
            run.append(index)  # new, and independent of every other entry: order does not matter
        else:
            flush()  # what came before is written before this one, as save() one by one would
            results[index] = _save_or_error(entry)
    flush()
    return results


def _keys(entry: Entry) -> list[tuple[str, str]]:
    record = entry.record
    return [(entry.source, record.source_id), *([(entry.source, record.changes)] if record.changes else [])]


def _stored(entries: Sequence[Entry]) -> set[tuple[str, str]]:
    """Which of the entries' own ids are already notices (one query per source and 500 ids)."""
    wanted: dict[str, list[str]] = {}
    for entry in entries:
        wanted.setdefault(entry.source, []).append(entry.record.source_id)
    found = set()
    with connection.cursor() as cursor:
        for source, ids in wanted.items():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                cursor.execute(_STORED_SQL % ", ".join(["%s"] * len(chunk)), [source, *chunk])
                found.update((source, source_id) for (source_id,) in cursor.fetchall())
    return found


def _save_or_error(entry: Entry) -> Change | DatabaseError:
    try:
        return _save_one(entry)
    except DatabaseError as exc:
        return exc


def _save_one(entry: Entry) -> Change:
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _save(entry)
        except IntegrityError:
            # Another process created the same notice (or version) between our read and our write:
            # the second attempt finds it and carries on as an update or as unchanged. (Or a cached
            # buyer was deleted meanwhile: the second attempt looks it up again.)
            _buyer_cache.clear()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def reject(*, origin: str, reason: str, raw: bytes = b"", fmt: str = "") -> Rejection:
    """Keep input that could not be stored, with the reason, for an operator to see (admin)."""
    return Rejection.objects.create(
        origin=origin[:1000],
        reason=reason,
        raw=raw,
        raw_hash=hashlib.sha256(raw).hexdigest() if raw else "",
        size=len(raw),
        format=fmt,
    )


def _save(entry: Entry) -> Change:
    record, digest = entry.record, entry.encoded.digest
    notice = _find_notice(record, entry.source)
    if notice is None:
        return _create([entry])[0]
    now = timezone.now()
    current = notice.current_version
    if current is not None and current.content_hash == digest:
        _refresh_classification(notice, record)
        return Change(notice, UNCHANGED)
    number = (notice.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    if current is not None and _superseded(notice, current, record):
        # An older payload that arrived late (say the original after its corrigendum): kept once as
        # history, but the notice keeps the newer state.
        if notice.versions.filter(content_hash=digest).exists():
            return Change(notice, UNCHANGED)
        version = _version(entry, notice, number, now, {"outcome": STALE})
        _insert_versions([version])
        return Change(notice, STALE, version=version)
    # Anything else differs from the notice as it stands, even if an earlier version said the same
    # (a correction that moves a deadline back): a new version, and its changes are reported.
    change = Change(notice, UPDATED)
    change.cancelled = notice.status != record.status and record.status == Notice.Status.CANCELLED
    values = _notice_values(record)
    for name, value in values.items():
        if getattr(notice, name) != value:
            if name not in _UNREPORTED:
                change.fields.append(name)
            setattr(notice, name, value)
    notice.updated_at = now
    buyers = [_upsert_buyer(b, key) for b, key in zip(record.buyers, entry.encoded.buyer_keys)]
    notice.save()
    _sync_lots(notice, record)
    _sync_deadlines(notice, record.deadlines, change)
    notice.buyers.set([buyer for buyer, _ in buyers])
    notice.contacts.set([contact for _, contact in buyers if contact is not None])
    change.version = _version(entry, notice, number, now, change.as_json())
    _insert_versions([change.version])
    notice_changed.send(sender=Notice, change=change)
    return change


def _create(entries: list[Entry]) -> list[Change]:
    """New notices with all their rows. A new notice has nothing to compare with, so its rows go straight
    in, and those of many new notices go in together: one INSERT per table (see ``_Table``)."""
    db = transaction.get_connection()
    now = timezone.now()
    changes, buyers, keyed = [], [], []
    for entry in entries:
        record = entry.record
        deadlines = list(_by_key(record.deadlines).values())
        notice = Notice(
            source=entry.source,
            source_id=record.changes or record.source_id,  # a change of a notice we never saw stands for it
            created_at=now,
            updated_at=now,
            **_notice_values(record),
        )
        change = Change(notice, NEW)
        change.added = [DeadlineChange(d.kind, d.lot or "", None, d.at.astimezone(dt.UTC)) for d in deadlines]
        changes.append(change)
        keyed.append(deadlines)
        buyers.append([_upsert_buyer(b, key) for b, key in zip(record.buyers, entry.encoded.buyer_keys)])

    ids = _table(Notice, db).insert(db, [c.notice.__dict__ for c in changes], returning=("source", "source_id"))
    lots, deadline_rows, notice_buyers, notice_contacts = [], [], [], []
    for entry, change, found, deadlines in zip(entries, changes, buyers, keyed):
        notice = change.notice
        notice.pk = ids[(notice.source, notice.source_id)]
        notice._state.adding, notice._state.db = False, db.alias
        lots.extend({"notice_id": notice.pk, **values} for values in _lot_values(entry.record))
        deadline_rows.extend(
            {"notice_id": notice.pk, "lot": added.lot, "at": added.new, **_deadline_values(d)}
            for added, d in zip(change.added, deadlines)
        )
        notice_buyers.extend({"notice_id": notice.pk, "buyer_id": pk} for pk in dict.fromkeys(b.pk for b, _ in found))
        notice_contacts.extend(
            {"notice_id": notice.pk, "contactpoint_id": pk}
            for pk in dict.fromkeys(c.pk for _, c in found if c is not None)
        )
    _table(Lot, db).insert(db, lots)
    _table(Deadline, db).insert(db, deadline_rows)
    _table(Notice.buyers.through, db).insert(db, notice_buyers)
    _table(Notice.contacts.through, db).insert(db, notice_contacts)
    for entry, change in zip(entries, changes):
        change.version = _version(entry, change.notice, 1, now, change.as_json())
    _insert_versions([change.version for change in changes])
    for change in changes:
        notice_changed.send(sender=Notice, change=change)
    return changes


def _insert_versions(versions: list[NoticeVersion]) -> None:
    """Insert versions of distinct notices and make each its notice's current version."""
    db = transaction.get_connection()
    ids = _table(NoticeVersion, db).insert(db, [v.__dict__ for v in versions], returning=("notice_id",))
    for version in versions:
        version.pk = ids[(version.notice_id,)]
        version._state.adding, version._state.db = False, db.alias
    current = [v for v in versions if v.changes.get("outcome") != STALE]  # a stale version is history only
    for version in current:
        version.notice.current_version = version
    if current:
        with db.cursor() as cursor:
            cursor.executemany(_CURRENT_VERSION_SQL, [(v.pk, v.notice_id) for v in current])


_NOTICE = Notice._meta
_CURRENT_VERSION_SQL = (
    f"UPDATE {_NOTICE.db_table} SET {_NOTICE.get_field('current_version').column} = %s "
    f"WHERE {_NOTICE.pk.column} = %s"
)
_STORED_SQL = (
    f"SELECT {_NOTICE.get_field('source_id').column} FROM {_NOTICE.db_table} "
    f"WHERE {_NOTICE.get_field('source').column} = %%s AND {_NOTICE.get_field('source_id').column} IN (%s)"
)
_FIND_SQL = (
    f"SELECT {_NOTICE.get_field('source_id').column}, {_NOTICE.pk.column} FROM {_NOTICE.db_table} "
    f"WHERE {_NOTICE.get_field('source').column} = %s AND {_NOTICE.get_field('source_id').column} IN (%s, %s)"
)


class JSONText(str):
    """JSON already encoded (a version's record, encoded in the reader's process): inserted as it is."""


class _Table:
    """A prepared INSERT for one model: its columns, and how each Python value becomes a database value,
    worked out once per connection. Django's per-call query building and its per-value field machinery
    (``get_db_prep_save``) would otherwise be most of what a bulk load spends per notice.

    Rows are dicts by attribute name (a model instance's ``__dict__`` is one); a missing value is the
    field's default."""

    ROWS_PER_STATEMENT = 200  # far below SQLite's and PostgreSQL's limits on parameters per statement

    def __init__(self, model, db):
        meta = model._meta
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        self.columns = [(f.attname, _adapter(f, db), f.get_default) for f in fields]
        quote = db.ops.quote_name
        self.head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "
        self.values = "(" + ", ".join(["%s"] * len(fields)) + ")"
        self.pk = quote(meta.pk.column)
        self.meta = meta

    def params(self, row: dict) -> list:
        params = []
        for name, adapt, default in self.columns:
            value = row[name] if name in row else default()
            params.append(value if adapt is None else adapt(value))
        return params

    def insert(self, db, rows: list[dict], returning: tuple[str, ...] = ()) -> dict[tuple, int]:
        """INSERT the rows; with ``returning``, the new primary keys by those columns' values (RETURNING
        gives rows in no promised order, so they are matched by a key, not by position)."""
        found: dict[tuple, int] = {}
        if not rows:
            return found
        with db.cursor() as cursor:
            if not returning:
                cursor.executemany(self.head + self.values, [self.params(row) for row in rows])
                return found
            quote = db.ops.quote_name
            tail = " RETURNING " + ", ".join(quote(self.meta.get_field(c).column) for c in returning) + ", " + self.pk
            for start in range(0, len(rows), self.ROWS_PER_STATEMENT):
                chunk = rows[start : start + self.ROWS_PER_STATEMENT]
                sql = self.head + ", ".join([self.values] * len(chunk)) + tail
                cursor.execute(sql, [p for row in chunk for p in self.params(row)])
                found.update((tuple(r[:-1]), r[-1]) for r in cursor.fetchall())
        if len(found) != len(rows):
            raise IntegrityError(f"{self.meta.label}: {len(rows)} rows inserted, {len(found)} keys returned")
        return found


@functools.lru_cache(maxsize=64)
def _table(model, db) -> _Table:
    return _Table(model, db)


# Fields whose database value is the Python value itself (text, numbers, booleans, foreign key ids).
_PLAIN = (models.CharField, models.TextField, models.BooleanField, models.IntegerField, models.ForeignKey)


def _adapter(f, db):
    """How a value of field ``f`` becomes a parameter: None when it goes as it is."""
    if isinstance(f, _PLAIN):
        return None
    if isinstance(f, models.JSONField):
        if db.vendor == "postgresql":
            from psycopg.types.json import Jsonb

            def to_jsonb(value):
                if isinstance(value, JSONText):
                    return Jsonb(value, dumps=str)
                return None if value is None else db.ops.adapt_json_value(value, f.encoder)

            return to_jsonb
        return lambda value: value if value is None or isinstance(value, JSONText) else json.dumps(value, cls=f.encoder)
    if isinstance(f, models.DateTimeField) and not (f.auto_now or f.auto_now_add):
        return db.ops.adapt_datetimefield_value
    return lambda value: f.get_db_prep_save(value, db)


def _superseded(notice: Notice, current: NoticeVersion, record: NoticeRecord) -> bool:
    """Whether ``record`` is older than the notice's current state: by the dates the source gave, or, when
    they are equal or missing, because a version of this notice is a change notice naming it."""
    if current.issued_at and record.published_at and record.published_at != current.issued_at:
        return record.published_at < current.issued_at
    return record.changes is None and (
        notice.versions.filter(record__changes=record.source_id).exclude(source_ref=record.source_id).exists()
    )


def _version(entry: Entry, notice: Notice, number: int, now: dt.datetime, changes: dict) -> NoticeVersion:
    record = entry.record
    return NoticeVersion(
        notice=notice,
        number=number,
        content_hash=entry.encoded.digest,
        raw_hash=entry.raw.sha256,
        raw=entry.raw.stored,
        raw_encoding=entry.raw.encoding,
        format=entry.fmt,
        origin=entry.origin[:1000],
        source_ref=record.source_id[:500],
        source_version=(record.version or "")[:50],
        issued_at=record.published_at,
        received_at=now,
        record=JSONText(entry.encoded.record_json),
        changes=changes,
    )


def _find_notice(record: NoticeRecord, source: str) -> Notice | None:
    """The notice this record is a version of: the one it says it changes, else its own id. The id a
    change names may also be that of one of the notice's later versions (a change of a change)."""
    keys = [record.changes, record.source_id] if record.changes else [record.source_id]
    with connection.cursor() as cursor:  # the hot path of every ingest: a plain indexed look-up
        cursor.execute(_FIND_SQL, [source, keys[0], keys[-1]])
        found = dict(cursor.fetchall())
    if record.changes and record.changes not in found:
        version = (
            NoticeVersion.objects.filter(notice__source=source, source_ref=record.changes)
            .select_related("notice")
            .first()
        )
        if version is not None:
            return version.notice
    pk = next((found[key] for key in keys if key in found), None)
    return Notice.objects.get(pk=pk) if pk is not None else None


def _notice_values(record: NoticeRecord) -> dict:
    """The notice's fields as the record gives them; a change of any but the last three is reported."""
    lot_cpv = [c for lot in record.lots for c in lot.cpv]
    closing = sorted(d.at.astimezone(dt.UTC) for d in record.deadlines if d.kind in CLOSING_KINDS)
    return {
        "procedure_id": record.procedure_id or "",
        "notice_type": record.notice_type,
        "language": record.language or "",
        "subtype": record.subtype or "",
        "procedure_type": record.procedure_type or "",
        "nuts": list(record.nuts),
        "title": record.title,
        "titles": dict(record.titles),
        "descriptions": dict(record.descriptions),
        "cpv": list(record.cpv),
        "all_cpv": list(dict.fromkeys([*record.cpv, *lot_cpv])),
        "links": list(record.links),
        "estimated_value": record.estimated_value,
        "currency": record.currency or "",
        "published_at": record.published_at,
        "source_url": record.source_url or "",
        "warnings": list(record.warnings),
        # Not reported as changed fields: the status is (as a cancellation), the deadlines are (as moves).
        "status": record.status,
        "next_deadline": closing[0] if closing else None,
        "closes_at": closing[-1] if closing else None,
    }


_UNREPORTED = ("status", "next_deadline", "closes_at", *NOT_HASHED)


def _refresh_classification(notice: Notice, record: NoticeRecord) -> None:
    """A notice read again unchanged may still be classified better than when it was stored (NUTS codes,
    subtype and procedure type, read since issue 15 and kept out of the content hash): its columns are
    brought up to date without a new version."""
    values = _notice_values(record)
    fresh = {name: values[name] for name in NOT_HASHED if getattr(notice, name) != values[name]}
    if fresh:
        Notice.objects.filter(pk=notice.pk).update(**fresh)
        for name, value in fresh.items():
            setattr(notice, name, value)


def _lot_values(record: NoticeRecord) -> list[dict]:
    return [
        {
            "lot_id": lot.id,
            "title": lot.title or "",
            "titles": dict(lot.titles),
            "cpv": list(lot.cpv),
            "estimated_value": lot.estimated_value,
        }
        for lot in {lot.id: lot for lot in record.lots}.values()
    ]


def _by_key(deadlines: tuple[DeadlineRecord, ...]) -> dict[tuple[str, str], DeadlineRecord]:
    """One instant per (lot, kind); where a notice gives two, the earlier, the one a bidder must not miss."""
    found: dict[tuple[str, str], DeadlineRecord] = {}
    for d in deadlines:
        key = (d.lot or "", d.kind)
        if key not in found or d.at < found[key].at:
            found[key] = d
    return found


def _deadline_values(d: DeadlineRecord) -> dict:
    """What a deadline row says besides its notice, lot and instant (which may move)."""
    return {
        "kind": d.kind,
        "needs_review": d.needs_review,
        "review_reasons": list(d.review_reasons),
        "text": d.text or "",
    }


def _sync_lots(notice: Notice, record: NoticeRecord) -> None:
    """Make the notice's lots what the record says, keeping the rows of lots that stay."""
    existing = {lot.lot_id: lot for lot in notice.lots.all()}
    for values in _lot_values(record):
        row = Lot(notice=notice, **values)
        kept = existing.pop(row.lot_id, None)
        row.pk = kept.pk if kept else None
        row.save()
    if existing:
        Lot.objects.filter(pk__in=[lot.pk for lot in existing.values()]).delete()


def _sync_deadlines(notice: Notice, deadlines: tuple[DeadlineRecord, ...], change: Change) -> None:
    incoming = _by_key(deadlines)
    existing = {(d.lot, d.kind): d for d in notice.deadlines.all()}
    for key, d in incoming.items():
        row = existing.pop(key, None)
        at = d.at.astimezone(dt.UTC)
        if row is None:
            Deadline(notice=notice, lot=key[0], at=at, **_deadline_values(d)).save()
            change.added.append(DeadlineChange(d.kind, key[0], None, at))
            continue
        if not row.active:
            row.active = True
            row.sequence += 1
            change.added.append(DeadlineChange(d.kind, key[0], None, at))
        elif row.at != at:
            row.sequence += 1
            change.moved.append(DeadlineChange(d.kind, key[0], row.at, at))
        row.at = at
        for name, value in _deadline_values(d).items():
            setattr(row, name, value)
        row.save()
    for (lot, kind), row in existing.items():
        if row.active:
            row.active = False
            row.sequence += 1
            row.save(update_fields=["active", "sequence"])
            change.removed.append(DeadlineChange(kind, lot, row.at, None))


# Buyer records already written by this process, so a buyer seen on every notice of a run costs no
# query. Filled only after commit, emptied when full and after an integrity error (see save()).
_buyer_cache: dict[str, tuple[Buyer, ContactPoint | None]] = {}
_BUYER_CACHE_SIZE = 10_000


def _upsert_buyer(record: BuyerRecord, key: str) -> tuple[Buyer, ContactPoint | None]:
    """``key`` is ``canonical_json(record)`` (see ``Encoded``)."""
    if (hit := _buyer_cache.get(key)) is not None:
        return hit
    result = _write_buyer(record)

    def remember():
        if len(_buyer_cache) >= _BUYER_CACHE_SIZE:
            _buyer_cache.clear()
        _buyer_cache[key] = result

    transaction.on_commit(remember)
    return result


def _write_buyer(record: BuyerRecord) -> tuple[Buyer, ContactPoint | None]:
    """The buyer this record names: found by a checked identifier, else by name among buyers that have
    none, else new. Its identifiers, names and contact point are added to what we knew."""
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
            name=record.name, name_key=name_key, names=dict(record.names), country=record.address.country or ""
        )
    else:
        names = {**buyer.names, **record.names}
        if names != buyer.names or (record.address.country and not buyer.country):
            buyer.names = names
            buyer.country = buyer.country or record.address.country or ""
            buyer.updated_at = timezone.now()
            buyer.save(update_fields=["names", "country", "updated_at"])
    for ident in record.identifiers:
        BuyerIdentifier.objects.get_or_create(
            scheme=ident.scheme or "",
            value=ident.id,
            defaults={"buyer": buyer, "valid": ident.valid, "as_written": ident.as_written or ident.id},
        )
    return buyer, _contact(buyer, record)


def _contact(buyer: Buyer, record: BuyerRecord) -> ContactPoint | None:
    a = record.address
    fields = {
        "street": a.street or "",
        "po_box": a.po_box or "",
        "postal_code": a.postal_code or "",
        "city": a.city or "",
        "country": a.country or "",
        "email": record.email or "",
        "phone": record.phone.as_written if record.phone else "",
        "phone_e164": (record.phone.e164 or "") if record.phone else "",
        "phone_valid": record.phone.valid if record.phone else None,
        "fax": record.fax.as_written if record.fax else "",
        "fax_e164": (record.fax.e164 or "") if record.fax else "",
        "fax_valid": record.fax.valid if record.fax else None,
        "url": record.url or "",
    }
    if not any(v for k, v in fields.items() if k != "country" and v not in (None, "")):
        return None
    fingerprint = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
    contact, _ = ContactPoint.objects.get_or_create(buyer=buyer, fingerprint=fingerprint, defaults=fields)
    return contact
