"""The clock: which jobs runscheduler registers, the hook for more, and PDFs rendered ahead."""

import datetime as dt

import pytest
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler

from scheduler import jobs
from scheduler.dispatch import Dispatcher
from tests.scheduler.conftest import HELSINKI, UTC, save_notice, subscribe

registered = []


def register(scheduler):
    """A hook as a later issue would add it (e.g. polling the ingest sources)."""
    registered.append(scheduler)
    scheduler.add_job(lambda: None, "interval", minutes=5, id="poll-sources")


def test_it_registers_the_dispatchers_the_prepare_job_and_the_hooks(settings):
    settings.SCHEDULER_JOB_HOOKS = ["tests.scheduler.test_jobs.register"]
    settings.EFORMS_CHECKS_IN_SCHEDULER = True  # the notices core's jobs (notices.clock) are added too
    settings.TED_ESENDER_TOKEN = ""
    scheduler = BackgroundScheduler(timezone="UTC")
    jobs.configure(scheduler, [Dispatcher("a"), Dispatcher("b")], tick=0.5)
    by_id = {job.id: job for job in scheduler.get_jobs()}
    assert set(by_id) == {"dispatch", "dispatch-1", "prepare", "match", "poll-sources", "eforms-rules",
                           "advance-next-deadlines", "planner-statistics"}
    assert by_id["dispatch"].trigger.interval == dt.timedelta(seconds=0.5)
    assert by_id["dispatch"].max_instances == 1 and by_id["dispatch"].coalesce
    assert registered == [scheduler]


@pytest.mark.django_db
def test_the_pdf_summaries_of_reminders_due_soon_are_rendered_ahead(monkeypatch):
    calls = []
    monkeypatch.setattr("notices.pdf.render_summary", lambda notice, lang: calls.append((notice.pk, lang)))
    now = dt.datetime(2027, 5, 3, 9, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        soon = save_notice(
            [("tender", dt.datetime(2027, 5, 4, 12, 5, tzinfo=HELSINKI))], source_id="a"
        ).notice
        later = save_notice(
            [("tender", dt.datetime(2027, 5, 20, 12, 0, tzinfo=HELSINKI))], source_id="b"
        ).notice
        subscribe(soon, before=("P1D",), language="sv")  # due 09:05Z: within 15 minutes
        subscribe(soon, before=("P1D",), language="sv", email="x@example.fi")
        subscribe(later, before=("P1D",))
        jobs.prepare_tick(Dispatcher("t"))
    assert calls == [(soon.pk, "sv")]
