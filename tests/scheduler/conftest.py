"""Fixtures for the reminder tests: notices saved through the store, subscriptions, subprocess settings.

**The test database must be visible to other processes.** The crash and concurrency tests start
``manage.py runscheduler`` as real subprocesses against the test database. On PostgreSQL that is simply
the test database (``test_<name>``), reached with a DATABASE_URL built from the live connection settings.
On SQLite, pytest-django's test database is in memory by default, which no other process can open; so
``pytest_configure`` in tests/conftest.py gives it a file name (``TEST["NAME"]``) in the temp directory, unique per
pytest process so parallel runs in one tree never share it. Django creates and deletes that file like the
in-memory one; WAL mode (set by the connection's init_command) lets the subprocesses and the test read and
write it at once. Tests that use a subprocess are ``django_db(transaction=True)``, so their rows are
committed where the subprocess can see them.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.db import connection

from notices import store
from notices.records import BuyerRecord, DeadlineRecord, LotRecord, NoticeRecord
from scheduler import planning
from scheduler.models import Subscription
from tests.smtpserver import SMTPServer

ROOT = Path(__file__).resolve().parents[2]

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
    env["EFORMS_CHECKS_IN_SCHEDULER"] = "false"  # compiling the eForms rules costs ~1 GB and seconds of CPU
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
