"""Fixtures for the alert tests: notices saved through the one writer, alerts made through the service,
the matcher and the dispatcher run as the scheduler runs them (at a given instant)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from notices import store
from notices.readers.ids import identify
from notices.records import Address, BuyerRecord, DeadlineRecord, LotRecord, NoticeRecord
from scheduler import alerts
from scheduler.dispatch import Dispatcher
from scheduler.matching import Matcher

HELSINKI = ZoneInfo("Europe/Helsinki")
UTC = dt.UTC
KYMENLAAKSO = "0206714-5"
OTHER = "0201256-6"


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=HELSINKI)


def record(source_id="n-1", *, title="Tienhoidon urakka", cpv=("45233000",), buyer=KYMENLAAKSO,
           buyer_name="Kymenlaakson Liitto", deadlines=None, published=None, lots=(), status="active",
           description="", now=None, **kw) -> NoticeRecord:
    now = now or dt.datetime.now(UTC)
    if deadlines is None:
        deadlines = [("tender", now + dt.timedelta(days=20))]
    ds = tuple(DeadlineRecord(d[0], d[1], lot=(d[2] if len(d) > 2 else None)) for d in deadlines)
    return NoticeRecord(
        source="eforms",
        source_id=source_id,
        notice_type="cn-standard",
        title=title,
        language="fi",
        titles={"fi": title, "sv": f"{title} (sv)"},
        descriptions={"fi": description} if description else {},
        buyers=(
            BuyerRecord(
                name=buyer_name,
                identifiers=(identify(buyer, "FI"),) if buyer else (),
                address=Address(city="Kotka", country="FI"),
            ),
        ),
        deadlines=ds,
        cpv=tuple(cpv),
        lots=tuple(LotRecord(lot, f"Osa {lot}") for lot in lots),
        published_at=published or now - dt.timedelta(days=1),
        status=status,
        **kw,
    )


def save(source_id="n-1", **kw):
    rec = record(source_id, **kw)
    return store.save(rec, raw=repr(rec).encode(), origin="test", fmt="eforms")


def make_alert(filters, *, email="bidder@example.fi", frequency="immediate", hour=7, weekday=0, language="fi",
               now=None, active=True, name=""):
    alert, token = alerts.create(
        email=email, user=None, filters=filters, frequency=frequency, hour=hour, weekday=weekday,
        language=language, now=now, name=name, confirmed=active,
    )
    return alert


def match(at=None):
    if at is None:
        return Matcher("test-match").run_once()
    with time_machine.travel(at, tick=False):
        return Matcher("test-match").run_once()


def send(at=None, **kw):
    if at is None:
        return Dispatcher("test", retry_base=60, **kw).run_once()
    with time_machine.travel(at, tick=False):
        return Dispatcher("test", retry_base=60, **kw).run_once()


def digests(smtp, address=None):
    return [m for m in (smtp.to(address) if address else smtp.messages) if m["X-Tracker-Kind"] == "alert-digest"]


def text_of(message):
    return message.get_body(("plain",)).get_content()


def html_of(message):
    return message.get_body(("html",)).get_content()
