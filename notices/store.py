"""The one writer of notices.

``save()`` takes what a reader (or an officer) produced and writes it in one transaction: buyer, notice,
version, lots, deadlines and contacts. It is idempotent (the same record twice changes nothing) and says
what changed, so reminders can follow: a new notice, deadlines moved (old and new), added or removed,
a cancellation. Receivers of ``notice_changed`` run inside the same transaction, so a reminder plan can
never disagree with the deadlines it was planned from.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, connection, models, transaction
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
from notices.records import BuyerRecord, DeadlineRecord, NoticeRecord

# Sent inside the writing transaction with ``change=Change`` whenever a notice is new or was updated.
notice_changed = Signal()

# Deadlines that decide whether a call is still open (and so the listing order).
CLOSING_KINDS = ("tender", "participation")

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


def content_hash(record: NoticeRecord) -> str:
    """SHA-256 of everything the reader understood, so the same notice in other bytes is no new version."""
    return hashlib.sha256(json.dumps(record, sort_keys=True, default=_json_default).encode()).hexdigest()


def save(
    record: NoticeRecord, *, raw: bytes, origin: str, fmt: str | None = None, source: str | None = None
) -> Change:
    """Write one notice record; see the module docstring. ``source`` overrides ``record.source``
    (officer-published notices)."""
    digest = content_hash(record)
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _save(record, raw, origin, fmt or record.source, source or record.source, digest)
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


def _save(record: NoticeRecord, raw: bytes, origin: str, fmt: str, source: str, digest: str) -> Change:
    notice = _find_notice(record, source)
    now = timezone.now()
    created = notice is None
    if created:
        notice = Notice(source=source, source_id=record.changes or record.source_id, created_at=now)
        number = 1
    else:
        current = notice.current_version
        if current is not None and current.content_hash == digest:
            return Change(notice, UNCHANGED)
        if current is not None and _superseded(notice, current, record):
            # An older payload that arrived late (say the original after its corrigendum): kept once as
            # history, but the notice keeps the newer state.
            if notice.versions.filter(content_hash=digest).exists():
                return Change(notice, UNCHANGED)
            number = (notice.versions.aggregate(n=Max("number"))["n"] or 0) + 1
            version = _version(notice, number, record, raw, origin, fmt, digest, now, {"outcome": STALE})
            version.save()
            return Change(notice, STALE, version=version)
        # Anything else differs from the notice as it stands, even if an earlier version said the same
        # (a correction that moves a deadline back): a new version, and its changes are reported.
        number = (notice.versions.aggregate(n=Max("number"))["n"] or 0) + 1

    change = Change(notice, NEW if created else UPDATED)
    change.fields = _apply_fields(notice, record, created)
    if not created and notice.status != record.status and record.status == Notice.Status.CANCELLED:
        change.cancelled = True
    notice.status = record.status
    closing = sorted(d.at.astimezone(dt.UTC) for d in record.deadlines if d.kind in CLOSING_KINDS)
    notice.next_deadline = closing[0] if closing else None
    notice.closes_at = closing[-1] if closing else None
    notice.updated_at = now
    buyers = [_upsert_buyer(b) for b in record.buyers]
    if created:
        # A new notice has nothing to compare with: its rows go straight in (see _insert).
        _insert([notice], returning=True)
        rows = [_deadline_row(notice, d) for d in _by_key(record.deadlines).values()]
        _insert(_lot_rows(notice, record))
        _insert(rows)
        change.added = [DeadlineChange(d.kind, d.lot, None, d.at) for d in rows]
        _insert([Notice.buyers.through(notice_id=notice.pk, buyer_id=pk) for pk in {b.pk for b, _ in buyers}])
        _insert(
            [
                Notice.contacts.through(notice_id=notice.pk, contactpoint_id=pk)
                for pk in {c.pk for _, c in buyers if c is not None}
            ]
        )
    else:
        notice.save()
        _sync_lots(notice, record)
        _sync_deadlines(notice, record.deadlines, change)
        notice.buyers.set([buyer for buyer, _ in buyers])
        notice.contacts.set([contact for _, contact in buyers if contact is not None])
    change.version = _version(notice, number, record, raw, origin, fmt, digest, now, change.as_json())
    _insert([change.version], returning=True)
    with connection.cursor() as cursor:
        cursor.execute(_CURRENT_VERSION_SQL, [change.version.pk, notice.pk])
    notice.current_version = change.version
    notice_changed.send(sender=Notice, change=change)
    return change


_NOTICE = Notice._meta
_CURRENT_VERSION_SQL = (
    f"UPDATE {_NOTICE.db_table} SET {_NOTICE.get_field('current_version').column} = %s "
    f"WHERE {_NOTICE.pk.column} = %s"
)
_FIND_SQL = (
    f"SELECT {_NOTICE.get_field('source_id').column}, {_NOTICE.pk.column} FROM {_NOTICE.db_table} "
    f"WHERE {_NOTICE.get_field('source').column} = %s AND {_NOTICE.get_field('source_id').column} IN (%s, %s)"
)


def _insert(objs: list, *, returning: bool = False) -> None:
    """INSERT model instances with the ORM's own field conversions (``get_db_prep_save``) but none of
    its per-call query building, which is most of what a bulk load spends per notice. ``returning``
    sets the primary key of a single object (SQLite 3.35+ and PostgreSQL both have RETURNING)."""
    if not objs:
        return
    meta = objs[0]._meta
    db = transaction.get_connection()  # the connection itself: the proxy costs a look-up per attribute
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    sql = _insert_sql(meta.label, db.vendor, fields, returning)
    columns = _columns(fields)
    params = [
        [
            getattr(obj, attname) if plain else f.get_db_prep_save(f.pre_save(obj, True), db)
            for f, attname, plain in columns
        ]
        for obj in objs
    ]
    with db.cursor() as cursor:
        if returning:
            (obj,) = objs
            cursor.execute(sql, params[0])
            obj.pk = cursor.fetchone()[0]
            obj._state.adding, obj._state.db = False, db.alias
        else:
            cursor.executemany(sql, params)


# Fields whose database value is the Python value itself (text, numbers, booleans, foreign key ids), so
# the per-value conversion can be skipped; dates, JSON, decimals and bytes still go through the field.
_PLAIN = (models.CharField, models.TextField, models.BooleanField, models.IntegerField, models.ForeignKey)


@functools.lru_cache(maxsize=64)
def _columns(fields: tuple) -> tuple:
    """(field, attname, plain) for each field, ``plain`` when its value goes to the database as it is."""
    return tuple((f, f.attname, isinstance(f, _PLAIN) and not getattr(f, "auto_now", False)) for f in fields)


@functools.lru_cache(maxsize=64)
def _insert_sql(label: str, vendor: str, fields: tuple, returning: bool) -> str:
    meta = fields[0].model._meta
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    return sql + f" RETURNING {connection.ops.quote_name(meta.pk.column)}" if returning else sql


def _superseded(notice: Notice, current: NoticeVersion, record: NoticeRecord) -> bool:
    """Whether ``record`` is older than the notice's current state: by the dates the source gave, or, when
    they are equal or missing, because a version of this notice is a change notice naming it."""
    if current.issued_at and record.published_at and record.published_at != current.issued_at:
        return record.published_at < current.issued_at
    return record.changes is None and (
        notice.versions.filter(record__changes=record.source_id).exclude(source_ref=record.source_id).exists()
    )


def _version(notice, number, record, raw, origin, fmt, digest, now, changes) -> NoticeVersion:
    return NoticeVersion(
        notice=notice,
        number=number,
        content_hash=digest,
        raw_hash=hashlib.sha256(raw).hexdigest(),
        raw=raw,
        format=fmt,
        origin=origin[:1000],
        source_ref=record.source_id[:500],
        source_version=(record.version or "")[:50],
        issued_at=record.published_at,
        received_at=now,
        record=record.as_json(),
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


def _apply_fields(notice: Notice, record: NoticeRecord, created: bool) -> list[str]:
    lot_cpv = [c for lot in record.lots for c in lot.cpv]
    values = {
        "procedure_id": record.procedure_id or "",
        "notice_type": record.notice_type,
        "language": record.language or "",
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
    }
    changed = []
    for name, value in values.items():
        if getattr(notice, name) != value:
            if not created:
                changed.append(name)
            setattr(notice, name, value)
    return changed


def _lot_rows(notice: Notice, record: NoticeRecord) -> list[Lot]:
    return [
        Lot(
            notice=notice,
            lot_id=lot.id,
            title=lot.title or "",
            titles=dict(lot.titles),
            cpv=list(lot.cpv),
            estimated_value=lot.estimated_value,
        )
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


def _deadline_row(notice: Notice, d: DeadlineRecord) -> Deadline:
    return Deadline(
        notice=notice,
        lot=d.lot or "",
        kind=d.kind,
        at=d.at.astimezone(dt.UTC),
        needs_review=d.needs_review,
        text=d.text or "",
    )


def _sync_lots(notice: Notice, record: NoticeRecord) -> None:
    """Make the notice's lots what the record says, keeping the rows of lots that stay."""
    existing = {lot.lot_id: lot for lot in notice.lots.all()}
    for row in _lot_rows(notice, record):
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
            _deadline_row(notice, d).save()
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
        row.needs_review = d.needs_review
        row.text = d.text or ""
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


def _upsert_buyer(record: BuyerRecord) -> tuple[Buyer, ContactPoint | None]:
    key = json.dumps(record, sort_keys=True, default=_json_default)
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


def _json_default(value):
    if dataclasses.is_dataclass(value):
        return value.__dict__
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
