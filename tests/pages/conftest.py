"""Fixtures for the page tests: notices written through the one writer (notices.store), officers."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from notices import store
from notices.models import Buyer, OfficerMembership
from notices.records import Address, BuyerRecord, DeadlineRecord, Identifier, LotRecord, NoticeRecord, Phone

HELSINKI = ZoneInfo("Europe/Helsinki")
PASSWORD = "a-long-enough-password-1"


def days(n: float, hour: int = 12) -> dt.datetime:
    """An instant n days from now at ``hour``:00 Helsinki time."""
    day = (timezone.now() + dt.timedelta(days=n)).astimezone(HELSINKI).date()
    return dt.datetime.combine(day, dt.time(hour, 0), HELSINKI)


def buyer_record(name="Kymenlaakson Liitto", ytunnus="0206714-5", **kw) -> BuyerRecord:
    return BuyerRecord(
        name=name,
        names={"sv": kw.pop("sv_name", name)},
        identifiers=(Identifier("FI-PRO", ytunnus, True, ytunnus),),
        address=Address(street="Kauppakatu 1", postal_code="45100", city="Kouvola", country="FI"),
        email=kw.pop("email", "hankinnat@example.fi"),
        phone=Phone("020 123 4567", "+358201234567", True),
        url="https://example.fi/hankinnat",
        **kw,
    )


def _deadline(d) -> DeadlineRecord:
    """A DeadlineRecord, or one from (kind, at[, lot])."""
    return d if isinstance(d, DeadlineRecord) else DeadlineRecord(d[0], d[1], lot=d[2] if len(d) > 2 else None)


def save(
    source_id="notice-1",
    title="Tienhoidon urakka 2027",
    deadlines=None,
    *,
    buyer=None,
    lots=(),
    cpv=("45233000",),
    status="active",
    source="eforms",
    links=("https://example.fi/docs/tarjouspyynto.pdf", "javascript:alert(1)"),
    **kw,
):
    deadlines = deadlines if deadlines is not None else [("tender", days(10))]
    record = NoticeRecord(
        source=source,
        source_id=source_id,
        notice_type="cn-standard",
        title=title,
        language="fi",
        titles={"fi": title, "sv": f"{title} (sv)", "en": f"{title} (en)"},
        descriptions={"fi": "Kuvaus urakasta."},
        buyers=(buyer or buyer_record(),),
        deadlines=tuple(_deadline(d) for d in deadlines),
        lots=tuple(LotRecord(lot, f"Osa {lot}", ("45233000",)) for lot in lots),
        cpv=tuple(cpv),
        links=tuple(links),
        status=status,
        published_at=kw.pop("published_at", timezone.now() - dt.timedelta(days=1)),
        **kw,
    )
    return store.save(record, raw=repr(record).encode(), origin="test", fmt=source).notice


@pytest.fixture
def notice(db):
    return save(
        deadlines=[("questions", days(5), "1"), ("tender", days(10)), ("tender", days(12), "2")],
        lots=("1", "2"),
    )


def officer(username: str, buyer: Buyer | None, email: str | None = None) -> User:
    user = User.objects.create_user(username, email or f"{username}@example.fi", PASSWORD)
    if buyer is not None:
        OfficerMembership.objects.create(user=user, buyer=buyer)
    return user


@pytest.fixture
def buyer(notice) -> Buyer:
    return notice.buyers.get()


@pytest.fixture
def other_buyer(db) -> Buyer:
    n = save("other-1", "Toisen ostajan hankinta", buyer=buyer_record("Toinen kunta", "1618033-3"))
    return n.buyers.get()


@pytest.fixture
def officer_client(client, buyer):
    client.force_login(officer("olli", buyer))
    return client


def lang(client, code: str):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
    return client


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Hashing with PBKDF2's full work factor costs ~0.6 s a user; these tests need no security from it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
