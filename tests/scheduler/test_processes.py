"""``manage.py runscheduler`` as real processes against the test database and a real SMTP server:
killed with SIGKILL mid-batch, stopped with SIGTERM, and two of them at once.

These tests commit their rows (``transaction=True``) so the subprocesses see them; how the test database
is shared with subprocesses is explained in conftest.py. No timing is asserted: only what was delivered.
"""

from __future__ import annotations

import datetime as dt
import secrets
import signal
import subprocess
import sys
from collections import Counter

import pytest
from django.conf import settings
from django.utils import timezone

from notices.models import Deadline
from scheduler.models import Reminder, State, Subscription, hash_token
from tests.scheduler.conftest import ROOT, save_notice, subprocess_env
from tests.smtpserver import SMTPServer

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def seed(count: int, *, notices: int = 1) -> list[int]:
    """``count`` reminders due now (one per subscription), their deadline ten days ahead."""
    now = timezone.now()
    deadlines = []
    for n in range(notices):
        notice = save_notice([("tender", now + dt.timedelta(days=10))], source_id=f"bulk-{n}").notice
        deadlines.append(Deadline.objects.get(notice=notice))
    subs = Subscription.objects.bulk_create(
        Subscription(
            email=f"bidder{n}@example.fi",
            notice_id=deadlines[n % notices].notice_id,
            deadlines=["tender"],
            before=["P1D"],
            language=("fi", "sv", "en")[n % 3],
            status=Subscription.Status.ACTIVE,
            token_hash=hash_token(secrets.token_hex(8)),
        )
        for n in range(count)
    )
    if not all(s.pk for s in subs):  # SQLite before 3.35 returns no ids from bulk_create
        subs = list(Subscription.objects.order_by("pk"))
    due = now - dt.timedelta(seconds=1)
    rows = Reminder.objects.bulk_create(
        Reminder(
            subscription=sub,
            deadline=deadlines[n % notices],
            offset="P1D",
            due_at=due,
            deadline_at=deadlines[n % notices].at,
            next_attempt_at=due,
        )
        for n, sub in enumerate(subs)
    )
    return (
        [r.pk for r in rows]
        if all(r.pk for r in rows)
        else list(Reminder.objects.values_list("pk", flat=True))
    )


class Scheduler:
    """One ``manage.py runscheduler`` subprocess; its output goes to a file shown when a test fails."""

    def __init__(self, server: SMTPServer, tmp_path, name: str, *args: str):
        self.log = tmp_path / f"{name}.log"
        self.name = name
        command = [sys.executable, "manage.py", "runscheduler", "--tick", "0.2", "--worker", name, *args]
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=subprocess_env(server), stdout=out, stderr=subprocess.STDOUT
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture
def processes():
    started: list[Scheduler] = []
    yield started
    for scheduler in started:
        scheduler.stop()


@pytest.fixture
def server():
    smtp = SMTPServer(keep=False).start()
    yield smtp
    smtp.stop()


def delivered(server: SMTPServer) -> Counter:
    with server.handler.lock:
        return Counter(server.handler.reminder_ids)


@pytest.mark.django_db(transaction=True)
def test_a_killed_scheduler_loses_nothing_and_duplicates_at_most_what_was_in_flight(
    server, processes, tmp_path
):
    ids = seed(1000)
    server.handler.delay = 0.003  # so that the kill lands mid-way
    first = Scheduler(server, tmp_path, "first")
    processes.append(first)
    assert server.wait(lambda: len(delivered(server)) >= 150, timeout=90), first.output()
    first.kill()
    at_kill = delivered(server)
    in_flight = Reminder.objects.filter(state=State.SENDING).count()
    assert 0 < len(at_kill) < 1000, "the kill should land while it is sending"
    assert in_flight >= 1
    # Everything the server accepted is marked sent, except at most the one mail each sender (2) had
    # between SMTP and the mark.
    assert len(at_kill) - Reminder.objects.filter(state=State.SENT).count() <= 2

    second = Scheduler(server, tmp_path, "second", "--stuck-after", "2")
    processes.append(second)
    assert server.wait(lambda: set(delivered(server)) == set(ids), timeout=120), second.output()
    assert server.wait(lambda: Reminder.objects.filter(state=State.SENT).count() == 1000, timeout=30)
    assert second.terminate() == 0, second.output()

    counts = delivered(server)
    duplicates = sum(n - 1 for n in counts.values())
    assert set(counts) == set(ids) and min(counts.values()) >= 1
    assert duplicates <= in_flight  # the contract: bounded by what was in flight
    assert duplicates <= 2  # this design: one mail at most per sender (runscheduler runs 2) killed
    assert Reminder.objects.filter(claimed_by__startswith="second").count() >= 1000 - len(at_kill)


@pytest.mark.django_db(transaction=True)
def test_sigterm_finishes_what_is_in_flight_and_hands_back_the_rest(server, processes, tmp_path):
    ids = seed(600)
    server.handler.delay = 0.003
    scheduler = Scheduler(server, tmp_path, "graceful")
    processes.append(scheduler)
    assert server.wait(lambda: len(delivered(server)) >= 100, timeout=90), scheduler.output()
    assert scheduler.terminate() == 0, scheduler.output()
    counts = delivered(server)
    assert len(counts) < 600 and max(counts.values()) == 1
    # Nothing is left half-way: every delivered row is marked sent, the rest wait for the next run.
    assert not Reminder.objects.filter(state=State.SENDING).exists()
    assert set(Reminder.objects.filter(state=State.SENT).values_list("pk", flat=True)) == set(counts)
    assert Reminder.objects.filter(state=State.SCHEDULED).count() == 600 - len(counts)
    assert set(Reminder.objects.values_list("pk", flat=True)) == set(ids)


def _two_schedulers(server, processes, tmp_path, count: int):
    ids = seed(count, notices=5)
    for name in ("alpha", "beta"):
        processes.append(Scheduler(server, tmp_path, name))
    assert server.wait(lambda: sum(delivered(server).values()) >= count, timeout=240), [
        p.output() for p in processes
    ]
    assert server.wait(lambda: Reminder.objects.filter(state=State.SENT).count() == count, timeout=30)
    for scheduler in processes:
        assert scheduler.terminate() == 0, scheduler.output()
    counts = delivered(server)
    assert set(counts) == set(ids)
    assert [rid for rid, n in counts.items() if n > 1] == []  # no duplicate
    by_worker = Counter(
        claimed.split("/")[0].split(".")[0]  # "<worker>.<sender>/<batch>"
        for claimed in Reminder.objects.values_list("claimed_by", flat=True)
    )
    assert set(by_worker) == {"alpha", "beta"}, by_worker  # both did real work


@pytest.mark.postgres
@pytest.mark.skipif(
    not ON_POSTGRES, reason="needs PostgreSQL: run with DATABASE_URL=postgres://... (bin/test does)"
)
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_on_postgresql_send_5000_reminders_without_a_duplicate(server, processes, tmp_path):
    _two_schedulers(server, processes, tmp_path, 5000)


@pytest.mark.skipif(ON_POSTGRES, reason="the PostgreSQL pass runs the 5,000-row version")
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_on_sqlite_send_without_a_duplicate(server, processes, tmp_path):
    _two_schedulers(server, processes, tmp_path, 2000)
