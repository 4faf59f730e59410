"""``runscheduler`` as real processes matching and sending digests to a real SMTP server: killed with
SIGKILL mid-way (nothing lost, duplicates only from what was in flight), and two at once (no duplicate;
on PostgreSQL at the larger size). A backfill of 5,000 old notices announces nothing.

The rows are committed (``transaction=True``) so the subprocesses see them (see tests/scheduler/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from email.parser import BytesHeaderParser

import pytest
from django.conf import settings
from django.utils import timezone

from notices import store
from scheduler.matching import Matcher
from scheduler.models import Alert, AlertChange, AlertItem, AlertMail, State
from tests.alerts.conftest import make_alert, record, save
from tests.scheduler.test_processes import Scheduler
from tests.smtpserver import SMTPServer

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


class DigestServer(SMTPServer):
    """The test SMTP server, counting alert mails by their X-Alert-Mail id."""

    def __init__(self):
        super().__init__(keep=False)
        self.alert_mails: list[int] = []
        self.lock = threading.Lock()
        handler = self.handler
        original = handler.handle_DATA

        async def handle_DATA(server, session, envelope):
            answer = await original(server, session, envelope)
            value = BytesHeaderParser().parsebytes(envelope.content).get("X-Alert-Mail")
            if value and answer.startswith("250"):
                with self.lock:
                    self.alert_mails.append(int(value))
            return answer

        handler.handle_DATA = handle_DATA

    def delivered(self) -> Counter:
        with self.lock:
            return Counter(self.alert_mails)


@pytest.fixture
def server():
    smtp = DigestServer().start()
    yield smtp
    smtp.stop()


@pytest.fixture
def processes():
    started: list[Scheduler] = []
    yield started
    for scheduler in started:
        scheduler.stop()


def seed(alerts: int, notices: int) -> None:
    now = timezone.now()
    for n in range(alerts):
        make_alert({"cpv": "45"}, email=f"bidder{n}@example.fi", language=("fi", "sv", "en")[n % 3],
                   now=now - dt.timedelta(minutes=1))
    for n in range(notices):
        save(f"n-{n}", title=f"Tienhoidon urakka {n}")


@pytest.mark.django_db(transaction=True)
def test_a_killed_scheduler_loses_no_digest_and_duplicates_at_most_what_was_in_flight(server, processes, tmp_path):
    seed(600, 2)
    server.handler.delay = 0.003
    first = Scheduler(server, tmp_path, "first")
    processes.append(first)
    assert server.wait(lambda: len(server.delivered()) >= 100, timeout=120), first.output()
    first.kill()
    at_kill = server.delivered()
    in_flight = AlertMail.objects.filter(state=State.SENDING).count()
    assert 0 < len(at_kill) < 600, "the kill should land while it is sending"
    assert len(at_kill) - AlertMail.objects.filter(kind="digest", state=State.SENT).count() <= 2

    second = Scheduler(server, tmp_path, "second", "--stuck-after", "2")
    processes.append(second)
    digests = set(AlertMail.objects.filter(kind="digest").values_list("pk", flat=True))
    assert len(digests) == 600
    assert server.wait(lambda: set(server.delivered()) == digests, timeout=180), second.output()
    assert server.wait(lambda: AlertMail.objects.filter(state=State.SENT).count() == 600, timeout=30)
    assert second.terminate() == 0, second.output()
    counts = server.delivered()
    duplicates = sum(n - 1 for n in counts.values())
    assert duplicates <= max(in_flight, 0) and duplicates <= 2
    # Each alert was told about both notices, in one mail.
    assert AlertItem.objects.filter(kind="new").count() == 1200
    assert set(AlertItem.objects.values_list("mail_id", flat=True)) == digests


def _two_schedulers(server, processes, tmp_path, alerts: int, notices: int):
    seed(alerts, notices)
    assert AlertChange.objects.count() == notices
    for name in ("alpha", "beta"):
        processes.append(Scheduler(server, tmp_path, name))
    expected = alerts * notices
    assert server.wait(
        lambda: AlertItem.objects.count() == expected
        and not AlertChange.objects.exists()
        and not AlertMail.objects.filter(state__in=("scheduled", "retry", "sending")).exists(),
        timeout=300,
    ), [p.output() for p in processes]
    for scheduler in processes:
        assert scheduler.terminate() == 0, scheduler.output()
    counts = server.delivered()
    mails = set(AlertMail.objects.filter(kind="digest", state=State.SENT).values_list("pk", flat=True))
    assert set(counts) == mails
    assert [pk for pk, n in counts.items() if n > 1] == []  # no mail twice
    # Every (alert, notice) once, in a mail that was delivered.
    pairs = Counter(AlertItem.objects.values_list("alert_id", "notice_id"))
    assert len(pairs) == expected and max(pairs.values()) == 1
    assert set(AlertItem.objects.values_list("mail_id", flat=True)) <= mails
    workers = Counter(c.split("/")[0].split(".")[0] for c in AlertMail.objects.values_list("claimed_by", flat=True))
    assert set(workers) == {"alpha", "beta"}, workers


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: run with DATABASE_URL=postgres://... (bin/test does)")
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_on_postgresql_send_every_digest_once(server, processes, tmp_path, monkeypatch):
    monkeypatch.setenv("ALERTS_MATCH_BATCH", "1")  # the two matchers share the changes
    _two_schedulers(server, processes, tmp_path, 1500, 4)


@pytest.mark.skipif(ON_POSTGRES, reason="the PostgreSQL pass runs the larger version")
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_on_sqlite_send_every_digest_once(server, processes, tmp_path, monkeypatch):
    monkeypatch.setenv("ALERTS_MATCH_BATCH", "1")
    _two_schedulers(server, processes, tmp_path, 500, 3)


@pytest.mark.django_db
def test_a_backfill_of_5000_old_notices_sends_nothing(smtp):
    now = timezone.now()
    make_alert({"cpv": "45"}, now=now - dt.timedelta(days=1))
    make_alert({"q": "tienhoidon"}, email="other@example.fi", now=now - dt.timedelta(days=1))
    old = now - dt.timedelta(days=380)
    entries = []
    for n in range(5000):
        rec = record(f"old-{n}", title=f"Tienhoidon urakka {n}", published=old,
                     deadlines=[("tender", now + dt.timedelta(days=10))], now=now)
        entries.append(store.Entry.of(rec, raw=repr(rec).encode(), origin="backfill", fmt="eforms"))
    for start in range(0, 5000, 500):
        store.save_many(entries[start : start + 500])
    assert AlertChange.objects.count() == 5000
    stats = Matcher("backfill").run_once()
    assert stats.changes == 5000 and stats.announced == 0
    assert not AlertChange.objects.exists() and not AlertItem.objects.exists()
    from scheduler.dispatch import Dispatcher

    Dispatcher("test").run_once()
    assert smtp.messages == []
    # The matcher did not ask the database about them one by one: old notices are not candidates.
    assert stats.confirm_queries == 0
    assert Alert.objects.filter(status="active").count() == 2
