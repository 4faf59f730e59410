"""Fixtures for the scheduled-source tests: sources polled against a real HTTP server on 127.0.0.1.

Loopback addresses are allowed (``INGEST_ALLOW_PRIVATE_HOSTS``) and retries are fast; what a host asked
(Retry-After) is forgotten between tests. For the test that runs ``manage.py runscheduler`` as a real
process, the SQLite test database is a file (tests/conftest.py, pytest_configure, says why).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from notices import polling
from notices.ingest.fetch import forget_host_waits
from notices.models import Source

UTC = dt.UTC
ADMINS = [("Operator", "ops@example.fi")]


@pytest.fixture(autouse=True)
def polite_loopback():
    forget_host_waits()
    with override_settings(
        INGEST_ALLOW_PRIVATE_HOSTS=True,
        INGEST_RETRIES=3,
        POLL_MAX_RETRY_WAIT=5,
        ADMINS=ADMINS,
        HILMA_API_KEY="test-key",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    ):
        yield
    forget_host_waits()


def make_source(url: str = "", *, kind: str = Source.Kind.FI_WEB, name: str | None = None, **fields) -> Source:
    fields.setdefault("interval", 3600)
    return Source.objects.create(name=name or f"{kind} {Source.objects.count() + 1}", kind=kind, url=url, **fields)


def poll_now(source: Source, worker: str = "test") -> polling.Result:
    """One poll as the scheduler does it (claim, poll, release), whether or not it is due."""
    claimed = polling.claim(source.pk, worker, due_only=False)
    assert claimed is not None, "the source is leased by someone else"
    result = polling.poll(claimed, worker)
    source.refresh_from_db()
    return result


def ago(**kw) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kw)


@pytest.fixture
def ted(http_server):
    """A fake TED search API that checks what it is asked and answers against TED's OpenAPI description."""
    from tests.polling.fakes import FakeTed

    fake = FakeTed(http_server)
    yield fake
    assert fake.violations == [], "TED's published specification was not followed:\n" + "\n".join(fake.violations)


@pytest.fixture
def hilma(http_server):
    """A fake Hilma API (search index and eForms notices) behind the subscription key ``test-key``."""
    from tests.polling.fakes import FakeHilma

    fake = FakeHilma(http_server)
    yield fake
    assert fake.violations == [], "\n".join(fake.violations)

