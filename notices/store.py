"""The one writer of notices.

``save()`` takes what a reader (or an officer) produced and writes it in one transaction: buyer, notice,
version, lots, deadlines and contacts. It is idempotent (the same record twice changes nothing) and says
what changed, so reminders can follow: a new notice, deadlines moved (old and new), added or removed,
a cancellation. Receivers of ``notice_changed`` run inside the same transaction, so a reminder plan can
never disagree with the deadlines it was planned from.

One notice, two origins: an eForms record whose notice id (BT-701, or the id its change notice names) is
one an officer's notice was exported with (``EformsNotice``/``DraftEforms``) is TED's or Hilma's published
copy of that notice. It attaches to the officer's notice as a version with outcome ``attached`` (its
bytes kept, the notice itself unchanged: the officer's stays the editable one) instead of becoming a
second notice; TED's copy also marks the submission published, with its publication number.

A notice's buyer is matched by a checked identifier, else by name among buyers with none (``_write_buyer``),
and written with plain statements: a buyer seen for the first time is two look-ups and one INSERT each for
it, its identifiers and its contact point, no savepoint. Two writers meeting the same new buyer at once
(two ingest processes on PostgreSQL) end with one: its identifier's unique constraint decides, and the
writer that finds the identifier taken drops the rows it just wrote and takes the other's buyer.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models import F, Max, Min
from django.dispatch import Signal
from django.utils import timezone

from notices import clock
from notices.gate import admit, shown
from notices.models import (
    Buyer,
    BuyerIdentifier,
    ContactPoint,
    Deadline,
    DraftEforms,
    EformsNotice,
    Lot,
    Notice,
    NoticeOrigin,
    NoticeVersion,
    Rejection,
)
from notices.records import NOT_HASHED, BuyerRecord, DeadlineRecord, Encoded, NoticeRecord, RawPayload
from notices.vocab import CLOSING_KINDS, LATEST, in_range

# Sent inside the writing transaction with ``change=Change`` whenever a notice is new or was updated.
notice_changed = Signal()

# Deadlines that decide whether a call is still open (and so the listing order).

NEW, UPDATED, UNCHANGED, STALE = "new", "updated", "unchanged", "stale"
ATTACHED = "attached"  # a published copy of an officer's exported notice, kept with it (module docstring)


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
        admitted: bool = False,
    ) -> Entry:
        """``admitted``: the record has passed ``notices.gate.admit`` already (``notices.ingest.read``
        admits what it reads, in the reader's process); otherwise it passes it here."""
        raw = raw if isinstance(raw, RawPayload) else RawPayload.of(raw)
        if not admitted:
            passed = admit(record)  # the gate (notices.gate); raises IngestError for what cannot be kept
            if passed is not record:
                record, encoded = passed, None
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


# What storing one notice may fail with, costing only that notice: the database refused a value, or a
# value could not be made one (the gate should have stopped it; if not, the batch still goes on).
UNSTORABLE = (DatabaseError, ValueError, ArithmeticError)


def save_many(entries: Sequence[Entry]) -> list[Change | Exception]:
    """Write each entry as ``save`` would, in order, each notice all-or-nothing; an entry that could not
    be stored gets its error (one of ``UNSTORABLE``) in its place. Inside a transaction (a bulk ingest commits a
    group of payloads at once) or not.

    New notices that nothing else in ``entries`` names (the bulk of a large ingest) are written together:
    a run of them costs one statement per table instead of a dozen per notice. Should that fail, the run
    is rolled back and written notice by notice, so a bad notice costs only itself."""
    if len(entries) == 1:
        return [_save_or_error(entries[0])]
    results: list[Change | DatabaseError | None] = [None] * len(entries)
    named = Counter(key for entry in entries for key in _keys(entry))
    stored = _stored(entries)
    officers = _officers_of(entries)
    run: list[int] = []

    def flush():
        if not run:
            return
        try:
            with transaction.atomic():
                changes = _create([entries[i] for i in run])
        except UNSTORABLE:
            _buyer_cache.clear()  # as in _save_one: a cached buyer may have been deleted meanwhile
            changes = [_save_or_error(entries[i]) for i in run]
        for i, change in zip(run, changes):
            results[i] = change
        run.clear()

    for index, entry in enumerate(entries):
        key = (entry.source, entry.record.source_id)
        # (A record with aliases may be a notice stored under another id: it is looked up like an update.)
        independent = entry.record.changes is None and not entry.record.aliases
        if independent and key not in stored and named[key] == 1 and not (
            officers and officers.keys() & _exported_ids(entry)
        ):
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


def _save_or_error(entry: Entry) -> Change | Exception:
    try:
        return _save_one(entry)
    except UNSTORABLE as exc:
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


def reject(*, origin: str, reason: str, raw: bytes = b"", fmt: str = "", size: int | None = None) -> Rejection:
    """Keep input that could not be stored, with the reason, for an operator to see (admin). ``raw`` may
    be only the first bytes of a payload too large to keep; ``size`` is then its whole size."""
    return Rejection.objects.create(
        origin=shown(origin, 1000),
        reason=shown(reason, 10_000),
        raw=raw,
        raw_hash=hashlib.sha256(raw).hexdigest() if raw else "",
        size=min(len(raw) if size is None else max(size, len(raw)), 2**31 - 1),
        format=fmt,
    )


def save_buyer(record: BuyerRecord, *, origin: str) -> Buyer:
    """A buyer without a notice (staff create one, an operator approves a request): matched and written
    exactly as a notice's buyer is, so a later notice naming the same identifier finds this row. The
    buyer's own officers are as authoritative as its eForms notices (``AUTHORITY``)."""
    with transaction.atomic():
        buyer, _contact_point = _write_buyer(record, "officer", origin)
    return buyer


def _save(entry: Entry) -> Change:
    record, digest = entry.record, entry.encoded.digest
    officers = _officers_of([entry])
    if officers:
        ids = _exported_ids(entry)
        return _attach(entry, next(officers[key] for key in ids if key in officers))
    notice = _find_notice(record, entry.source)
    if notice is None:
        return _create([entry])[0]
    now = timezone.now()
    _add_origins([(notice.pk, entry.origin)], now)  # the same notice from another place is one more origin
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
    if notice.source_id != record.source_id and notice.source_id in record.aliases:
        notice.source_id = record.source_id  # found by an earlier reader's id: it takes the current one
    buyers = [_upsert_buyer(b, key, entry) for b, key in zip(record.buyers, entry.encoded.buyer_keys)]
    notice.save()
    _sync_lots(notice, record)
    _sync_deadlines(notice, record.deadlines, change)
    notice.buyers.set([buyer for buyer, _ in buyers])
    notice.contacts.set([contact for _, contact in buyers if contact is not None])
    change.version = _version(entry, notice, number, now, change.as_json())
    _insert_versions([change.version])
    notice_changed.send(sender=Notice, change=change)
    return change


def _exported_ids(entry: Entry) -> list[uuid.UUID]:
    """The eForms notice ids (BT-701, and BT-758's) an eForms record could share with an officer's export."""
    if entry.source != "eforms":
        return []
    found = []
    for value in (entry.record.source_id, entry.record.changes):
        try:
            found.append(uuid.UUID(str(value or "")[:36]))
        except ValueError:
            pass
    return found


def _officers_of(entries: Sequence[Entry]) -> dict[uuid.UUID, int]:
    """Exported eForms notice id -> the officer's public notice, for the ids these entries name."""
    keys = list({key for entry in entries for key in _exported_ids(entry)})
    found: dict[uuid.UUID, int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for model in (DraftEforms, EformsNotice):
            found.update(
                model.objects.filter(notice_uuid__in=chunk, draft__notice__isnull=False)
                .values_list("notice_uuid", "draft__notice_id")
            )
    return found


_SUBTYPE = re.compile(rb'listName="notice-subtype">\s*([^<\s]+)')
_PUBLICATION_ID = re.compile(rb"NoticePublicationID[^>]*>\s*([^<\s]+)")


def _attach(entry: Entry, notice_id: int) -> Change:
    """Keep a published copy of an officer's exported notice with the officer's notice (module docstring)."""
    record = entry.record
    notice = Notice.objects.get(pk=notice_id)
    _add_origins([(notice.pk, entry.origin)], timezone.now())  # TED's or Hilma's address, beside ours
    if notice.versions.filter(raw_hash=entry.raw.sha256).exists() or notice.versions.filter(
        content_hash=entry.encoded.digest, changes__outcome=ATTACHED
    ).exists():
        return Change(notice, UNCHANGED)
    data = entry.raw.data
    subtype = _SUBTYPE.search(data)
    kind = "national" if subtype and subtype.group(1).startswith(b"E") else "eu"
    number = _PUBLICATION_ID.search(data)
    number = number.group(1).decode("ascii", "replace")[:40] if number else ""
    now = timezone.now()
    changes = {
        "outcome": ATTACHED, "kind": kind, "source": entry.source, "source_id": record.source_id,
        "changes": record.changes, "version": record.version, "publication_number": number or None,
    }
    version = _version(entry, notice, (notice.versions.aggregate(n=Max("number"))["n"] or 0) + 1, now, changes)
    _insert_versions([version])
    try:
        own = uuid.UUID(record.source_id[:36])
    except ValueError:
        own = None
    if kind == "eu" and own is not None:
        # TED published what was submitted to it.
        submitted = EformsNotice.objects.filter(
            kind="eu", notice_uuid=own, version_id=record.version or "01", state__in=("submitted", "exported"),
        )
        for row in submitted:
            row.state, row.state_changed_at = "published", now
            row.publication_number = row.publication_number or number
            if record.published_at and row.publication_date is None:
                row.publication_date = record.published_at.date()
            row.save(update_fields=["state", "state_changed_at", "publication_number", "publication_date"])
    return Change(notice, ATTACHED, version=version)


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
        buyers.append([_upsert_buyer(b, key, entry) for b, key in zip(record.buyers, entry.encoded.buyer_keys)])

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
    _add_origins([(change.notice.pk, entry.origin) for entry, change in zip(entries, changes)], now)
    for entry, change in zip(entries, changes):
        change.version = _version(entry, change.notice, 1, now, change.as_json())
    _insert_versions([change.version for change in changes])
    for change in changes:
        notice_changed.send(sender=Notice, change=change)
    return changes


def _add_origins(pairs: list[tuple[int, str]], now: dt.datetime) -> None:
    """Remember each (notice, URL) it was read from, once (see ``NoticeOrigin``); file paths are not kept."""
    rows = [
        NoticeOrigin(notice_id=pk, url=origin[:1000], first_seen_at=now)
        for pk, origin in pairs
        if origin.startswith(("http://", "https://"))
    ]
    if rows:
        NoticeOrigin.objects.bulk_create(rows, ignore_conflicts=True)


def _insert_versions(versions: list[NoticeVersion]) -> None:
    """Insert versions of distinct notices and make each its notice's current version."""
    db = transaction.get_connection()
    ids = _table(NoticeVersion, db).insert(db, [v.__dict__ for v in versions], returning=("notice_id",))
    for version in versions:
        version.pk = ids[(version.notice_id,)]
        version._state.adding, version._state.db = False, db.alias
    # A stale version is history only; a published copy of an officer's notice is kept beside it.
    current = [v for v in versions if v.changes.get("outcome") not in (STALE, ATTACHED)]
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


_ALIAS_SQL = (
    f"SELECT {_NOTICE.get_field('source_id').column}, {_NOTICE.pk.column} FROM {_NOTICE.db_table} "
    f"WHERE {_NOTICE.get_field('source').column} = %%s AND {_NOTICE.get_field('source_id').column} IN (%s)"
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

    def insert(
        self, db, rows: list[dict], returning: tuple[str, ...] = (), ignore_conflicts: bool = False
    ) -> dict[tuple, int]:
        """INSERT the rows; with ``returning``, the new primary keys by those columns' values (RETURNING
        gives rows in no promised order, so they are matched by a key, not by position). With
        ``ignore_conflicts`` a row a unique constraint refuses is left out (ON CONFLICT DO NOTHING: on
        PostgreSQL after the uncommitted row it meets is committed or rolled back), and only the rows
        inserted are returned."""
        found: dict[tuple, int] = {}
        if not rows:
            return found
        conflicts = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
        with db.cursor() as cursor:
            if not returning:
                cursor.executemany(self.head + self.values + conflicts, [self.params(row) for row in rows])
                return found
            quote = db.ops.quote_name
            tail = " RETURNING " + ", ".join(quote(self.meta.get_field(c).column) for c in returning) + ", " + self.pk
            for start in range(0, len(rows), self.ROWS_PER_STATEMENT):
                chunk = rows[start : start + self.ROWS_PER_STATEMENT]
                sql = self.head + ", ".join([self.values] * len(chunk)) + conflicts + tail
                cursor.execute(sql, [p for row in chunk for p in self.params(row)])
                found.update((tuple(r[:-1]), r[-1]) for r in cursor.fetchall())
        if len(found) != len(rows) and not ignore_conflicts:
            raise IntegrityError(f"{self.meta.label}: {len(rows)} rows inserted, {len(found)} keys returned")
        return found

    def insert_one(self, db, row: dict) -> int:
        """INSERT one row; its new primary key."""
        with db.cursor() as cursor:
            cursor.execute(self.head + self.values + " RETURNING " + self.pk, self.params(row))
            return cursor.fetchone()[0]


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
        origin=shown(entry.origin, 1000),
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
    if pk is None and record.aliases:
        pk = _find_by_alias(record, source)
    return Notice.objects.get(pk=pk) if pk is not None else None


def _find_by_alias(record: NoticeRecord, source: str) -> int | None:
    """The notice stored under one of the record's other ids (what an earlier reader called it), the
    first of them that is; only when the record's own id is not stored."""
    aliases = list(record.aliases)[:100]
    with connection.cursor() as cursor:
        cursor.execute(_ALIAS_SQL % ", ".join(["%s"] * len(aliases)), [source, *aliases])
        found = dict(cursor.fetchall())
    return next((found[alias] for alias in aliases if alias in found), None)


def _notice_values(record: NoticeRecord) -> dict:
    """The notice's fields as the record gives them; a change of any but the last three is reported."""
    lot_cpv = [c for lot in record.lots for c in lot.cpv]
    # Only instants in the usable range decide the order and the open/closed status (notices.gate).
    closing = sorted(d.at.astimezone(dt.UTC) for d in record.deadlines if d.kind in CLOSING_KINDS and in_range(d.at))
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


# --- the next deadline, kept current --------------------------------------------------------------------

ADVANCE_EVERY = 60.0  # seconds between two runs of ``advance_next_deadlines`` in runscheduler
_ADVANCE_BATCH = 1_000


def advance_next_deadlines(now: dt.datetime | None = None, stopping=lambda: False) -> int:
    """Move ``next_deadline`` past the closing deadlines that have passed: to the earliest one still ahead,
    or to ``closes_at`` when none is. Returns how many notices moved.

    The store writes the earliest closing deadline; once it passes while a later lot is still open (lots
    closing at different times), the list must look the next one up in the notice's deadlines
    (``notices.search``, "next deadline") for every request. This job, run every ``ADVANCE_EVERY`` seconds
    by runscheduler, keeps those look-ups to the notices whose deadline passed since its last run. A notice
    the store rewrote meanwhile (``updated_at`` moved) is left for the next run: its new deadlines decide.
    """
    now = now or timezone.now()
    # Read in one go through the partial index (next_deadline up to now): no order, since ordering by id
    # made SQLite walk the whole table in id order (1.6 s at a million notices, each minute).
    stale = list(
        Notice.objects.filter(
            status=Notice.Status.ACTIVE, next_deadline__lt=F("closes_at"), next_deadline__lte=now
        ).order_by().values_list("pk", "updated_at", "closes_at")
    )
    moved = 0
    for start in range(0, len(stale), _ADVANCE_BATCH):
        if stopping():
            break
        batch = stale[start : start + _ADVANCE_BATCH]
        ahead = dict(
            Deadline.objects.filter(
                notice_id__in=[pk for pk, _u, _c in batch], active=True, kind__in=CLOSING_KINDS,
                at__gt=now, at__lt=LATEST,
            ).values("notice_id").annotate(m=Min("at")).order_by().values_list("notice_id", "m")
        )
        for pk, updated, closes in batch:
            moved += Notice.objects.filter(pk=pk, updated_at=updated).update(next_deadline=ahead.get(pk, closes))
    return moved


clock.register(clock.Job("advance-next-deadlines", run=lambda stopping: advance_next_deadlines(stopping=stopping),
                         seconds=lambda: ADVANCE_EVERY))


STATISTICS_EVERY = 3600.0  # seconds between two runs of ``refresh_statistics`` in runscheduler


def refresh_statistics(stopping=lambda: False) -> None:
    """SQLite's query planner statistics brought up to date where a table has none or has grown tenfold
    since (``PRAGMA optimize``, every table): the lists' plans depend on them (an id list read as the
    whole status index without them). PostgreSQL's autovacuum does this by itself."""
    if connection.vendor == "sqlite" and not stopping():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA optimize=0x10002")


clock.register(clock.Job("planner-statistics", run=refresh_statistics, seconds=lambda: STATISTICS_EVERY))


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
    """One instant per (lot, kind); where a notice gives two, the earlier, the one a bidder must not miss
    (an instant in the usable range before one that is not)."""
    found: dict[tuple[str, str], DeadlineRecord] = {}
    for d in deadlines:
        key = (d.lot or "", d.kind)
        if key not in found or (not in_range(d.at), d.at) < (not in_range(found[key].at), found[key].at):
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


# How much a kind of source is believed about its buyer: what the buyer publishes itself (eForms through
# TED or Hilma, its own officers here) over structured open data (OCDS) over free text on any web page
# (fi-web), which anyone can write and cite a Y-tunnus in. A source never renames a buyer known from a more
# authoritative one, nor adds names to it; one at least as authoritative may. A buyer stored before
# provenance was recorded counts as OCDS: a web page cannot rename it either.
AUTHORITY = {"eforms": 2, "officer": 2, "ocds": 1, "fi-web": 0}
_UNRECORDED = 1


def authority(source: str) -> int:
    return AUTHORITY.get(source, _UNRECORDED)


def _upsert_buyer(record: BuyerRecord, key: str, entry: Entry) -> tuple[Buyer, ContactPoint | None]:
    """``key`` is ``canonical_json(record)`` (see ``Encoded``)."""
    key = f"{entry.source}:{key}"  # the same words from a web page and from eForms do not weigh the same
    if (hit := _buyer_cache.get(key)) is not None:
        return hit
    result = _write_buyer(record, entry.source, entry.record.source_url or entry.origin)

    def remember():
        if len(_buyer_cache) >= _BUYER_CACHE_SIZE:
            _buyer_cache.clear()
        _buyer_cache[key] = result

    transaction.on_commit(remember)
    return result


def _write_buyer(record: BuyerRecord, source: str, origin: str) -> tuple[Buyer, ContactPoint | None]:
    """The buyer this record names: found by a checked identifier, else by name among buyers that have
    none, else new. Its identifiers and contact point are added to what we knew; its names only as
    ``AUTHORITY`` allows (a web page citing a buyer's Y-tunnus never renames it).

    Plain statements, no savepoint (Django's get_or_create cost 2 ms of CPU per new buyer, nearly all
    of it building queries): two look-ups, then for a new buyer one INSERT per table (``_new_buyer``)."""
    db = transaction.get_connection()
    name_key = " ".join(record.name.split()).casefold()
    country = record.address.country or ""
    strong = [i for i in record.identifiers if i.scheme and i.valid is not False]
    pk = _find_buyer(db, strong, name_key, country)
    if pk is None:
        if (new := _new_buyer(db, record, source, origin, name_key, strong)) is not None:
            return new
        pk = _find_buyer(db, strong, name_key, country)  # the other writer's, committed meanwhile
        if pk is None:
            raise IntegrityError("a buyer identifier was taken, and its buyer is gone")
    buyer = Buyer.objects.get(pk=pk)
    _rename(buyer, record, source, name_key)
    _add_identifiers(db, buyer.pk, record)
    return buyer, _contact(db, buyer, record, source, origin)


def _find_buyer(db, strong: list, name_key: str, country: str) -> int | None:
    """The buyer that has one of the ``strong`` identifiers (the first stored), else the first of that
    name and country with no valid identifier."""
    with db.cursor() as cursor:
        if strong:
            cursor.execute(
                _BY_IDENTIFIER_SQL % " OR ".join([_IDENTIFIER_IS] * len(strong)),
                [p for ident in strong for p in (ident.scheme, ident.id)],
            )
            if row := cursor.fetchone():
                return row[0]
        cursor.execute(_BY_NAME_SQL, [name_key, country])
        row = cursor.fetchone()
    return row[0] if row else None


def _new_buyer(
    db, record: BuyerRecord, source: str, origin: str, name_key: str, strong: list
) -> tuple[Buyer, ContactPoint | None] | None:
    """A buyer neither look-up found, written with its identifiers and contact point; None when another
    writer stored one of its checked identifiers since we looked. That is two ingest processes meeting
    the same new buyer at once (PostgreSQL): the identifier's unique constraint decides, the INSERT
    that lost (it waited for the winner's commit) does nothing, and the loser deletes the rows it just
    wrote, so the winner's buyer is the one (``_write_buyer`` finds it)."""
    buyer = Buyer(
        name=record.name,
        name_key=name_key,
        names=dict(record.names),
        name_sources={"": source, **dict.fromkeys(record.names, source)},
        country=record.address.country or "",
    )
    buyer.pk = _table(Buyer, db).insert_one(db, buyer.__dict__)
    buyer._state.adding, buyer._state.db = False, db.alias
    added = _add_identifiers(db, buyer.pk, record)
    if any((ident.scheme, ident.id) not in added for ident in strong):
        with db.cursor() as cursor:  # nothing refers to them yet: the contact point comes after
            cursor.execute(_DROP_IDENTIFIERS_SQL, [buyer.pk])
            cursor.execute(_DROP_BUYER_SQL, [buyer.pk])
        return None
    return buyer, _contact(db, buyer, record, source, origin, new=True)


def _add_identifiers(db, buyer_pk: int, record: BuyerRecord) -> set[tuple[str, str]]:
    """Store the record's identifiers that are not stored yet, for this buyer; one that is (this buyer's
    or another's) stays as it is. Returns the (scheme, value) of those added."""
    rows: dict[tuple[str, str], dict] = {}
    for ident in record.identifiers:  # the first of two that are one identifier is the one written
        rows.setdefault(
            (ident.scheme or "", ident.id),
            {
                "buyer_id": buyer_pk,
                "scheme": ident.scheme or "",
                "value": ident.id,
                "valid": ident.valid,
                "as_written": ident.as_written or ident.id,
            },
        )
    table = _table(BuyerIdentifier, db)
    return set(table.insert(db, list(rows.values()), returning=("scheme", "value"), ignore_conflicts=True))


_BUYER, _IDENTIFIER, _CONTACT = Buyer._meta, BuyerIdentifier._meta, ContactPoint._meta
_IDENTIFIER_IS = (
    f"({_IDENTIFIER.get_field('scheme').column} = %s AND {_IDENTIFIER.get_field('value').column} = %s)"
)
_BY_IDENTIFIER_SQL = (
    f"SELECT {_IDENTIFIER.get_field('buyer').column} FROM {_IDENTIFIER.db_table} WHERE %s "
    f"ORDER BY {_IDENTIFIER.pk.column} LIMIT 1"
)
_BY_NAME_SQL = (
    f"SELECT b.{_BUYER.pk.column} FROM {_BUYER.db_table} b "
    f"WHERE b.{_BUYER.get_field('name_key').column} = %s AND b.{_BUYER.get_field('country').column} = %s "
    f"AND NOT EXISTS (SELECT 1 FROM {_IDENTIFIER.db_table} i WHERE i.{_IDENTIFIER.get_field('buyer').column} "
    f"= b.{_BUYER.pk.column} AND i.{_IDENTIFIER.get_field('valid').column}) "
    f"ORDER BY b.{_BUYER.pk.column} LIMIT 1"
)
_DROP_IDENTIFIERS_SQL = (
    f"DELETE FROM {_IDENTIFIER.db_table} WHERE {_IDENTIFIER.get_field('buyer').column} = %s"
)
_DROP_BUYER_SQL = f"DELETE FROM {_BUYER.db_table} WHERE {_BUYER.pk.column} = %s"
_CONTACT_SQL = (
    f"SELECT {_CONTACT.pk.column}, {_CONTACT.get_field('source').column}, "
    f"{_CONTACT.get_field('origin').column} FROM {_CONTACT.db_table} WHERE {_CONTACT.get_field('buyer').column} = %s "
    f"AND {_CONTACT.get_field('fingerprint').column} = %s"
)


def _rename(buyer: Buyer, record: BuyerRecord, source: str, name_key: str) -> None:
    """Names from ``source`` for a buyer we knew: replaced by a more authoritative source, merged from one
    as authoritative, untouched by a less authoritative one."""
    known = max((authority(s) for s in buyer.name_sources.values()), default=_UNRECORDED)
    fields = {}
    if authority(source) > known:
        fields.update(
            name=record.name,
            name_key=name_key,
            names=dict(record.names),
            name_sources={"": source, **dict.fromkeys(record.names, source)},
        )
    elif authority(source) == known:
        names = {**buyer.names, **record.names}
        if names != buyer.names:
            sources = {**buyer.name_sources, **{lang: source for lang in record.names if buyer.names.get(lang) != record.names[lang]}}
            fields.update(names=names, name_sources=sources)
    if record.address.country and not buyer.country and authority(source) >= known:
        fields["country"] = record.address.country
    if fields:
        for name, value in fields.items():
            setattr(buyer, name, value)
        buyer.updated_at = timezone.now()
        buyer.save(update_fields=[*fields, "updated_at"])


def contact_fields(record: BuyerRecord) -> tuple[dict, str] | None:
    """The contact point's fields as the record gives them and their fingerprint (a contact point is one
    per buyer and fingerprint); None when the record gives nothing but a country."""
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
    return fields, hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def _contact(
    db, buyer: Buyer, record: BuyerRecord, source: str, origin: str, new: bool = False
) -> ContactPoint | None:
    """The buyer's contact point as the record gives it: the stored one with the same fields, else a new
    row (``new``: the buyer was just written, so it has none yet)."""
    given = contact_fields(record)
    if given is None:
        return None
    fields, fingerprint = given
    where = shown(origin, 1000)
    contact = ContactPoint(buyer=buyer, **fields, fingerprint=fingerprint, source=source, origin=where)
    contact._state.adding, contact._state.db = False, db.alias
    table = _table(ContactPoint, db)
    if new:
        contact.pk = table.insert_one(db, contact.__dict__)
        return contact
    with db.cursor() as cursor:
        cursor.execute(_CONTACT_SQL, [buyer.pk, fingerprint])
        row = cursor.fetchone()
        if row is None:
            added = table.insert(db, [contact.__dict__], returning=("fingerprint",), ignore_conflicts=True)
            if added:
                contact.pk = added[(fingerprint,)]
                return contact
            cursor.execute(_CONTACT_SQL, [buyer.pk, fingerprint])  # another writer's, committed meanwhile
            row = cursor.fetchone()
    contact.pk, contact.source, contact.origin = row  # the same fields (the fingerprint says so), stored
    if not contact.source or authority(source) > authority(contact.source):
        # The same contact, now also given by a more authoritative source: that is where it is from.
        contact.source, contact.origin = source, where
        contact.save(update_fields=["source", "origin"])
    return contact
