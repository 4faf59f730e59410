"""Bytes to stored notices: the path shared by ``manage.py ingest`` and scheduled polling.

``ingest(payload)`` reads the payload and saves each notice through ``notices.store``; anything that
cannot be read or stored is kept as a ``Rejection`` with its reason, and nothing of it is stored
half-way (each notice is one transaction).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.db import transaction

from notices import store
from notices.ingest.fetch import Payload
from notices.ingest.read import Outcome, parse
from notices.records import RawPayload


@dataclass
class Tally:
    counts: Counter = field(default_factory=Counter)

    def add(self, outcome: Outcome) -> None:
        for change in outcome.changes:
            self.counts[change.outcome] += 1
        self.counts["rejected"] += len(outcome.errors)

    def summary(self) -> str:
        c = self.counts
        text = f"new: {c[store.NEW]}, updated: {c[store.UPDATED]}, unchanged: {c[store.UNCHANGED]}"
        if c[store.STALE]:
            text += f", older versions kept: {c[store.STALE]}"
        if c[store.ATTACHED]:
            text += f", published copies of officers' notices: {c[store.ATTACHED]}"
        return text + f", rejected: {c['rejected']}"


def ingest(payload: Payload, fmt: str | None = None) -> Outcome:
    """Read and store; rejected input is kept with its reason."""
    return write(payload, parse(payload, fmt))


def write(payload: Payload | None, outcome: Outcome) -> Outcome:
    """Store what ``parse`` read; keep what could not be read or stored as a rejection."""
    _write_chunk([(payload, outcome)])
    return outcome


def write_all(items: Iterable[tuple[Payload | None, Outcome]], group: int = 1) -> Iterator[Outcome]:
    """``write`` each item. With ``group`` > 1 up to that many payloads share one commit: each notice is
    still all-or-nothing (see ``store.save_many``), and a crash loses at most the
    uncommitted group, which the next run ingests again (ingest is idempotent). Commits are what a bulk
    load on SQLite waits for; a group keeps the write lock for tens of milliseconds only."""
    items = iter(items)
    if group <= 1:
        yield from (write(payload, outcome) for payload, outcome in items)
        return
    while chunk := list(islice(items, group)):
        with transaction.atomic():
            _write_chunk(chunk)
        yield from (outcome for _, outcome in chunk)


def _write_chunk(chunk: list[tuple[Payload | None, Outcome]]) -> None:
    """Keep what could not be read (or what the gate refused) as rejections, one per error, and store the
    rest with one ``store.save_many``: a bad payload, or a bad notice in a payload, costs only itself."""
    readable = []
    for payload, outcome in chunk:
        if payload is None:
            store.reject(origin=outcome.origin, reason=outcome.errors[0], raw=outcome.kept, size=outcome.size)
            continue
        raw = outcome.raw.data if outcome.raw else payload.data
        for error in outcome.errors:
            store.reject(origin=payload.origin, reason=error, raw=raw, fmt=outcome.fmt or "")
        if outcome.records:
            readable.append((payload, outcome, _entries(payload, outcome)))
    results = iter(store.save_many([entry for _, _, entries in readable for entry in entries]))
    for payload, outcome, entries in readable:
        _record(payload, outcome, entries, [next(results) for _ in entries])


def _entries(payload: Payload, outcome: Outcome) -> list[store.Entry]:
    encoded = outcome.encoded or [None] * len(outcome.records)
    raw = outcome.raw or RawPayload.of(payload.data)
    return [
        store.Entry.of(record, raw=raw, origin=payload.origin, fmt=outcome.fmt, encoded=enc, admitted=True)
        for record, enc in zip(outcome.records, encoded)
    ]


def _record(payload: Payload, outcome: Outcome, entries: list[store.Entry], results: list) -> None:
    """Put what the store did into the outcome; keep what it could not store as a rejection."""
    for entry, result in zip(entries, results):
        if isinstance(result, Exception):
            reason = f"{payload.origin}: notice {entry.record.source_id} could not be stored: {result}"
            outcome.errors.append(reason)
            raw = outcome.raw.data if outcome.raw else payload.data
            store.reject(origin=payload.origin, reason=reason, raw=raw, fmt=outcome.fmt or "")
        else:
            outcome.changes.append(result)
