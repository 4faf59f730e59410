"""The clock: a real ``manage.py runscheduler`` process polls a due source (against the test database, a
file on SQLite; see conftest.py), then stops on SIGTERM. Bounded: it waits at most 30 s for the poll."""

import os
import signal
import subprocess
import sys
import time

import pytest

from notices.models import Notice, Source
from tests.conftest import corpus_path
from tests.httpserver import Response
from tests.polling.conftest import make_source
from tests.scheduler.conftest import ROOT, database_url


@pytest.mark.django_db(transaction=True)
def test_runscheduler_polls_a_due_source(http_server, tmp_path):
    page = corpus_path("fi-web", "narpes-vatten-2024-09.html").read_bytes()
    url = http_server.serve("/aktuellt", Response(200, page, {"ETag": '"v1"'}))
    source = make_source(url, name="Närpes Vatten")

    env = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    env.update(
        DATABASE_URL=database_url(),
        TRACKER_VAR_DIR=str(tmp_path),  # its secret key and mail outbox stay out of the project
        INGEST_ALLOW_PRIVATE_HOSTS="true",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        EFORMS_CHECKS_IN_SCHEDULER="false",  # not what this test is about: compiling the rules costs seconds
    )
    log = tmp_path / "runscheduler.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runscheduler", "--tick", "0.5", "--senders", "1"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            source.refresh_from_db()
            if source.last_success is not None:
                break
            time.sleep(0.1)
        source.refresh_from_db()
        assert source.last_success is not None, log.read_text(errors="replace")
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code == 0, log.read_text(errors="replace")
    assert http_server.hits("/aktuellt") == 1
    notice = Notice.objects.get()
    assert notice.source == "fi-web" and notice.current_version.origin == url
    assert (source.etag, source.notices_seen, source.leased_by, source.lease_until) == ('"v1"', 1, "", None)
    assert source.last_run is not None and source.next_poll_at > source.last_success
    assert Source.objects.get().healthy


def test_the_clock_runs_the_poll_job_the_notices_core_registered(settings):
    from apscheduler.schedulers.background import BackgroundScheduler

    from scheduler import jobs
    from scheduler.dispatch import Dispatcher

    settings.SCHEDULER_JOB_HOOKS = []  # not through a hook: the notices core registered it (notices.clock)
    scheduler = BackgroundScheduler(timezone="UTC")
    jobs.configure(scheduler, [Dispatcher("a")], tick=1)
    job = scheduler.get_job("poll-sources")
    assert job.trigger.interval.total_seconds() == settings.POLL_TICK
    assert job.max_instances == 1 and job.coalesce


def test_poll_sources_false_leaves_the_poll_job_out(settings):
    from apscheduler.schedulers.background import BackgroundScheduler

    from scheduler import jobs
    from scheduler.dispatch import Dispatcher

    settings.POLL_SOURCES = False
    scheduler = BackgroundScheduler(timezone="UTC")
    jobs.configure(scheduler, [Dispatcher("a")], tick=1)
    assert scheduler.get_job("poll-sources") is None and scheduler.get_job("dispatch") is not None
