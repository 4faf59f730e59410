"""Pages, feeds and folders polled through the same readers and store as ``manage.py ingest``: a first
poll ingests, a conditional second poll (304) changes nothing, an edited page updates its notice and moves
its followers' reminders."""

import datetime as dt
import shutil

import pytest
import time_machine

from notices.models import Notice, NoticeVersion, Rejection, Source
from scheduler import planning
from scheduler.models import Reminder, Subscription
from tests.conftest import corpus_path
from tests.httpserver import Response
from tests.polling.conftest import UTC, make_source, poll_now

pytestmark = pytest.mark.django_db

LAST_MODIFIED = "Tue, 03 Sep 2024 08:00:00 GMT"


def subscribe(notice: Notice, before=("P1D",)) -> Subscription:
    """A confirmed subscription, planned by the scheduler's own code (as tests/scheduler do it)."""
    subscription = Subscription(
        email="bidder@example.fi", notice=notice, deadlines=["tender"], before=list(before), language="sv"
    )
    subscription.new_token()
    subscription.save()
    assert planning.confirm(subscription)
    return subscription


def test_a_first_poll_ingests_and_a_second_gets_304_and_changes_nothing(http_server):
    page = corpus_path("fi-web", "kymenlaakso-2016-05.html").read_bytes()
    headers = {"ETag": '"kymenlaakso-1"', "Last-Modified": LAST_MODIFIED}
    url = http_server.serve("/ajankohtaista", Response(200, page, headers), Response(304, b"", headers))
    source = make_source(url)

    first = poll_now(source)
    assert (first.status, first.counts["new"], first.seen) == ("ok", 1, 1)
    notice = Notice.objects.get()
    assert notice.source == "fi-web" and "Suomi100" in notice.title
    assert notice.current_version.origin == url
    assert (source.etag, source.last_modified) == ('"kymenlaakso-1"', LAST_MODIFIED)
    assert source.notices_seen == 1 and source.last_error == "" and source.lease_until is None
    versions = NoticeVersion.objects.count()
    first_success = source.last_success

    second = poll_now(source)
    assert second.status == "not-modified" and second.summary() == "not modified"
    (_, sent) = http_server.requests_to("/ajankohtaista")
    assert sent.headers["If-None-Match"] == '"kymenlaakso-1"'
    assert sent.headers["If-Modified-Since"] == LAST_MODIFIED
    assert "procurement-tracker" in sent.headers["User-Agent"]
    assert NoticeVersion.objects.count() == versions and Notice.objects.count() == 1
    assert source.last_success > first_success and source.notices_seen == 1 and source.healthy


def test_an_edited_page_updates_its_notice_and_moves_the_reminders(http_server):
    page = corpus_path("fi-web", "narpes-vatten-2024-09.html").read_bytes()
    edited = page.replace("måndag 7.10.2024 kl 15:00".encode(), "måndag 14.10.2024 kl 15:00".encode())
    assert edited != page
    url = http_server.serve(
        "/aktuellt", Response(200, page, {"ETag": '"v1"'}), Response(200, edited, {"ETag": '"v2"'})
    )
    # The page's deadlines are in October 2024: poll as the page was then, a month before.
    with time_machine.travel(dt.datetime(2024, 9, 10, 9, 0, tzinfo=UTC), tick=False):
        source = make_source(url)
        assert poll_now(source).counts["new"] == 1
        notice = Notice.objects.get()
        subscription = subscribe(notice)
        (reminder,) = Reminder.objects.filter(subscription=subscription)
        assert reminder.due_at == dt.datetime(2024, 10, 6, 12, 0, tzinfo=UTC)  # 7.10. 15:00 EEST, a day before

        result = poll_now(source)

    assert result.counts == {"new": 0, "updated": 1, "unchanged": 0, "stale": 0, "rejected": 0}
    assert http_server.requests_to("/aktuellt")[1].headers["If-None-Match"] == '"v1"'
    notice.refresh_from_db()
    assert notice.versions.count() == 2 and Notice.objects.count() == 1
    assert notice.next_deadline == dt.datetime(2024, 10, 14, 12, 0, tzinfo=UTC)
    reminder.refresh_from_db()
    assert reminder.due_at == dt.datetime(2024, 10, 13, 12, 0, tzinfo=UTC)
    assert reminder.state == "scheduled"
    assert source.etag == '"v2"'


def test_an_ocds_feed_is_polled_with_if_modified_since(http_server):
    feed = corpus_path("ocds", "sample-data", "ocds-213czf-000-00001-02-tender.json").read_bytes()
    url = http_server.serve(
        "/feed.json", Response(200, feed, {"Last-Modified": LAST_MODIFIED}), Response(304, b"")
    )
    source = make_source(url, kind=Source.Kind.OCDS)
    assert poll_now(source).counts["new"] >= 1
    assert Notice.objects.filter(source="ocds").exists()
    assert poll_now(source).status == "not-modified"
    sent = http_server.requests_to("/feed.json")[1].headers
    assert sent["If-Modified-Since"] == LAST_MODIFIED and "If-None-Match" not in sent


def test_a_folder_is_read_again_only_where_files_changed(tmp_path):
    # Copies made for this test only, in its temporary folder (the corpus stays where it is).
    shutil.copy(corpus_path("hilma-sdk", "E3_minimum.xml"), tmp_path / "e3.xml")
    (tmp_path / "notes.txt").write_text("not a notice")
    source = make_source(str(tmp_path), kind=Source.Kind.FOLDER)
    assert poll_now(source).counts["new"] == 1
    assert list(source.cursor["files"]) == [str(tmp_path / "e3.xml")]

    second = poll_now(source)
    assert second.counts == {"new": 0, "updated": 0, "unchanged": 0, "stale": 0, "rejected": 0}

    shutil.copy(corpus_path("eforms-sdk-1.15.1", "cn_25.xml"), tmp_path / "cn25.xml")
    (tmp_path / "broken.xml").write_bytes(b"<not closed")
    third = poll_now(source)
    assert (third.counts["new"], third.counts["rejected"]) == (1, 1)
    assert Rejection.objects.filter(origin=str(tmp_path / "broken.xml")).exists()
    assert Notice.objects.count() == 2


def test_a_missing_folder_is_an_error(tmp_path):
    source = make_source(str(tmp_path / "nowhere"), kind=Source.Kind.FOLDER)
    result = poll_now(source)
    assert result.status == "error" and "is not a folder" in source.last_error
    assert source.failures == 1 and source.last_success is None
