"""Broad filters held in memory: the notice ids a filter matches, for intersecting two broad filters.

Checking notices one by one along the list's index costs a few microseconds a notice. That is fine for one
broad filter (10 % of the notices: a page of 50 needs 500 checks) but not for two (10 % each, 1 %
together: 5,000 checks for the page and 100,000 to count 1,000 of them, 40-230 ms at a million notices).
So a broad filter's ids are read once into memory, a ``Posting`` (as a search engine's posting list), and
kept per process: two broad filters intersect in Python (a few milliseconds for 100,000 ids each), and
the list's queries check a notice against the result with one cheap look-up instead of an index probe:

* SQLite: ``notices_in_set(token, id)``, a Python function (notices.apps registers it) that looks the id up
  in the set the token names;
* PostgreSQL: ``get_bit(bitmap, id)`` on a bitmap of the ids sent as one ``bytea`` parameter.

**Kept current.** Every stored change of a notice is a new ``NoticeVersion``; before a posting is used the
notices with versions newer than the posting's mark are checked again (``recheck``: the filter's own SQL
condition on just those notices) and added or removed, so a notice stored a moment ago is found at once.
On PostgreSQL, whose writers may commit version ids out of order, the last ``PG_WINDOW`` version ids
before the mark are checked again as well. Anything that changes what a filter matches without a new
version (an administrator's edit, a buyer's identifier) shows within ``TTL`` seconds, when the posting is
read again from the database.

**Bounded.** A filter matching more than ``MAX_IDS`` notices is not held (it is dense: checking notices
one by one finds a page at once); all postings together hold at most ``BUDGET`` ids per process (about
60 bytes each), the least recently used dropped first.
"""

from __future__ import annotations

import bisect
import contextlib
import contextvars
import itertools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection

TTL = 60.0  # seconds a posting is trusted before it is read again from the database
MAX_IDS = 400_000  # a filter matching more is not held in memory
BUDGET = 2_000_000  # ids held by all postings of a process
PG_WINDOW = 1_000  # version ids before the mark checked again on PostgreSQL (commits out of order)
SQLITE_FUNCTION = "notices_in_set"


@dataclass(eq=False)
class Posting:
    """The notice ids one filter (or an intersection of filters) matches, status aside."""

    ids: set[int]
    mark: int = 0  # the newest NoticeVersion id taken into account
    built: float = 0.0
    token: int = 0
    _ordered: list[int] | None = field(default=None, repr=False)
    _bits: bytes | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def ordered(self) -> list[int]:
        """The ids in ascending order (computed once)."""
        if self._ordered is None:
            self._ordered = sorted(self.ids)
        return self._ordered

    @property
    def bits(self) -> bytes:
        """A bitmap of the ids: bit ``id % 8`` of byte ``id // 8`` (PostgreSQL's ``get_bit`` order)."""
        if self._bits is None:
            bits = bytearray(max(self.ids, default=0) // 8 + 1)
            for pk in self.ids:
                bits[pk >> 3] |= 1 << (pk & 7)
            self._bits = bytes(bits)
        return self._bits

    def changed(self, added: Iterable[int], removed: Iterable[int]) -> None:
        """Ids that now match (``added``) and that no longer do (``removed``); the order and the bitmap
        follow one by one when they are few (sorting 100,000 ids again costs 8 ms, the bitmap 15 ms)."""
        added = [pk for pk in added if pk not in self.ids]
        removed = [pk for pk in removed if pk in self.ids]
        self.ids.difference_update(removed)
        self.ids.update(added)
        if len(added) + len(removed) > 1_000:
            self._ordered = self._bits = None
            return
        if self._ordered is not None:
            for pk in removed:
                self._ordered.pop(bisect.bisect_left(self._ordered, pk))
            for pk in added:
                bisect.insort(self._ordered, pk)
        if self._bits is not None:
            bits = bytearray(self._bits)
            for pk in removed:
                bits[pk >> 3] &= ~(1 << (pk & 7)) & 0xFF
            for pk in added:
                if pk >> 3 >= len(bits):
                    bits.extend(bytes((pk >> 3) - len(bits) + 1))
                bits[pk >> 3] |= 1 << (pk & 7)
            self._bits = bytes(bits)


_lock = threading.Lock()
_postings: OrderedDict[tuple, Posting] = OrderedDict()  # least recently used first
_too_broad: dict[tuple, float] = {}
_live: dict[int, set[int]] = {}  # token -> ids, for SQLite's function (the latest 64 postings used)
_tokens = itertools.count(1)


def _key(sql: str, params) -> tuple:
    return (connection.alias, connection.settings_dict.get("NAME"), sql, tuple(str(p) for p in params))


# Within one list request (``scope``) the newest version id is read once, not once per held filter.
_scope: contextvars.ContextVar[list | None] = contextvars.ContextVar("notices_postings_scope", default=None)


@contextlib.contextmanager
def scope():
    """One list request: filters may be held, and the postings it uses are brought up to the same version."""
    token = _scope.set([])
    try:
        yield
    finally:
        _scope.reset(token)


def in_scope() -> bool:
    return _scope.get() is not None


def _mark() -> int:
    cached = _scope.get()
    if cached:
        return cached[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM notices_noticeversion")
        mark = cursor.fetchone()[0] or 0
    if cached is not None:
        cached.append(mark)
    return mark


def _changed_since(mark: int) -> list[int]:
    since = mark - PG_WINDOW if connection.vendor == "postgresql" else mark
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT notice_id FROM notices_noticeversion WHERE id > %s", [since])
        return [row[0] for row in cursor.fetchall()]


def _read(sql: str, params) -> set[int] | None:
    """Every id ``sql`` yields, or None when there are more than MAX_IDS."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({sql} LIMIT {MAX_IDS + 1}) AS posting", params)
        ids = {row[0] for row in cursor.fetchall()}
    return ids if len(ids) <= MAX_IDS else None


def held(sql: str, params, recheck: Callable[[list[int]], Iterable[int]]) -> Posting | None:
    """The posting of the broad filter ``sql`` (its first column: notice ids), read or brought up to
    date; None when it matches too many notices to hold. ``recheck(ids)`` gives which of ``ids`` match
    the filter now (its SQL condition restricted to them)."""
    key = _key(sql, params)
    now = time.monotonic()
    with _lock:
        posting = _postings.get(key)
        if posting is not None:
            _postings.move_to_end(key)
        seen = _too_broad.get(key)
    if posting is None and seen is not None and now - seen < TTL:
        return None
    mark = _mark()
    if posting is not None and now - posting.built < TTL:
        if mark != posting.mark:
            changed = _changed_since(posting.mark)
            matching = set(recheck(changed)) if changed else set()
            with _lock:
                posting.changed(matching, set(changed) - matching)
                posting.mark = mark
        _publish(posting)
        return posting
    ids = _read(sql, params)
    if ids is None:
        with _lock:
            _postings.pop(key, None)
            _too_broad[key] = now
        return None
    posting = Posting(ids, mark=mark, built=now, token=next(_tokens))
    with _lock:
        _postings[key] = posting
        total = sum(len(p) for p in _postings.values())
        while total > BUDGET and len(_postings) > 1:
            _old_key, old = _postings.popitem(last=False)
            total -= len(old)
    _publish(posting)
    return posting


_intersections: OrderedDict[tuple, Posting] = OrderedDict()  # the latest 16, by their inputs' state


def intersect(postings: list[Posting]) -> Posting:
    """The ids all ``postings`` share: a posting of its own, kept while its inputs are unchanged."""
    key = (connection.alias, *sorted((p.token, p.mark, len(p)) for p in postings))
    with _lock:
        found = _intersections.get(key)
    if found is not None:
        _publish(found)
        return found
    first, *rest = sorted(postings, key=len)
    ids = set(first.ids)
    for other in rest:
        ids.intersection_update(other.ids)
    found = Posting(ids, mark=min(p.mark for p in postings), token=next(_tokens))
    if connection.vendor == "postgresql":  # the bitmaps' AND: microseconds, where setting each bit takes ms
        size = min(len(p.bits) for p in postings)
        value = int.from_bytes(first.bits[:size], "little")
        for other in rest:
            value &= int.from_bytes(other.bits[:size], "little")
        found._bits = value.to_bytes(size, "little")
    with _lock:
        _intersections[key] = found
        while len(_intersections) > 16:
            _intersections.popitem(last=False)
    _publish(found)
    return found


def _publish(posting: Posting) -> None:
    with _lock:
        _live[posting.token] = posting.ids
        while len(_live) > 64:
            del _live[next(iter(_live))]


def member_sql(posting: Posting, column: str = '"notices_notice"."id"') -> tuple[str, tuple]:
    """SQL true when ``column`` is one of the posting's ids, and its parameters."""
    if connection.vendor == "postgresql":
        bits = posting.bits
        return (
            f"(CASE WHEN {column} < %s THEN get_bit(%s::bytea, {column}) = 1 ELSE false END)",
            (len(bits) * 8, bits),
        )
    return f"{SQLITE_FUNCTION}(%s, {column})", (posting.token,)


def in_set(token: int, pk: int) -> int:
    ids = _live.get(token)
    if ids is None:  # more than 64 postings were used since this query was built: never in practice
        raise LookupError(f"posting {token} is no longer held")
    return 1 if pk in ids else 0


def register_sqlite_function(connection) -> None:
    connection.connection.create_function(SQLITE_FUNCTION, 2, in_set, deterministic=False)


def forget() -> None:
    """Drop every posting (tests that change the data behind the same filter without a new version)."""
    with _lock:
        _postings.clear()
        _too_broad.clear()
        _live.clear()
        _intersections.clear()
