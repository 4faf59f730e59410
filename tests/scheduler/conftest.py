"""Fixtures for the reminder tests: a real SMTP server (aiosmtpd) and notices saved through the store.

**The test database must be visible to other processes.** The crash and concurrency tests start
``manage.py runscheduler`` as real subprocesses against the test database. On PostgreSQL that is simply
the test database (``test_<name>``), reached with a DATABASE_URL built from the live connection settings.
On SQLite, pytest-django's test database is in memory by default, which no other process can open; so
``pytest_configure`` below gives it a file name (``TEST["NAME"]``) in the temp directory, unique per
pytest process so parallel runs in one tree never share it. Django creates and deletes that file like the
in-memory one; WAL mode (set by the connection's init_command) lets the subprocesses and the test read and
write it at once. Tests that use a subprocess are ``django_db(transaction=True)``, so their rows are
committed where the subprocess can see them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import tempfile
import threading
import time
from email import message_from_bytes
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

from notices import store
from notices.records import BuyerRecord, DeadlineRecord, LotRecord, NoticeRecord
from scheduler import planning
from scheduler.models import Subscription

ROOT = Path(__file__).resolve().parents[2]

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO


def pytest_configure(config):
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db.setdefault("TEST", {})
        if not db["TEST"].get("NAME"):
            db["TEST"]["NAME"] = os.path.join(tempfile.gettempdir(), f"tracker-test-{os.getpid()}.sqlite3")


# -- a real SMTP server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler:
    """Collects what the server accepted. ``refuse`` answers every DATA with that reply instead;
    ``delay`` (seconds) slows each DATA down; ``keep`` False keeps only the headers' reminder id."""

    def __init__(self, keep: bool = True):
        self.keep = keep
        self.lock = threading.Lock()
        self.messages: list = []  # parsed messages (keep) or None
        self.reminder_ids: list[int] = []
        self.message_ids: list[int] = []
        self.received_at: list[tuple[int, float]] = []  # (reminder id, time.time()) for reminders
        self.refuse: str | None = None
        self.delay = 0.0

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse:
            return self.refuse
        now = time.time()
        headers = BytesHeaderParser().parsebytes(envelope.content)
        with self.lock:
            if headers.get("X-Reminder-ID"):
                rid = int(headers["X-Reminder-ID"])
                self.reminder_ids.append(rid)
                self.received_at.append((rid, now))
            if headers.get("X-Tracker-Message"):
                self.message_ids.append(int(headers["X-Tracker-Message"]))
            if self.keep:
                msg = message_from_bytes(envelope.content, policy=default_policy)
                msg.envelope_to = list(envelope.rcpt_tos)
                msg.raw = envelope.content
                self.messages.append(msg)
        return "250 Message accepted for delivery"


def header(message, name: str) -> str:
    """A header's value as a reader sees it (unfolded, without the fold's leading space)."""
    value = message[name]
    return " ".join(str(value).split()) if value is not None else ""


def raw_header(message, name: str) -> str:
    """A header exactly as it came over the wire, unfolded."""
    head = message.raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("ascii")
    unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ").replace("\n ", " ")
    for line in unfolded.splitlines():
        key, _, value = line.partition(":")
        if key.lower() == name.lower():
            return " ".join(value.split())
    return ""


class SMTPServer:
    def __init__(self, keep: bool = True):
        self.handler = Handler(keep)
        self.port = free_port()
        self.controller = None

    def start(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.handler.messages

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m.envelope_to]

    def kinds(self, address: str | None = None) -> list[str]:
        msgs = self.to(address) if address else self.messages
        return [("reminder" if m["X-Reminder-ID"] else m["X-Tracker-Kind"]) for m in msgs]

    def wait(self, predicate, timeout: float = 60.0, step: float = 0.05) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return True
            time.sleep(step)
        return predicate()

    def settings(self) -> dict:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_TIMEOUT": 5,
        }

    def env(self) -> dict:
        return {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(self.port), "EMAIL_TIMEOUT": "5"}


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1 and the Django settings that send to it."""
    server = SMTPServer().start()
    for name, value in server.settings().items():
        setattr(settings, name, value)
    try:
        yield server
    finally:
        server.stop()


# -- subprocesses that share the test database -------------------------------------------------------


def database_url() -> str:
    """A DATABASE_URL for the test database this process is using (see the module docstring)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = db["NAME"]
        assert name and ":memory:" not in str(name) and "mode=memory" not in str(name), name
        return f"sqlite:///{os.path.abspath(name)}"
    user = quote(db["USER"] or "", safe="")
    password = (":" + quote(db["PASSWORD"], safe="")) if db["PASSWORD"] else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


def subprocess_env(server: SMTPServer, **extra) -> dict:
    env = dict(os.environ)
    env.update(server.env())
    # Only the dispatcher: other jobs registered through SCHEDULER_JOB_HOOKS (source polling) stay out.
    env.update(DATABASE_URL=database_url(), LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1", POLL_SOURCES="false")
    env["SCHEDULER_JOB_HOOKS"] = ""
    env.update({k: str(v) for k, v in extra.items()})
    return env


# -- notices saved through the one writer ------------------------------------------------------------

HELSINKI = ZoneInfo("Europe/Helsinki")
UTC = dt.UTC


def notice_record(
    deadlines, *, source_id="notice-1", lots=(), status="active", title="Tienhoidon urakka 2027", **kw
) -> NoticeRecord:
    """A notice record as a reader would produce it; ``deadlines`` are DeadlineRecords or
    (kind, aware datetime[, lot]) tuples."""
    ds = tuple(
        d if isinstance(d, DeadlineRecord) else DeadlineRecord(d[0], d[1], lot=(d[2] if len(d) > 2 else None))
        for d in deadlines
    )
    return NoticeRecord(
        source="eforms",
        source_id=source_id,
        notice_type="cn-standard",
        title=title,
        language="fi",
        titles={"fi": title, "sv": "Vägunderhåll 2027", "en": "Road maintenance 2027"},
        buyers=(BuyerRecord(name="Kymenlaakson Liitto", names={"sv": "Kymmenedalens förbund"}),),
        deadlines=ds,
        lots=tuple(LotRecord(lot, f"Osa {lot}") for lot in lots),
        status=status,
        **kw,
    )


def save_notice(deadlines, **kw) -> store.Change:
    record = notice_record(deadlines, **kw)
    return store.save(record, raw=repr(record).encode(), origin="test", fmt="eforms")


def subscribe(
    notice,
    *,
    email="bidder@example.fi",
    lot="",
    deadlines=("tender",),
    before=("P7D", "P1D", "PT2H"),
    language="fi",
    active=True,
    now=None,
) -> Subscription:
    """A subscription made directly (the API has its own tests); active ones are planned at once."""
    subscription = Subscription(
        email=email,
        notice=notice,
        lot=lot,
        deadlines=list(deadlines),
        before=list(before),
        language=language,
        status=Subscription.Status.PENDING,
    )
    subscription.new_token()
    subscription.save()
    if active:
        planning.confirm(subscription, now=now)
    return subscription
