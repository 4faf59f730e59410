"""APScheduler is only the clock: it fires jobs; the rows in the database are the truth.

``configure(scheduler, dispatcher)`` registers the dispatcher tick (every ``tick`` seconds, coalesced,
never two at once in one process), a job that renders ahead the PDF summaries of reminders due in the
next 15 minutes (every minute), the alerts' matcher (every ``ALERTS_MATCH_TICK`` seconds), every job the notices core registered with ``notices.clock`` (polling
the scheduled sources, unless ``POLL_SOURCES=false``), and then calls every hook named in
``settings.SCHEDULER_JOB_HOOKS``: dotted paths to functions ``register(scheduler)`` that add their own
jobs. Jobs use the in-memory job store, so nothing about them outlives the process: each job must read
what it needs from the database when it runs.
"""

from __future__ import annotations

import datetime as dt
import logging

from apscheduler.schedulers.base import STATE_STOPPED
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string

from notices import clock
from notices.models import Notice
from scheduler.mail import pdf_summary
from scheduler.matching import Matcher
from scheduler.models import PENDING, Reminder

log = logging.getLogger(__name__)

DISPATCH_JOB_ID = "dispatch"


def job(func):
    """Wrap a job so it never kills the clock and never keeps a stale database connection."""

    def run(*args, **kwargs):
        close_old_connections()
        try:
            return func(*args, **kwargs)
        except Exception:  # noqa: BLE001 - logged; the next tick tries again
            log.exception("job %s failed", getattr(func, "__qualname__", func))
        finally:
            close_old_connections()

    run.__name__ = getattr(func, "__name__", "job")
    run.__qualname__ = getattr(func, "__qualname__", "job")
    return run


def dispatch_tick(dispatcher) -> None:
    stats = dispatcher.run_once()
    if stats:
        log.info(
            "sent %d, retry %d, failed %d, missed %d, cancelled %d, recovered %d",
            stats.sent,
            stats.retried,
            stats.failed,
            stats.missed,
            stats.cancelled,
            stats.recovered,
        )


def match_tick(matcher) -> None:
    """Match the notices the store changed against the alerts (scheduler.matching)."""
    stats = matcher.run_once()
    if stats:
        log.info(
            "matched %d changes: %d announced, %d changes told, %.0f ms CPU",
            stats.changes, stats.announced, stats.changed, stats.cpu * 1000,
        )


def prepare_tick(dispatcher, lookahead: float = 900, limit: int = 200) -> None:
    """Render the PDF summaries that reminders due in the next ``lookahead`` seconds will attach, so a
    batch never waits for WeasyPrint (notices.pdf caches them on disk for every process on the host)."""
    if not settings.SCHEDULER_ATTACH_PDF:
        return
    soon = timezone.now() + dt.timedelta(seconds=lookahead)
    pairs = (
        Reminder.objects.filter(state__in=PENDING, next_attempt_at__lte=soon)
        .values_list("subscription__notice", "subscription__language")
        .distinct()
        .order_by()[:limit]
    )
    notices = {}
    for notice_id, language in pairs:
        if dispatcher.stop.is_set():
            return
        notice = notices.get(notice_id) or notices.setdefault(notice_id, Notice.objects.get(pk=notice_id))
        pdf_summary(notice, language)


def configure(scheduler, dispatchers, *, tick: float = 1.0, prepare_every: float = 60) -> None:
    """Register the jobs. ``dispatchers``: one or more (each its own job, thread, database connection
    and SMTP connection; they claim rows from each other like separate processes would)."""
    if not isinstance(dispatchers, list | tuple):
        dispatchers = [dispatchers]
    start = timezone.now()
    for n, dispatcher in enumerate(dispatchers):
        scheduler.add_job(
            job(dispatch_tick),
            "interval",
            seconds=tick,
            args=[dispatcher],
            id=DISPATCH_JOB_ID if n == 0 else f"{DISPATCH_JOB_ID}-{n}",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            # Spread over the tick, so a row that falls due waits less for the next run.
            next_run_time=start + dt.timedelta(seconds=tick * n / len(dispatchers)),
        )
    scheduler.add_job(
        job(prepare_tick),
        "interval",
        seconds=prepare_every,
        args=[dispatchers[0]],
        id="prepare",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        next_run_time=timezone.now(),
    )
    matcher = Matcher(
        dispatchers[0].worker.split(".")[0] + ".match", stop=dispatchers[0].stop,
        quiet=settings.ALERTS_MATCH_QUIET, max_wait=settings.ALERTS_MATCH_MAX_WAIT,
    )
    scheduler.add_job(
        job(match_tick),
        "interval",
        seconds=settings.ALERTS_MATCH_TICK,
        args=[matcher],
        id="match",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        next_run_time=timezone.now(),
    )
    for registered in clock.jobs():
        scheduler.add_job(
            job(registered.run),
            "interval",
            seconds=registered.seconds(),
            args=[lambda: scheduler.state == STATE_STOPPED],
            id=registered.id,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            next_run_time=timezone.now(),
        )
        log.info("registered job %s", registered.id)
    for path in settings.SCHEDULER_JOB_HOOKS:
        import_string(path)(scheduler)
        log.info("registered jobs from %s", path)


class SkippedTickFilter(logging.Filter):
    """A dispatcher tick that runs longer than the interval makes APScheduler warn that the next one was
    skipped; that is the intended behaviour (max_instances=1), not news."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()
