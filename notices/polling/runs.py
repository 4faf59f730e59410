"""One poll of one source: claiming it (a lease), running its kind's handler, recording the outcome.

A due source is claimed with one conditional UPDATE that sets ``lease_until``/``leased_by``; its row count
says who won, so any number of schedulers can run and a source is never polled twice at once. A crashed
poller's lease runs out (``POLL_LEASE``). Each kind of source is a handler registered here by its own
module (``@kind(Source.Kind.TED)``), so adding a kind adds a module, not branches.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from notices import store
from notices.ingest.fetch import ACCEPT_ANY_NOTICE, Fetched, FetchError, Payload, ServerAskedToWait, request
from notices.ingest.read import Outcome, parse
from notices.ingest.write import write
from notices.models import Notice, Source
from notices.polling.health import evaluate, sweep
from notices.records import Encoded, NoticeRecord

log = logging.getLogger(__name__)

GIVE_UP_AFTER = 3  # attempts at one notice of an API source before it is rejected and skipped
ERROR_BODY_CAP = 4096  # bytes of an error answer kept to say why (TED's error type, Hilma's 429 text)


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
    skipped: Counter = field(default_factory=Counter)  # search hits not fetched, by kind (Hilma: plan...)

    def summary(self) -> str:
        if self.status == "not-modified":
            return "not modified"
        c = self.counts
        text = ", ".join(f"{key}: {c[key]}" for key in ("new", "updated", "unchanged", "rejected"))
        if self.skipped:
            kinds = ", ".join(f"{kind}: {n}" for kind, n in sorted(self.skipped.items()))
            text += f", skipped: {sum(self.skipped.values())} ({kinds})"
        if self.status != "ok":
            text += f"; {self.status}: {self.error}"
        elif self.problems:
            text += f"; {len(self.problems)} item(s) failed: {self.problems[0]}"
        return text


class Run:
    """One poll of one claimed source: the handlers read and update the state here; ``save_progress``
    writes it (and renews the lease) mid-run, ``finish`` at the end.

    A dry run (``dry_run()``, ``manage.py poll --dry-run``) goes through the same handler: it sends the
    same requests and reads what they bring, but stores nothing (no notice, no rejection, no state) and
    says each step through ``say``; it stops after ``limit`` notices."""

    def __init__(self, source: Source, worker: str, stop=None, *, report=None, limit: int = 0):
        self.source = source
        self.worker = worker
        self.dry_run = report is not None
        self.report = report
        self.limit = limit
        self.fetched = 0  # notices fetched (a dry run stops at ``limit``)
        user_stop = stop or (lambda: False)
        self.stop = lambda: user_stop() or self.enough()
        self.started = timezone.now()
        self.session = requests.Session()
        # The error answer's body, which request() does not keep: TED's error type, Hilma's 429 text.
        self.session.hooks["response"].append(self._keep_error_body)
        self.error_body = b""
        self.result = Result(source)
        self.state: dict = {}  # state fields to write
        self.broken: str | None = None  # None: leave as it was
        self.counted = False  # the poll read content: notices_seen is result.seen
        self.interrupted = False  # stopped (shutdown) before the end: due again at once, to resume

    # HTTP, politely (see notices.ingest.fetch.request)
    def get(self, url: str, *, accept: str = ACCEPT_ANY_NOTICE, **kw) -> Fetched:
        """One exchange; ``accept`` says what the caller expects (application/json from a JSON API,
        application/xml for a notice's XML)."""
        self.error_body = b""
        if self.dry_run:
            body = kw.get("json_body")
            sent = f" {json.dumps(body, ensure_ascii=False)}" if body is not None else ""
            keys = "".join(f" [{name}: ***]" for name in kw.get("headers") or {})
            self.say(f"{kw.get('method', 'GET')} {url}{sent}{keys}")
        try:
            return request(url, session=self.session, user_agent=settings.POLL_USER_AGENT,
                           max_wait=settings.POLL_MAX_RETRY_WAIT, accept=accept, **kw)
        except ServerAskedToWait as exc:
            said = self.error_text()  # Hilma's 429 says why in a plain string
            if not said:
                raise
            detail = f"{exc.detail} (the server said: {said[:200]})"
            raise ServerAskedToWait(detail, exc.where, exc.status, exc.retry_after) from None

    def post_json(self, url: str, body: dict, **kw) -> Fetched:
        return self.get(url, method="POST", json_body=body, **kw)

    def _keep_error_body(self, response, *args, **kwargs):
        if response.status_code >= 400:
            try:
                self.error_body = response.raw.read(ERROR_BODY_CAP, decode_content=True) or b""
            except Exception:  # noqa: BLE001 - only a better message is lost
                self.error_body = b""
        return response

    def error_text(self) -> str:
        """The last error answer's body as text, on one line (empty when there was none)."""
        return " ".join(self.error_body.decode("utf-8", errors="replace").split())[:500]

    def error_json(self):
        try:
            return json.loads(self.error_body)
        except ValueError:
            return None

    def enough(self) -> bool:
        """A dry run has fetched as many notices as it was allowed."""
        return self.dry_run and self.fetched >= self.limit

    def say(self, line: str) -> None:
        if self.report is not None:
            self.report(line)

    def ingest(self, payload: Payload, fmt: str | None = None) -> Outcome:
        """Read and store the payload (as ``notices.ingest.write.ingest``), its outcome counted; a dry run
        reads it only and says what storing it would do."""
        return self.store(payload, parse(payload, fmt))

    def store(self, payload: Payload, outcome: Outcome) -> Outcome:
        """Store what was read (``notices.ingest.write.write``: rejections kept), its outcome counted; a dry
        run says what storing it would do instead."""
        if not self.dry_run:
            write(payload, outcome)
            self.add(outcome)
            return outcome
        for error in outcome.errors:
            self.say(f"  would be kept as a rejection: {error}")
        for record in outcome.records:
            self.say(f"  would store ({would_be(record)}): {describe(record)}")
        self.result.counts["rejected"] += len(outcome.errors)
        return outcome

    def add(self, outcome: Outcome) -> None:
        for change in outcome.changes:
            self.result.counts[change.outcome] = self.result.counts.get(change.outcome, 0) + 1
        self.result.counts["rejected"] += len(outcome.errors)

    def save_progress(self, **fields) -> None:
        self.state.update(fields)
        if self.dry_run:
            return
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
    run.fetched += 1
    try:
        fetched = run.get(url, **kw)
        data = extract(fetched)
    except ServerAskedToWait:
        raise
    except (FetchError, PollError) as exc:
        if run.dry_run:
            run.say(f"  cannot be read: {exc} (a poll tries it {GIVE_UP_AFTER} times, then keeps it as a rejection)")
            run.result.problems.append(str(exc))
            return False
        failed[key] = failed.get(key, 0) + 1
        run.result.problems.append(str(exc))
        if failed[key] < GIVE_UP_AFTER:
            return False
        store.reject(origin=url, reason=f"{exc} (given up after {GIVE_UP_AFTER} polls)")
        run.result.counts["rejected"] += 1
        del failed[key]
        return True
    failed.pop(key, None)
    outcome = run.ingest(Payload(data, url, None), "eforms")
    run.result.seen += len(outcome.records)
    run.counted = True
    return True


def would_be(record: NoticeRecord) -> str:
    """What storing the record would do, as far as reading can tell: new, unchanged, or a new version."""
    keys = [k for k in (record.changes, record.source_id) if k]
    notice = (
        Notice.objects.filter(source=record.source, source_id__in=keys).select_related("current_version").first()
    )
    if notice is None:
        return "new"
    current = notice.current_version
    if current is not None and current.content_hash == Encoded.of(record).digest:
        return f"unchanged, notice {notice.pk}"
    return f"a new version of notice {notice.pk}"


def describe(record: NoticeRecord) -> str:
    deadlines = ", ".join(f"{d.kind}{' ' + d.lot if d.lot else ''} {d.at.isoformat()}" for d in record.deadlines)
    text = f"{record.source} {record.source_id} {record.notice_type} {record.status} {record.title[:80]!r}"
    return text + (f"; deadlines: {deadlines}" if deadlines else "; no deadlines")


def dry_run(source: Source, report: Callable[[str], None], *, limit: int = 10) -> Result:
    """What a poll of ``source`` would request and store, said line by line through ``report``; nothing is
    stored and the source is neither claimed nor changed. Fetches at most ``limit`` notices."""
    run = Run(source, "dry-run", report=report, limit=limit)
    handler = HANDLERS.get(source.kind)
    try:
        if handler is None:
            raise PollError(f"unknown kind {source.kind!r}")
        handler(run)
    except (PollError, FetchError) as exc:
        run.result.status, run.result.error = "error", str(exc)
        if isinstance(exc, ServerAskedToWait):
            run.result.status = "rate-limited"
    if run.interrupted and run.fetched >= limit:
        report(f"stopped after {run.fetched} notice(s) (--limit); a poll would go on")
    return run.result


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
