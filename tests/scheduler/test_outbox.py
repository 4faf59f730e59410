"""The embedded outbox (tracker.mail.EmlBackend): one .eml file per message that a mail program opens,
written whole, named so the files sort in the order they were written."""

import datetime as dt
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from django.core import mail
from django.core.mail import EmailMessage

from scheduler.dispatch import Dispatcher
from scheduler.models import Message, Reminder
from tests.scheduler.conftest import UTC, save_notice, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(settings, tmp_path):
    settings.EMAIL_BACKEND = "tracker.mail.EmlBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox")
    return tmp_path / "outbox"


def read(path):
    return message_from_bytes(path.read_bytes(), policy=default_policy)


def test_the_default_without_an_smtp_host_is_eml_files():
    from tracker import settings as declared  # the module itself: the test runner overrides the backend

    if not declared.EMAIL_HOST:
        assert declared.EMAIL_BACKEND == "tracker.mail.EmlBackend"
        assert declared.EMAIL_FILE_PATH.endswith("outbox")


def test_each_message_is_its_own_eml_file_in_the_order_sent(outbox):
    subjects = ["Ensimmäinen – päivä", "Toinen", "Kolmas"]
    for subject in subjects:
        EmailMessage(subject, "Hyvää päivää.\nRivi kaksi.", "from@example.fi", ["to@example.fi"]).send()
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 3 and not list(outbox.glob(".*"))  # no temporary files left behind
    assert [read(f)["Subject"] for f in files] == subjects
    raw = files[0].read_bytes()
    assert b"\r\n\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF throughout (RFC 5322)
    assert read(files[0]).get_content().replace("\r\n", "\n") == "Hyvää päivää.\nRivi kaksi.\n"
    assert b"-------" not in raw  # no file backend separator


def test_a_reminder_with_its_parts_opens_as_one_message(outbox, settings):
    settings.SCHEDULER_ATTACH_PDF = False
    now = dt.datetime.now(UTC)
    notice = save_notice([("tender", now + dt.timedelta(days=3))]).notice
    subscription = subscribe(notice, before=("P1D",), active=False)
    from scheduler import planning

    planning.queue_confirmation(subscription)
    Dispatcher("test").run_once()
    assert Message.objects.get().state == "sent"
    planning.confirm(subscription)
    Reminder.objects.update(due_at=now - dt.timedelta(seconds=1), next_attempt_at=now - dt.timedelta(seconds=1))
    Dispatcher("test").run_once()
    assert Reminder.objects.get().state == "sent"
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 2
    kinds = [read(f)["X-Tracker-Kind"] or "reminder" for f in files]
    assert sorted(kinds) == ["confirm", "reminder"]
    reminder = read(files[kinds.index("reminder")])
    assert reminder["To"] == "bidder@example.fi" and reminder["List-Unsubscribe"]
    assert {p.get_content_type() for p in reminder.walk()} >= {"text/plain", "text/html", "text/calendar"}
    assert not mail.outbox  # nothing went to the locmem outbox: the files are the mail
