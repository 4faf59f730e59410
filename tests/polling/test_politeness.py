"""Polite polling: 429 and Retry-After honoured (the next poll pushed past it), server errors retried
then recorded, one request at a time per host, and a source claimed by one poller at a time."""

import datetime as dt
import threading

import pytest
from django.test import override_settings
from django.utils import timezone

from notices import polling
from notices.ingest.fetch import request
from notices.models import Notice
from tests.conftest import corpus_path
from tests.httpserver import Response
from tests.polling.conftest import make_source, poll_now

pytestmark = pytest.mark.django_db


def page() -> bytes:
    return corpus_path("fi-web", "kymenlaakso-2016-05.html").read_bytes()


def test_a_429_backs_off_honouring_retry_after_and_pushes_the_next_poll(http_server):
    url = http_server.serve("/busy", Response(429, b"slow down", {"Retry-After": "3600"}))
    source = make_source(url, interval=600)
    before = timezone.now()
    result = poll_now(source)
    assert result.status == "rate-limited"
    assert http_server.hits("/busy") == 1  # a long Retry-After is not slept through, nor retried at once
    assert "429" in source.last_error and "3600" in source.last_error
    assert source.next_poll_at >= before + dt.timedelta(seconds=3600)
    assert (source.failures, source.last_success, source.lease_until) == (1, None, None)

    # Another source on the same host waits too: no request reaches the host until the time has passed.
    other = make_source(http_server.serve("/other", Response(200, page())))
    assert poll_now(other).status == "rate-limited"
    assert http_server.hits("/other") == 0
    assert "asked us not to come back" in other.last_error


def test_a_short_retry_after_is_waited_for_within_the_poll(http_server):
    url = http_server.serve("/page", Response(429, b"", {"Retry-After": "0"}), Response(200, page()))
    source = make_source(url)
    result = poll_now(source)
    assert (result.status, result.counts["new"], http_server.hits("/page")) == ("ok", 1, 2)
    assert source.failures == 0 and source.last_error == ""


def test_a_server_error_is_retried_then_recorded(http_server):
    url = http_server.serve("/down", Response(500, b"oops", {"Retry-After": "0"}))
    source = make_source(url, interval=900)
    result = poll_now(source)
    assert result.status == "error" and http_server.hits("/down") == 3  # INGEST_RETRIES
    assert source.last_error == f"{url}: the server answered HTTP 500"
    assert (source.failures, source.last_success, source.lease_until) == (1, None, None)
    assert source.next_poll_at >= source.last_run + dt.timedelta(seconds=900)
    assert source.healthy  # one failure is not yet a problem: no success for 3 intervals is

    http_server.serve("/down", Response(200, page()))
    assert poll_now(source).status == "ok"
    assert (source.failures, source.last_error) == (0, "")


def test_one_request_at_a_time_per_host(http_server):
    """Two threads fetch two paths of one host: the second waits for the first. The control fetches the
    same server under two host names (127.0.0.1 and localhost), and there the requests overlap."""
    for path in ("/a", "/b"):
        http_server.serve(path, Response(200, b"<ok/>", wait_for_company=True))
    port = http_server.httpd.server_address[1]

    def fetch_both(first: str, second: str) -> int:
        http_server.max_in_flight = 0
        threads = [threading.Thread(target=request, args=(url,)) for url in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        return http_server.max_in_flight

    with override_settings(INGEST_ALLOW_PRIVATE_HOSTS=True):
        same_host = fetch_both(f"http://127.0.0.1:{port}/a", f"http://127.0.0.1:{port}/b")
        two_hosts = fetch_both(f"http://127.0.0.1:{port}/a", f"http://localhost:{port}/b")
    assert (same_host, two_hosts) == (1, 2)
    assert http_server.hits("/a") == 2 and http_server.hits("/b") == 2


def test_a_source_is_claimed_by_one_poller_at_a_time():
    source = make_source("https://buyer.example.fi/news")
    assert polling.claim(source.pk, "a") is not None
    assert polling.claim(source.pk, "b") is None  # leased
    assert polling.claim(source.pk, "b", due_only=False) is None  # leased, even when not asking for due

    # A poller that died leaves its lease to run out; then another takes the source.
    source.refresh_from_db()
    type(source).objects.filter(pk=source.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    taken = polling.claim(source.pk, "b")
    assert taken is not None and taken.leased_by == "b"

    not_due = make_source("https://buyer.example.fi/other", next_poll_at=timezone.now() + dt.timedelta(hours=1))
    assert polling.claim(not_due.pk, "a") is None
    assert polling.claim(not_due.pk, "a", due_only=False) is not None
    disabled = make_source("https://buyer.example.fi/off", enabled=False)
    assert polling.claim(disabled.pk, "a") is None
    assert polling.due_ids() == []  # the first two are leased, the third is disabled


def test_a_poll_that_lost_its_lease_does_not_overwrite_the_new_holder(http_server):
    url = http_server.serve("/page", Response(200, page(), {"ETag": '"x"'}))
    source = make_source(url)
    claimed = polling.claim(source.pk, "slow")
    # The lease runs out and another poller takes the source while "slow" is still at it.
    type(source).objects.filter(pk=source.pk).update(lease_until=None, leased_by="fast")
    polling.poll(claimed, "slow")
    source.refresh_from_db()
    assert source.leased_by == "fast" and source.etag == ""  # slow's state was not written over it
    assert Notice.objects.count() == 1  # what it read was stored all the same: ingest is idempotent
