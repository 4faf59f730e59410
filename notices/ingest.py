"""Bytes to stored notices: the path shared by ``manage.py ingest`` and scheduled polling.

``ingest(payload)`` reads the payload and saves each notice through ``notices.store``; anything that
cannot be read or stored is kept as a ``Rejection`` with its reason, and nothing of it is stored
half-way (each notice is one transaction).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db import DatabaseError

from notices import readers, store
from notices.records import IngestError, NoticeRecord
from notices.sources import Payload


@dataclass
class Outcome:
    origin: str
    fmt: str | None = None
    records: list[NoticeRecord] = field(default_factory=list)
    changes: list[store.Change] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


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


def parse(payload: Payload, fmt: str | None = None) -> Outcome:
    """Read only (dry run): records, or the error."""
    outcome = Outcome(payload.origin)
    try:
        outcome.fmt, outcome.records = readers.read(payload.data, fmt, url=payload.url)
    except IngestError as exc:
        outcome.fmt = fmt
        outcome.errors.append(str(exc.at(payload.origin)))
    return outcome


def ingest(payload: Payload, fmt: str | None = None) -> Outcome:
    """Read and store; rejected input is kept with its reason."""
    outcome = parse(payload, fmt)
    if outcome.errors:
        store.reject(origin=payload.origin, reason=outcome.errors[0], raw=payload.data, fmt=fmt or "")
        return outcome
    for record in outcome.records:
        try:
            outcome.changes.append(store.save(record, raw=payload.data, origin=payload.origin, fmt=outcome.fmt))
        except DatabaseError as exc:
            reason = f"{payload.origin}: notice {record.source_id} could not be stored: {exc}"
            outcome.errors.append(reason)
            store.reject(origin=payload.origin, reason=reason, raw=payload.data, fmt=outcome.fmt or "")
    return outcome


def reject_unreadable(origin: str, error: IngestError) -> str:
    """Input we could not even load (a missing file, a refused URL): kept as a rejection too."""
    reason = str(error.at(origin))
    store.reject(origin=origin, reason=reason)
    return reason
