"""The active alerts, held in the matcher's memory: which alerts are worth checking for a notice.

``AlertKey`` is the index in the database (``scheduler.alerts.write_keys`` writes it). Reading the keys a
batch of notices has from it cost the matcher about 0.6 ms a notice at 100,000 alerts (every word key had
to be read each batch: a notice offers a thousand pieces of its words), so the matcher holds it instead:

* ``load``: every active alert's keys, its filters and when it was confirmed, and its filters' compiled
  check (``notices.search.notice_check``, one per distinct filter set), read once;
* ``refresh``, before each batch: every change of an alert's index writes new ``AlertKey`` rows (its keys
  while it is active, one ``off`` row when it stops), so the rows with ids the index does not hold name
  exactly the alerts to read again. On SQLite ids are given in commit order; on PostgreSQL a transaction
  may commit an id below one already read, so the last ``PG_WINDOW`` ids before the mark are looked at
  again (rows already held are skipped);
* an alert deleted outright (its owner's account removed) leaves no row: the matcher writes items only for
  alerts still active when it writes (``scheduler.matching.write``), and the whole index is read again
  every ``RELOAD`` seconds, which forgets it.

``candidates(keys)`` then answers from memory: the alerts with one of a notice's keys; a ``text`` key is
met when one of the notice's words has all of its pieces (see ``scheduler.alerts``), worked out once per
word and kept (``word_hits``, emptied when an alert with a text key changes).
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import time
from collections.abc import Callable
from typing import NamedTuple

from django.db import connection

from notices import search
from scheduler import alerts
from scheduler.models import Alert, AlertKey

PG_WINDOW = 1_000  # AlertKey ids before the mark looked at again on PostgreSQL (commits out of order)
RELOAD = 3600.0  # seconds after which the whole index is read again
FREEZE_FROM = 10_000  # alerts from which the index is kept out of the garbage collector's passes
WORDS_KEPT = 300_000  # notice words whose text alerts are kept worked out
OFF = alerts.OFF_KEY  # the kind of the row an alert that stops leaves behind
CHUNK = 900  # ids per IN (...) list (scheduler.matching's too)


def chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


class Candidate(NamedTuple):
    """An active alert as the matcher needs it."""

    id: int
    filters: str  # as stored (JSON text): alerts with the same filters share one verdict a notice
    confirmed_at: object  # as the database gives it (``confirmed()``)
    check: Callable[[search.NoticeFacts], bool | None]

    def confirmed(self) -> dt.datetime | None:
        return instant(self.confirmed_at)


_converters: dict = {}


def instant(value) -> dt.datetime | None:
    """An instant read by raw SQL as Django gives it (SQLite gives naive UTC, PostgreSQL aware)."""
    if value is None:
        return None
    found = _converters.get(value)
    if found is None:
        convert = getattr(connection.ops, "convert_datetimefield_value", None)
        found = value if convert is None else convert(value, None, connection)
        if len(_converters) > 4096:
            _converters.clear()
        _converters[value] = found
    return found


class Checks(dict):
    """``search.notice_check`` of each filter set, by its stored JSON text (a check depends on the filters
    alone, so alerts with the same filters share one)."""

    def of(self, text: str):
        check = self.get(text)
        if check is None:
            check = self[text] = search.notice_check(alerts.as_filters(json.loads(text)))
        return check


class _Held(NamedTuple):
    candidate: Candidate | None  # None: the alert is not active
    keys: tuple[tuple[str, str], ...]  # (kind, value)
    key_ids: tuple[int, ...]  # its AlertKey rows


class HeldIndex:
    def __init__(self) -> None:
        self.alerts: dict[int, _Held] = {}
        self.by_value: dict[str, dict[str, dict[int, Candidate]]] = {}  # kind -> value -> alerts
        self.by_first: dict[str, dict[tuple[str, ...], dict[int, Candidate]]] = {}  # text keys, by first piece
        self.key_ids: set[int] = set()
        self.word_hits: dict[str, tuple[Candidate, ...]] = {}  # a notice word -> the text alerts inside it
        self.mark = 0
        self.loaded_at: float | None = None
        self.checks = Checks()
        self.database = None

    # --- reading ------------------------------------------------------------------------------------------

    _SELECT = (
        f'SELECT k."id", k."kind", k."value", a."id", CAST(a."filters" AS text), a."confirmed_at", a."status"'
        f' FROM {AlertKey._meta.db_table} k JOIN {Alert._meta.db_table} a ON a."id" = k."alert_id"'
    )

    def refresh(self) -> None:
        """Bring the index up to what the database says now (read it all the first time, after
        ``RELOAD`` seconds, or on another database)."""
        database = (connection.alias, connection.settings_dict.get("NAME"))
        if self.loaded_at is None or time.monotonic() - self.loaded_at > RELOAD or database != self.database:
            self._load_all(database)
            return
        since = self.mark - PG_WINDOW if connection.vendor == "postgresql" else self.mark
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT "id", "alert_id" FROM {AlertKey._meta.db_table} WHERE "id" > %s', [since])
            rows = cursor.fetchall()
        touched = {alert_id for pk, alert_id in rows if pk not in self.key_ids}
        if not touched:
            return
        for alert_id in touched:
            self._forget(alert_id)
        found: dict[int, list] = {}
        with connection.cursor() as cursor:
            for chunk in chunks(sorted(touched)):
                cursor.execute(f'{self._SELECT} WHERE k."alert_id" IN ({", ".join(["%s"] * len(chunk))})', chunk)
                for row in cursor.fetchall():
                    found.setdefault(row[3], []).append(row)
        for rows_ in found.values():
            self._hold(rows_)

    def _load_all(self, database) -> None:
        gc.unfreeze()
        self.__init__()
        self.database = database
        self.loaded_at = time.monotonic()
        found: dict[int, list] = {}
        with connection.cursor() as cursor:
            cursor.execute(self._SELECT)
            for row in cursor.fetchall():
                found.setdefault(row[3], []).append(row)
        for rows in found.values():
            self._hold(rows)
        if len(found) >= FREEZE_FROM:
            # Hundreds of thousands of long-lived objects: the cyclic garbage collector's full passes would
            # walk them all (0.2 s every few batches at 100,000 alerts); frozen, it leaves them alone
            # (reference counting still frees them). Not for a few alerts: a collection costs more.
            gc.collect()
            gc.freeze()

    def _hold(self, rows: list) -> None:
        """One alert's current key rows (with its own columns): held when it is active."""
        key_ids = tuple(r[0] for r in rows)
        self.key_ids.update(key_ids)
        self.mark = max(self.mark, *key_ids)
        _pk, _kind, _value, alert_id, filters, confirmed_at, status = rows[0]
        keys = tuple((r[1], r[2]) for r in rows)
        if status != Alert.Status.ACTIVE or any(kind == OFF for kind, _ in keys):
            self.alerts[alert_id] = _Held(None, (), key_ids)  # stopped: its rows are known, it is not held
            return
        candidate = Candidate(alert_id, filters, confirmed_at, self.checks.of(filters))
        self.alerts[alert_id] = _Held(candidate, keys, key_ids)
        for kind, value in keys:
            if kind == "text":
                first, *others = alerts.text_key_pieces(value)
                self.by_first.setdefault(first, {}).setdefault(tuple(others), {})[alert_id] = candidate
                self.word_hits.clear()
            else:
                self.by_value.setdefault(kind, {}).setdefault(value, {})[alert_id] = candidate

    def _forget(self, alert_id: int) -> None:
        held = self.alerts.pop(alert_id, None)
        if held is None:
            return
        self.key_ids.difference_update(held.key_ids)
        for kind, value in held.keys:
            if kind == "text":
                self.word_hits.clear()
                first, *others = alerts.text_key_pieces(value)
                by_others = self.by_first.get(first, {})
                keyed = by_others.get(tuple(others), {})
                keyed.pop(alert_id, None)
                if not keyed:
                    by_others.pop(tuple(others), None)
                    if not by_others:
                        self.by_first.pop(first, None)
            else:
                by_value = self.by_value.get(kind, {})
                keyed = by_value.get(value, {})
                keyed.pop(alert_id, None)
                if not keyed:
                    by_value.pop(value, None)

    def __len__(self) -> int:
        return sum(1 for held in self.alerts.values() if held.candidate is not None)

    # --- asking -------------------------------------------------------------------------------------------

    def candidates(self, keys: dict[str, set[str]]) -> list[Candidate]:
        """The active alerts worth checking for a notice with these keys (``alerts.notice_keys``)."""
        found: dict[int, Candidate] = {}
        for kind, values in keys.items():
            if kind == "words":
                hits = self.word_hits
                for word in values:
                    in_word = hits.get(word)
                    if in_word is None:
                        in_word = self._in_word(word)
                    for candidate in in_word:
                        found[candidate.id] = candidate
                continue
            by_value = self.by_value.get(kind)
            if by_value:
                for value in values & by_value.keys():
                    found.update(by_value[value])
        return list(found.values())

    def _in_word(self, word: str) -> tuple[Candidate, ...]:
        """The alerts with a text key inside this word (all of the key's pieces among the word's), kept:
        notices share most of their words, so each word is worked out about once (until an alert with a
        text key changes)."""
        pieces = alerts.word_pieces(word)
        found: list[Candidate] = []
        for first in pieces & self.by_first.keys():
            for others, keyed in self.by_first[first].items():
                if all(piece in pieces for piece in others):
                    found.extend(keyed.values())
        if len(self.word_hits) >= WORDS_KEPT:
            self.word_hits.clear()
        hits = self.word_hits[word] = tuple(found)
        return hits


__all__ = ["CHUNK", "OFF", "Candidate", "Checks", "HeldIndex", "chunks", "instant"]
