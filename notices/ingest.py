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

from django.db import DatabaseError, transaction

from notices import store
from notices.reading import Outcome, parse
from notices.sources import Payload


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
        return text + f", rejected: {c['rejected']}"


def ingest(payload: Payload, fmt: str | None = None) -> Outcome:
    """Read and store; rejected input is kept with its reason."""
    return write(payload, parse(payload, fmt))


def write(payload: Payload | None, outcome: Outcome) -> Outcome:
    """Store what ``parse`` read; keep what could not be read or stored as a rejection."""
    if payload is None:
        store.reject(origin=outcome.origin, reason=outcome.errors[0])
        return outcome
    if outcome.errors:
        store.reject(origin=payload.origin, reason=outcome.errors[0], raw=payload.data, fmt=outcome.fmt or "")
        return outcome
    for record in outcome.records:
        try:
            outcome.changes.append(store.save(record, raw=payload.data, origin=payload.origin, fmt=outcome.fmt))
        except DatabaseError as exc:
            reason = f"{payload.origin}: notice {record.source_id} could not be stored: {exc}"
            outcome.errors.append(reason)
            store.reject(origin=payload.origin, reason=reason, raw=payload.data, fmt=outcome.fmt or "")
    return outcome


def write_all(items: Iterable[tuple[Payload | None, Outcome]], group: int = 1) -> Iterator[Outcome]:
    """``write`` each item. With ``group`` > 1 up to that many payloads share one commit: each notice is
    still all-or-nothing (``store.save`` runs it in its own savepoint), and a crash loses at most the
    uncommitted group, which the next run ingests again (ingest is idempotent). Commits are what a bulk
    load on SQLite waits for; a group keeps the write lock for tens of milliseconds only."""
    items = iter(items)
    if group <= 1:
        yield from (write(payload, outcome) for payload, outcome in items)
        return
    while chunk := list(islice(items, group)):
        with transaction.atomic():
            written = [write(payload, outcome) for payload, outcome in chunk]
        yield from written
