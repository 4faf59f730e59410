"""Fixtures for the REST API tests: notices saved through the one writer, users with API tokens."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client

from notices import store
from notices.models import Buyer, OfficerMembership
from notices.readers.ids import identify
from notices.records import Address, BuyerRecord, DeadlineRecord, NoticeRecord
from notices.tokens import create_token

HELSINKI = ZoneInfo("Europe/Helsinki")
UTC = dt.UTC

KYMENLAAKSO = "0206714-5"  # Kymenlaakson Liitto
OTHER = "0201256-6"  # another buyer with a valid Y-tunnus


def buyer_record(ident=KYMENLAAKSO, name="Kymenlaakson Liitto", **kw) -> BuyerRecord:
    return BuyerRecord(
        name=name,
        identifiers=(identify(ident, "FI"),) if ident else (),
        address=Address(city="Kotka", country="FI"),
        email="kirjaamo@example.fi",
        **kw,
    )


def notice_record(source_id="n-1", *, deadlines=(), title="Tienhoidon urakka", **kw) -> NoticeRecord:
    ds = tuple(
        d if isinstance(d, DeadlineRecord) else DeadlineRecord(d[0], d[1], lot=(d[2] if len(d) > 2 else None))
        for d in deadlines
    )
    base = dict(
        source="eforms",
        source_id=source_id,
        notice_type="cn-standard",
        title=title,
        language="fi",
        titles={"fi": title},
        buyers=(buyer_record(),),
        deadlines=ds,
        cpv=("45233000",),
    )
    base.update(kw)
    return NoticeRecord(**base)


def save(source_id="n-1", **kw):
    record = notice_record(source_id, **kw)
    return store.save(record, raw=repr(record).encode(), origin="test", fmt=record.source).notice


def in_days(days: float, now: dt.datetime | None = None) -> dt.datetime:
    return (now or dt.datetime.now(UTC)) + dt.timedelta(days=days)


class Api:
    """A Django test client that speaks JSON and carries a Bearer token."""

    def __init__(self, token: str | None = None):
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def get(self, url, params=None, **extra):
        return self.client.get(url, params or {}, **self.headers, **extra)

    def post(self, url, body=None, **extra):
        return self.client.post(url, body if body is not None else {}, content_type="application/json", **self.headers, **extra)

    def patch(self, url, body=None, **extra):
        return self.client.patch(url, body if body is not None else {}, content_type="application/json", **self.headers, **extra)

    def delete(self, url, **extra):
        return self.client.delete(url, **self.headers, **extra)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Failed-token counters live in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def buyers(db):
    """Two buyers with valid Y-tunnus, stored as ingest would (through notices saved by the store)."""
    save("seed-1", buyers=(buyer_record(),), deadlines=[("tender", in_days(30))])
    save("seed-2", buyers=(buyer_record(OTHER, "Toinen Kunta"),), deadlines=[("tender", in_days(40))])
    mine = Buyer.objects.get(identifiers__value=KYMENLAAKSO)
    other = Buyer.objects.get(identifiers__value=OTHER)
    return mine, other


def user_with_token(username, *, buyers=(), staff=False) -> tuple[User, str]:
    user = User.objects.create_user(username, f"{username}@example.fi", None, is_staff=staff)  # no hashing: fast
    for buyer in buyers:
        OfficerMembership.objects.create(user=user, buyer=buyer)
    _token, secret = create_token(user, "tests")
    return user, secret


@pytest.fixture
def people(buyers):
    """{role: (user, token secret)} for the authorisation matrix."""
    mine, other = buyers
    return {
        "bidder": user_with_token("bidder"),
        "officer": user_with_token("officer", buyers=[mine]),
        "other_officer": user_with_token("other", buyers=[other]),
        "staff": user_with_token("staff", staff=True),
    }


SEARCH_PATHS = ("lists", "held", "probed")


def use_search_path(monkeypatch, path: str) -> None:
    """Make notices.search take one of its three ways to a filter's matches on a few test notices:
    "lists" (ids given to the queries, as for a rare filter), "held" (ids held in memory and looked up
    notice by notice, intersected when there are two: notices.postings), "probed" (nothing held: each
    notice checked by the filter's own SQL, as for one too broad to hold)."""
    from notices import postings, search

    postings.forget()
    search.forget_broad()
    if path == "held":
        monkeypatch.setattr(search, "LIST_MAX", 1)
    elif path == "probed":
        monkeypatch.setattr(postings, "MAX_IDS", 0)
        monkeypatch.setattr(search, "BROAD", 1)
