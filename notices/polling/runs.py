"""One poll of one source: claiming it (a lease), running its kind's handler, recording the outcome.

A due source is claimed with one conditional UPDATE that sets ``lease_until``/``leased_by``; its row count
says who won, so any number of schedulers can run and a source is never polled twice at once. A crashed
poller's lease runs out (``POLL_LEASE``). Each kind of source is a handler registered here by its own
module (``@kind(Source.Kind.TED)``), so adding a kind adds a module, not branches.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from notices import store
from notices.ingest.fetch import Fetched, FetchError, Payload, ServerAskedToWait, request
from notices.ingest.read import Outcome
from notices.ingest.write import ingest
from notices.models import Source
from notices.polling.health import evaluate, sweep

log = logging.getLogger(__name__)

GIVE_UP_AFTER = 3  # attempts at one notice of an API source before it is rejected and skipped


class PollError(Exception):
    """The poll failed; ``str()`` says why, for ``last_error`` and the operators."""


def new_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


HANDLERS: dict[str, Callable[[Run], None]] = {}


def kind(name: str):
    """Register the handler that polls sources of this kind."""

    def register(handler):
        HANDLERS[name] = handler
        return handler

    return register


# --- claiming -------------------------------------------------------------------------------------------


def claim(
    pk: int, worker: str, *, due_only: bool = True, enabled_only: bool = True, now=None
) -> Source | None:
    """Take the source for one poll, or None when it is not due (``due_only``), not enabled
    (``enabled_only``) or another poller holds it. One conditional UPDATE: its row count decides."""
    now = now or timezone.now()
    rows = Source.objects.filter(pk=pk).filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
    if enabled_only:
        rows = rows.filter(enabled=True)
    if due_only:
        rows = rows.filter(next_poll_at__lte=now)
    lease = dt.timedelta(seconds=settings.POLL_LEASE)
    if rows.update(lease_until=now + lease, leased_by=worker[:100], last_run=now) != 1:
        return None
    return Source.objects.get(pk=pk)


def due_ids(now=None, *, ignore_intervals: bool = False, limit: int = 1000) -> list[int]:
    now = now or timezone.now()
    rows = Source.objects.filter(enabled=True).filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
    if not ignore_intervals:
        rows = rows.filter(next_poll_at__lte=now)
    return list(rows.order_by("next_poll_at", "pk").values_list("pk", flat=True)[:limit])


# --- one poll -------------------------------------------------------------------------------------------


COUNTED = ("new", "updated", "unchanged", "stale", "rejected")


@dataclass
class Result:
    source: Source
    status: str = "ok"  # ok, not-modified, error, rate-limited
    counts: dict = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))
    seen: int = 0
    error: str = ""
    problems: list[str] = field(default_factory=list)  # items that failed in a poll that went on

    def summary(self) -> str:
        if self.status == "not-modified":
            return "not modified"
        c = self.counts
        text = ", ".join(f"{key}: {c[key]}" for key in ("new", "updated", "unchanged", "rejected"))
        if self.status != "ok":
            text += f"; {self.status}: {self.error}"
        elif self.problems:
            text += f"; {len(self.problems)} item(s) failed: {self.problems[0]}"
        return text


class Run:
    """One poll of one claimed source: the handlers read and update the state here; ``save_progress``
    writes it (and renews the lease) mid-run, ``finish`` at the end."""

    def __init__(self, source: Source, worker: str, stop=None):
        self.source = source
        self.worker = worker
        self.stop = stop or (lambda: False)
        self.started = timezone.now()
        self.session = requests.Session()
        self.result = Result(source)
        self.state: dict = {}  # state fields to write
        self.broken: str | None = None  # None: leave as it was
        self.counted = False  # the poll read content: notices_seen is result.seen
        self.interrupted = False  # stopped (shutdown) before the end: due again at once, to resume

    # HTTP, politely (see notices.ingest.fetch.request)
    def get(self, url: str, **kw) -> Fetched:
        return request(url, session=self.session, user_agent=settings.POLL_USER_AGENT,
                       max_wait=settings.POLL_MAX_RETRY_WAIT, **kw)

    def post_json(self, url: str, body: dict, **kw) -> Fetched:
        return self.get(url, method="POST", json_body=body, **kw)

    def add(self, outcome: Outcome) -> None:
        for change in outcome.changes:
            self.result.counts[change.outcome] = self.result.counts.get(change.outcome, 0) + 1
        self.result.counts["rejected"] += len(outcome.errors)

    def save_progress(self, **fields) -> None:
        self.state.update(fields)
        now = timezone.now()
        Source.objects.filter(pk=self.source.pk, leased_by=self.worker).update(
            **self.state, lease_until=now + dt.timedelta(seconds=settings.POLL_LEASE), updated_at=now
        )


def poll(source: Source, worker: str, stop=None) -> Result:
    """Poll a source this worker has claimed (``claim``), store what it yields, write its state, release
    it and check its health. Never raises for a source's failure: it is recorded."""
    run = Run(source, worker, stop)
    handler = HANDLERS.get(source.kind)
    error: Exception | None = None
    try:
        if handler is None:
            raise PollError(f"unknown kind {source.kind!r}")
        handler(run)
    except (PollError, FetchError) as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001 - a bug or an outage must not kill the scheduler; it is recorded
        log.exception("polling source %s failed", source.pk)
        error = PollError(f"unexpected {exc.__class__.__name__}: {exc}")
    except BaseException as exc:  # Ctrl-C, SystemExit: the source is released at once, not after POLL_LEASE
        finish(run, PollError(f"interrupted ({exc.__class__.__name__})"))
        raise
    finish(run, error)
    return run.result


def finish(run: Run, error: Exception | None) -> None:
    source, now = run.source, timezone.now()
    interval = dt.timedelta(seconds=source.interval)
    fields = dict(run.state, lease_until=None, leased_by="", updated_at=now)
    regular = max(run.started + interval, now)
    if error is None:
        run.result.status = "not-modified" if run.result.status == "not-modified" else "ok"
        fields.update(
            last_success=now,
            last_error="; ".join(run.result.problems)[:5000],
            failures=0,
            next_poll_at=now if run.interrupted else regular,
        )
        if run.counted:
            fields.update(notices_seen=run.result.seen, peak_seen=max(source.peak_seen, run.result.seen))
    elif isinstance(error, ServerAskedToWait):
        # Honour Retry-After: not before it has passed, and never sooner than the regular interval.
        wait = error.retry_after if error.retry_after is not None else 2 * source.interval
        run.result.status, run.result.error = "rate-limited", str(error)
        fields.update(
            last_error=f"rate limited: {error}"[:5000],
            failures=source.failures + 1,
            next_poll_at=now + max(dt.timedelta(seconds=wait), interval),
        )
    else:
        run.result.status, run.result.error = "error", str(error)
        fields.update(last_error=str(error)[:5000], failures=source.failures + 1, next_poll_at=regular)
    if run.broken is not None:
        fields["broken"] = run.broken
    if not Source.objects.filter(pk=source.pk, leased_by=run.worker).update(**fields):
        log.warning("source %s: its lease was lost before the poll finished; state not saved", source.pk)
    source.refresh_from_db()
    run.result.source = source
    evaluate(source, now=now)


def fetch_and_ingest(run: Run, key: str, url: str, failed: dict, extract, **kw) -> bool:
    """Fetch one notice of an API source and ingest it. True when it is done with (stored, or rejected
    for good); False when it should be tried again next poll. A rate limit ends the poll (raised)."""
    try:
        fetched = run.get(url, **kw)
        data = extract(fetched)
    except ServerAskedToWait:
        raise
    except (FetchError, PollError) as exc:
        failed[key] = failed.get(key, 0) + 1
        run.result.problems.append(str(exc))
        if failed[key] < GIVE_UP_AFTER:
            return False
        store.reject(origin=url, reason=f"{exc} (given up after {GIVE_UP_AFTER} polls)")
        run.result.counts["rejected"] += 1
        del failed[key]
        return True
    failed.pop(key, None)
    outcome = ingest(Payload(data, url, None), "eforms")
    run.add(outcome)
    run.result.seen += len(outcome.records)
    run.counted = True
    return True


def poll_due(worker: str | None = None, *, ignore_intervals: bool = False, stop=None) -> list[Result]:
    """Claim and poll every due source, one after another; then check every source's health."""
    worker = worker or new_worker_name()
    stop = stop or (lambda: False)
    results = []
    for pk in due_ids(ignore_intervals=ignore_intervals):
        if stop():
            break
        source = claim(pk, worker, due_only=not ignore_intervals)
        if source is not None:
            results.append(poll(source, worker, stop))
    if not stop():
        sweep()
    return results
