"""Matching stored notices against alerts, incrementally, outside the writer's transaction.

1. **In the writer** (``on_notice_changed``, a receiver of ``notices.store.notice_changed``): one small
   ``AlertChange`` row per new or updated notice (its id, the deadlines moved, cancelled), written with one
   plain INSERT in the store's transaction, so no change is lost and ingest pays next to nothing.
2. **The matcher** (``Matcher.run_once``, a job of ``runscheduler`` every ``ALERTS_MATCH_TICK`` seconds; there
   it lets a burst of stored notices end first: it starts once no change was queued for
   ``ALERTS_MATCH_QUIET`` seconds, or the oldest has waited ``ALERTS_MATCH_MAX_WAIT``, because the store
   and the matcher's thirty-odd items a notice would otherwise take turns at SQLite's one write lock)
   claims a batch of changes with a conditional UPDATE (a lease of ``ALERTS_MATCH_LEASE`` seconds, like the
   mail queue), and in one transaction writes what they mean and deletes them:

   * **new matches**: the notices' facts are read once (``notices.search.notice_facts``); their keys
     find candidate alerts in the index the matcher holds in memory (``scheduler.alert_index``: the
     ``AlertKey`` rows, read once and then only what changed, before each batch); each candidate is
     tested by its filters' compiled ``notices.search.notice_check`` (the list's own filters over one
     notice, in Python), and what that check cannot tell (a phrase; PostgreSQL's short words) is
     confirmed by the list's own search: ``notices.search.notices(Filters(**alert.filters))``
     restricted to the batch's candidate notices, one query per distinct filter set and batch. A match is
     announced (an ``AlertItem`` of kind ``new``) when the alert was confirmed before the notice was
     stored or changed, the notice was published at most ``ALERTS_MAX_AGE_DAYS`` before (a backfill of
     old notices announces nothing), and it is neither cancelled nor closed; items are written only for
     alerts still active at that moment (``attach``);
   * **changes to announced notices**: a deadline moved (old -> new), a cancellation, new lots, for every
     active alert that announced the notice before;
   * each alert's new items are attached to its waiting digest (``AlertMail``), or to a new one due at
     the alert's next time (``scheduler.alerts.next_due``); the dispatcher sends it like any queued mail.

Items are unique per (alert, notice) for announcements and per (alert, change, kind) for changes, so a
batch processed twice (a matcher killed after its commit but before... nothing: the delete is in the same
transaction; or two matchers with an expired lease) writes nothing twice. A matcher killed mid-batch
leaves only its claim, which expires; the batch is then matched again.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from notices import search
from notices.models import Lot, Notice
from scheduler import alerts
from scheduler.alert_index import Candidate, HeldIndex, chunks, instant
from scheduler.models import PENDING, Alert, AlertChange, AlertItem, AlertMail, State

log = logging.getLogger(__name__)



# --- 1. in the writer's transaction -----------------------------------------------------------------------

_INSERT = None


def on_notice_changed(sender, change, **kwargs) -> None:
    """Receiver of ``notices.store.notice_changed``: queue the change for the matcher (one INSERT)."""
    if change.outcome not in ("new", "updated"):
        return
    payload = ""
    if change.outcome == "updated":
        data = {}
        if change.moved:
            data["moved"] = [m.as_json() for m in change.moved]
        if change.cancelled:
            data["cancelled"] = True
        if data:
            payload = json.dumps(data, separators=(",", ":"))
    queue_change(change.notice.pk, change.outcome, payload)


def queue_change(notice_id: int, outcome: str, payload: str = "", now: dt.datetime | None = None) -> None:
    db = transaction.get_connection()
    global _INSERT
    if _INSERT is None:
        meta = AlertChange._meta
        columns = ["notice_id", "outcome", "payload", "created_at", "claimed_by"]
        quote = db.ops.quote_name
        _INSERT = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(meta.get_field(c.removesuffix('_id')).column) for c in columns)})"
            f" VALUES (%s, %s, %s, %s, %s)"
        )
    at = db.ops.adapt_datetimefield_value(now or timezone.now())
    with db.cursor() as cursor:
        cursor.execute(_INSERT, [notice_id, outcome, payload, at, ""])


# --- 2. the matcher ---------------------------------------------------------------------------------------


@dataclass
class MatchStats:
    changes: int = 0
    announced: int = 0
    changed: int = 0
    confirm_queries: int = 0
    cpu: float = 0.0  # seconds of this thread's CPU matching batches
    index_cpu: float = 0.0  # seconds of it reading the whole alert index (once a process, not in ``cpu``)
    batches: list = field(default_factory=list)  # (changes, cpu seconds) per batch

    def __bool__(self) -> bool:
        return bool(self.changes)


@dataclass
class _Notice:
    id: int
    status: str
    published: dt.datetime | None
    created: dt.datetime
    closes_at: dt.datetime | None
    facts: search.NoticeFacts
    keys: dict[str, set[str]] = field(default_factory=dict)
    lots: set = field(default_factory=set)


class _Item(NamedTuple):
    """An ``AlertItem`` to write (a plain tuple: thousands are made a batch)."""

    alert_id: int
    notice_id: int
    kind: str
    change_id: int
    payload: dict | None = None


class Matcher:
    def __init__(self, worker: str | None = None, *, batch_size: int | None = None, lease: float | None = None,
                 stop: threading.Event | None = None, quiet: float = 0, max_wait: float = 60):
        self.worker = (worker or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}")[:80]
        self.batch_size = batch_size or settings.ALERTS_MATCH_BATCH
        self.lease = lease if lease is not None else settings.ALERTS_MATCH_LEASE
        self.stop = stop or threading.Event()
        self._batches = 0
        self.index = HeldIndex()
        self.quiet, self.max_wait = quiet, max_wait  # seconds (``may_start``); 0: match at once

    def run_once(self, now: dt.datetime | None = None) -> MatchStats:
        """Match every queued change (batch after batch) until none is left or told to stop."""
        stats = MatchStats()
        while not self.stop.is_set() and self.may_start(now or timezone.now()):
            token, rows = self.claim(now or timezone.now())
            if not rows:
                break
            started = time.thread_time()
            if self.index.loaded_at is None:  # the first batch of this process: the whole index, counted apart
                self.index.refresh()
                stats.index_cpu += time.thread_time() - started
                started = time.thread_time()
            self.process(token, rows, now or timezone.now(), stats)
            spent = time.thread_time() - started
            stats.cpu += spent
            stats.batches.append((len(rows), spent))
        return stats

    def may_start(self, now: dt.datetime) -> bool:
        """Whether to match now: no change queued for ``quiet`` seconds (the store is not in the middle of
        a burst), or the oldest waiting for ``max_wait`` seconds. Asked before every batch, so a burst that
        starts while the matcher works makes it stop after its batch."""
        if self.quiet <= 0:
            return True
        table = AlertChange._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT "created_at" FROM {table} ORDER BY "id" DESC LIMIT 1')
            newest = cursor.fetchone()
            if newest is None:
                return False
            cursor.execute(f'SELECT "created_at" FROM {table} ORDER BY "id" LIMIT 1')
            oldest = cursor.fetchone()
        newest, oldest = instant(newest[0]), instant(oldest[0])
        return (now - newest).total_seconds() >= self.quiet or (now - oldest).total_seconds() >= self.max_wait

    def claim(self, now: dt.datetime) -> tuple[str, list[AlertChange]]:
        limit = now - dt.timedelta(seconds=self.lease)
        free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=limit)
        ids = list(AlertChange.objects.filter(free).order_by("id").values_list("id", flat=True)[: self.batch_size])
        if not ids:
            return "", []
        self._batches += 1
        token = f"{self.worker}/{self._batches}"
        AlertChange.objects.filter(free, pk__in=ids).update(claimed_by=token, claimed_at=now)
        return token, list(AlertChange.objects.filter(claimed_by=token).order_by("id"))

    def process(self, token: str, rows: list[AlertChange], now: dt.datetime, stats: MatchStats) -> None:
        # Reading and asking the search happen before the write transaction, so the writer (SQLite: one at
        # a time) waits only for the short write; items are unique, so nothing read here is written twice.
        self.index.refresh()  # after the claim: every alert confirmed before these changes is in it
        items, queries = find(rows, now, self.index)
        with transaction.atomic():
            announced, changed = write(items, now)
            # Done: gone from the queue in the transaction that wrote what they meant (only if still ours).
            AlertChange.objects.filter(claimed_by=token, pk__in=[r.pk for r in rows]).delete()
        stats.changes += len(rows)
        stats.announced += announced
        stats.changed += changed
        stats.confirm_queries += queries


# --- what a batch of changes means ------------------------------------------------------------------------


def _load_notices(ids: list[int]) -> dict[int, _Notice]:
    """The notices with their facts (``search.notice_facts``), index keys and lots."""
    facts = search.notice_facts(ids)
    notices: dict[int, _Notice] = {}
    for chunk in chunks(sorted(facts)):
        for pk, published, created in Notice.objects.filter(pk__in=chunk).values_list("id", "published_at", "created_at"):
            f = facts[pk]
            notices[pk] = _Notice(pk, f.status, published, created, f.closes_at, f)
    for chunk in chunks(list(notices)):
        for notice_id, lot_id in Lot.objects.filter(notice_id__in=chunk).values_list("notice_id", "lot_id"):
            notices[notice_id].lots.add(lot_id)
    for notice in notices.values():
        notice.keys = alerts.notice_keys(notice.facts)
    return notices


def confirmed(filters: dict, notice_ids: list[int]) -> set[int]:
    """Which of these notices the list's own search finds with these filters (one query). The search is
    run each time: it collects a narrow filter's notices when it runs, so no query compiled earlier
    could stand for it."""
    qs = search.notices(alerts.as_filters(filters)).filter(pk__in=notice_ids)
    return set(qs.values_list("pk", flat=True))


def _recent(notice: _Notice, at: dt.datetime) -> bool:
    published = notice.published or notice.created
    return published >= at - dt.timedelta(days=settings.ALERTS_MAX_AGE_DAYS)


def _news(notice: _Notice, now: dt.datetime) -> bool:
    """Worth announcing: not cancelled, and not a call already closed."""
    return notice.status == Notice.Status.ACTIVE and (notice.closes_at is None or notice.closes_at > now)


def matching_pairs(notices: dict[int, _Notice], index: HeldIndex, eligible=None) -> tuple[set[tuple[int, int]], int]:
    """(alert, notice) pairs where the notice matches the active alert: candidates from the index, each
    tested by ``search.notice_check``, and those it cannot tell confirmed by the list's own search (one
    query per distinct filter set). ``eligible(candidate, notice_id)`` may rule matches out. Returns
    the pairs and the number of queries."""
    to_confirm: dict[str, tuple[dict, list]] = {}
    pairs: set[tuple[int, int]] = set()
    for notice_id, notice in notices.items():
        facts = notice.facts
        verdicts: dict[str, bool | None] = {}  # alerts with the same filters: one check
        for candidate in index.candidates(notice.keys):
            verdict = verdicts.get(candidate.filters, 0)
            if verdict == 0:
                verdict = verdicts[candidate.filters] = candidate.check(facts)
            if verdict is False or (eligible is not None and not eligible(candidate, notice_id)):
                continue
            if verdict:
                pairs.add((candidate.id, notice_id))
            else:
                to_confirm.setdefault(candidate.filters, (json.loads(candidate.filters), []))[1].append(
                    (candidate.id, notice_id)
                )
    for filters, candidates_ in to_confirm.values():
        found_ = confirmed(filters, sorted({n for _, n in candidates_}))
        pairs.update((a, n) for a, n in candidates_ if n in found_)
    return pairs, len(to_confirm)


def matches(notice_ids: list[int]) -> dict[int, set[int]]:
    """The active alerts each notice matches (no news rules: what "matches" means, for tests and tools)."""
    index = HeldIndex()
    index.refresh()
    pairs, _queries = matching_pairs(_load_notices(sorted(notice_ids)), index)
    result: dict[int, set[int]] = {pk: set() for pk in notice_ids}
    for alert_id, notice_id in pairs:
        result[notice_id].add(alert_id)
    return result


def match(rows: list[AlertChange], now: dt.datetime, index: HeldIndex | None = None) -> tuple[int, int, int]:
    """Write the items and digests a batch of changes means. Returns (announced, changes, queries)."""
    if index is None:
        index = HeldIndex()
        index.refresh()
    items, queries = find(rows, now, index)
    with transaction.atomic():
        announced, changed = write(items, now)
    return announced, changed, queries


def find(rows: list[AlertChange], now: dt.datetime, index: HeldIndex) -> tuple[list[_Item], int]:
    """The items a batch of changes means (reads only; ``write`` keeps those of alerts still active).
    Returns the items and the number of search queries asked."""
    notices = _load_notices(sorted({r.notice_id for r in rows}))
    rows = [r for r in rows if r.notice_id in notices]
    # Who announced what before this batch (for changes, and so nothing is announced twice).
    announced_before: dict[int, dict[int, set]] = defaultdict(dict)  # notice -> alert -> lots known
    for chunk in chunks(list(notices)):
        for alert_id, notice_id, kind, payload in AlertItem.objects.filter(
            notice_id__in=chunk, kind__in=(AlertItem.Kind.NEW, AlertItem.Kind.LOTS)
        ).values_list("alert_id", "notice_id", "kind", "payload"):
            known = announced_before[notice_id].setdefault(alert_id, set())
            known.update((payload or {}).get("lots", []))
    # Each notice is matched once, by its latest change in the batch, as it stands now.
    latest: dict[int, AlertChange] = {}
    for row in rows:
        if _recent(notices[row.notice_id], row.created_at):
            latest[row.notice_id] = row
    news = {pk: notices[pk] for pk in latest if _news(notices[pk], now)}

    def eligible(alert: Candidate, notice_id: int) -> bool:
        confirmed_at = alert.confirmed()
        return (
            alert.id not in announced_before.get(notice_id, {})
            and confirmed_at is not None
            and confirmed_at <= latest[notice_id].created_at
        )

    pairs, queries = matching_pairs(news, index, eligible)
    lots = {pk: {"lots": sorted(n.lots)} for pk, n in notices.items()}
    items: list[_Item] = [
        _Item(alert_id, notice_id, AlertItem.Kind.NEW, latest[notice_id].pk, lots[notice_id])
        for alert_id, notice_id in sorted(pairs)
    ]

    # Changes to notices announced before this batch.
    for row in rows:
        before = announced_before.get(row.notice_id)
        if not before:
            continue
        data = json.loads(row.payload) if row.payload else {}
        lots = notices[row.notice_id].lots
        for alert_id, known in before.items():
            if data.get("moved"):
                items.append(_Item(alert_id, row.notice_id, AlertItem.Kind.MOVED, row.pk, {"moves": data["moved"]}))
            if data.get("cancelled"):
                items.append(_Item(alert_id, row.notice_id, AlertItem.Kind.CANCELLED, row.pk))
            added = sorted(lots - known)
            if row.outcome == "updated" and added:
                items.append(_Item(alert_id, row.notice_id, AlertItem.Kind.LOTS, row.pk, {"lots": added}))
                known.update(added)
    return items, queries


def write(items: list[_Item], now: dt.datetime) -> tuple[int, int]:
    """Attach the items to their alerts' digests and store them (inside the caller's transaction); an
    item already stored (a batch matched twice) is left as it is, an item of an alert no longer active
    (stopped or deleted since the matcher read it) is dropped. Returns the announcements and the changes
    kept."""
    digests = attach({i.alert_id for i in items}, now) if items else {}
    items = [i for i in items if i.alert_id in digests]
    if items:
        payloads: dict[int, str] = {}  # by the payload's id: a notice's announcements share one
        for i in items:
            if id(i.payload) not in payloads:
                payloads[id(i.payload)] = json.dumps(i.payload or {}, separators=(",", ":"))
        at = transaction.get_connection().ops.adapt_datetimefield_value(now)
        rows = [
            (i.alert_id, i.notice_id, i.kind, i.change_id, payloads[id(i.payload)], digests[i.alert_id], at)
            for i in items
        ]
        insert(AlertItem, rows, ignore_conflicts=True,
               columns=("alert_id", "notice_id", "kind", "change_id", "payload", "mail_id", "created_at"))
    announced = sum(1 for i in items if i.kind == AlertItem.Kind.NEW)
    return announced, len(items) - announced


def insert(model, rows: list, *, columns: tuple[str, ...], ignore_conflicts: bool = False,
           returning: tuple[str, ...] = ()) -> list:
    """Plain INSERTs of many rows (Django's bulk_create spends most of a batch preparing values one by
    one). ``rows`` are tuples of values ready for the database in the order of ``columns`` (JSON as
    text, instants adapted); ``returning``: columns whose values come back for each new row (in no
    promised order).

    PostgreSQL gets one statement whatever the number of rows, a column an array parameter (``unnest``):
    psycopg parses a statement's placeholders again each time unless the statement is short, and for
    statements of 200 rows that parsing cost the matcher more than the inserts. SQLite gets 200 rows a
    statement."""
    if not rows:
        return []
    db = transaction.get_connection()
    meta = model._meta
    fields = [meta.get_field(c.removesuffix("_id") if c.endswith("_id") and c != "change_id" else c) for c in columns]
    quote = db.ops.quote_name
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    if returning:
        tail += " RETURNING " + ", ".join(quote(c) for c in returning)
    found = []
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            types = [f.db_type(db) for f in fields]
            names = [f"c{i}" for i in range(len(fields))]
            arrays = ", ".join(f"%s::{'text' if t == 'jsonb' else t}[]" for t in types)
            select = ", ".join(f"{n}::jsonb" if t == "jsonb" else n for n, t in zip(names, types))
            cursor.execute(
                f"{head}SELECT {select} FROM unnest({arrays}) AS u({', '.join(names)}){tail}",
                [list(values) for values in zip(*rows)],
            )
            return [tuple(r) for r in cursor.fetchall()] if returning else found
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        for start in range(0, len(rows), 200):
            chunk = rows[start : start + 200]
            cursor.execute(head + "VALUES " + ", ".join([one] * len(chunk)) + tail, [v for row in chunk for v in row])
            if returning:
                found += [tuple(r) for r in cursor.fetchall()]
    return found


def _among(db, column: str, values: list) -> str:
    """``column`` is one of ``values``: one array parameter on PostgreSQL (psycopg parses a statement of
    hundreds of placeholders again on every run), a list of placeholders on SQLite."""
    if db.vendor == "postgresql":
        return f"{column} = ANY(%s)"
    return f"{column} IN ({', '.join(['%s'] * len(values))})"


def _among_params(db, values: list) -> list:
    return [list(values)] if db.vendor == "postgresql" else list(values)


def attach(alert_ids: set[int], now: dt.datetime) -> dict[int, int]:
    """The digest each still active alert's new items go to: its waiting one, or a new one due at its next
    time; alerts no longer active (stopped or deleted since the matcher read them) are left out.

    Read inside the write transaction with plain SQL (Django prepares each value of an IN list one by one,
    which cost more than the queries). On PostgreSQL the alerts' rows are locked (in id order: no deadlock),
    so two matchers adding to one alert's digest take turns and an alert being stopped meanwhile is seen
    stopped. The dispatcher either claimed the waiting digest before (then a new one is made) or claims it
    after this commits (and sees these items): on SQLite this transaction holds the write lock from its
    start (``BEGIN IMMEDIATE``), so what it reads stays true until it commits; on PostgreSQL the waiting
    digests are locked and read again (``FOR UPDATE``), so a claim waits for this commit."""
    db = transaction.get_connection()
    quote = db.ops.quote_name
    alert_table, mail_table = quote(Alert._meta.db_table), quote(AlertMail._meta.db_table)
    # Each alert's waiting digests come earliest first; on PostgreSQL the alerts' rows are locked.
    order = f" ORDER BY a.{quote('id')}, m.{quote('next_attempt_at')}, m.{quote('id')}"
    lock = " FOR UPDATE OF a" if db.vendor == "postgresql" else ""
    schedule: dict[int, tuple] = {}  # alert -> (email, language, frequency, hour, weekday)
    waiting: dict[int, int] = {}  # digest -> alert, each alert's earliest first
    with db.cursor() as cursor:
        for chunk in chunks(sorted(alert_ids)):
            cursor.execute(
                f"SELECT a.{quote('id')}, a.{quote('email')}, a.{quote('language')}, a.{quote('frequency')},"
                f" a.{quote('hour')}, a.{quote('weekday')}, m.{quote('id')}"
                f" FROM {alert_table} a LEFT JOIN {mail_table} m ON m.{quote('alert_id')} = a.{quote('id')}"
                f" AND m.{quote('kind')} = %s AND m.{quote('state')} IN (%s, %s)"
                f" WHERE a.{quote('status')} = %s AND {_among(db, 'a.' + quote('id'), chunk)}{order}{lock}",
                [AlertMail.Kind.DIGEST, *PENDING, Alert.Status.ACTIVE, *_among_params(db, chunk)],
            )
            for alert_id, email, language, frequency, hour, weekday, mail_id in cursor.fetchall():
                schedule[alert_id] = (email, language, frequency, hour, weekday)
                if mail_id is not None:
                    waiting[mail_id] = alert_id
        if db.vendor == "postgresql" and waiting:
            still: set[int] = set()
            for chunk in chunks(sorted(waiting)):
                cursor.execute(
                    f"SELECT {quote('id')} FROM {mail_table}"
                    f" WHERE {quote('state')} IN (%s, %s) AND {_among(db, quote('id'), chunk)}"
                    f" ORDER BY {quote('id')} FOR UPDATE",
                    [*PENDING, *_among_params(db, chunk)],
                )
                still.update(row[0] for row in cursor.fetchall())
            waiting = {pk: alert_id for pk, alert_id in waiting.items() if pk in still}
    digests: dict[int, int] = {}
    for pk, alert_id in waiting.items():
        digests.setdefault(alert_id, pk)
    missing = [a for a in sorted(schedule) if a not in digests]
    if missing:
        made = _new_digests({a: schedule[a] for a in missing}, now)
        digests.update(made)
    return digests


def _new_digests(alerts_: dict[int, tuple], now: dt.datetime) -> dict[int, int]:
    """A new digest for each of these alerts ((email, language, frequency, hour, weekday) each), due at
    its next time; where another matcher made that period's digest meanwhile, theirs."""
    schedule = {
        pk: (email, language, alerts.next_due(frequency, hour, weekday, now))
        for pk, (email, language, frequency, hour, weekday) in alerts_.items()
    }
    db = transaction.get_connection()
    adapt = functools.lru_cache(maxsize=64)(db.ops.adapt_datetimefield_value)
    columns = ("kind", "alert_id", "email", "language", "slot", "next_attempt_at", "state", "attempts",
               "claimed_by", "last_error", "created_at", "updated_at")
    rows = [
        (AlertMail.Kind.DIGEST, pk, email, language, adapt(due), adapt(due), State.SCHEDULED, 0, "", "",
         adapt(now), adapt(now))
        for pk, (email, language, due) in schedule.items()
    ]
    made: dict[int, int] = {}
    try:
        with transaction.atomic():
            made = {alert_id: pk for pk, alert_id in insert(AlertMail, rows, columns=columns, returning=("id", "alert_id"))}
    except IntegrityError:
        # Another matcher made one of these periods' digests meanwhile: one by one, taking theirs.
        for pk, (email, language, due) in schedule.items():
            mail = AlertMail(kind=AlertMail.Kind.DIGEST, alert_id=pk, email=email, language=language, slot=due,
                             next_attempt_at=due, created_at=now, updated_at=now)
            try:
                with transaction.atomic():
                    mail.save()
            except IntegrityError:
                mail.pk = AlertMail.objects.get(alert_id=pk, kind=AlertMail.Kind.DIGEST, slot=due).pk
            made[pk] = mail.pk
    for pk, (_email, _language, due) in schedule.items():
        if pk not in made:  # a database that returns no ids
            made[pk] = AlertMail.objects.get(alert_id=pk, kind=AlertMail.Kind.DIGEST, slot=due).pk
    return made


def pending_changes() -> int:
    return AlertChange.objects.count()


__all__ = ["MatchStats", "Matcher", "confirmed", "match", "matches", "matching_pairs", "on_notice_changed", "queue_change"]
