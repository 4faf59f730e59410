"""Scheduled sources: TED, Hilma, buyers' web pages, OCDS feeds and local folders, polled politely.

The ``Source`` rows are the truth; APScheduler (``manage.py runscheduler``, via ``register``) is only the
clock that calls ``tick()``, and ``manage.py poll`` calls the same code by hand.

**Claiming.** A due source (enabled, ``next_poll_at`` passed, no live lease) is claimed with one
conditional UPDATE that sets ``lease_until``/``leased_by``; its row count says who won, so any number of
schedulers (hosts, processes) can run and a source is never polled twice at once. A crashed poller's
lease simply runs out (``POLL_LEASE`` seconds) and the source is claimed again.

**Fetching.** Everything goes through ``notices.ingest.fetch.request``: a User-Agent (``POLL_USER_AGENT``),
timeouts, retries with backoff honouring 429 and Retry-After, a size cap, no private hosts, and at most
one request at a time per host. A Retry-After longer than ``POLL_MAX_RETRY_WAIT`` ends the poll at once
and pushes ``next_poll_at`` past it. Pages and feeds are fetched conditionally (ETag / Last-Modified),
so an unchanged page costs a 304 and nothing is read or written.

**Ingesting.** Every payload goes through ``notices.ingest.write.ingest`` - the readers and the one writer
``manage.py ingest`` uses - so a new or changed notice re-plans its followers' reminders in the store's
transaction, and unreadable input is kept as a ``Rejection``.

**Resuming.** State is written after each poll, and TED/Hilma also after each result page: the validators
(ETag, Last-Modified), the watermark (newest publication date seen) and the cursor (the notices already
fetched at the watermark, or in a run that did not finish). A restarted scheduler asks only for what is at
or after the watermark and skips what the cursor lists, so nothing is fetched twice.

**Health** (``health()``): an enabled source is unhealthy when it has had no successful poll for
``POLL_STALE_FACTOR`` x its interval, or when its content broke: a page or feed that once yielded notices
yields none, or no longer reads ("layout broke"). The first poll or sweep that finds a problem starts an
episode and mails the operators (``mail_admins``) once; the episode ends when the source is healthy again.

**Dry runs** (``dry_run()``, ``manage.py poll --dry-run SOURCE``) send the requests a poll would and read
what comes back, but store nothing and leave the source as it was.

The modules: ``runs`` (claiming, one poll, a dry run, the kinds' registry), one module per kind (``pages``:
fi-web pages and OCDS feeds; ``folder``; ``ted``; ``hilma``, each saying which fields of its API it relies
on and where that is documented), ``tedquery`` (a TED expert query checked before TED sees it) and
``health``.
"""

from __future__ import annotations

from django.conf import settings

from notices import clock
from notices.polling import folder, hilma, pages, ted  # noqa: F401 - each registers its kind of source
from notices.polling.health import evaluate, health, sweep
from notices.polling.hilma import check_query as check_hilma_query
from notices.polling.runs import PollError, Result, claim, dry_run, due_ids, new_worker_name, poll, poll_due
from notices.polling.ted import check_query as check_ted_query

__all__ = ["PollError", "Result", "check_hilma_query", "check_ted_query", "claim", "dry_run", "due_ids", "evaluate", "health",
           "new_worker_name", "poll", "poll_due", "sweep"]

POLL_JOB_ID = "poll-sources"
# Poll due sources every ``POLL_TICK`` seconds on the scheduler's clock (``runscheduler``) unless
# ``POLL_SOURCES`` is false. A poll in flight stops between notices once the clock is shutting down
# (SIGTERM), its progress saved.
clock.register(
    clock.Job(
        POLL_JOB_ID,
        run=lambda stopping: poll_due(stop=stopping),
        seconds=lambda: settings.POLL_TICK,
        enabled=lambda: settings.POLL_SOURCES,
    )
)
