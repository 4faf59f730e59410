"""Source health: a page whose layout broke, a source with no success for 3 intervals; flagged in the
admin and in GET /api/sources, and mailed to the operators once per episode."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone

from notices import polling
from notices.models import Rejection, Source
from notices.tokens import create_token
from tests.conftest import corpus_path
from tests.httpserver import Response
from tests.polling.conftest import ago, make_source, poll_now

pytestmark = pytest.mark.django_db

REDESIGNED = (
    '<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>Aktuellt</title></head><body><main>'
    "<div class='card'><h2>Aktuellt</h2><p>Vi har förnyat vår webbplats. Välkommen!</p></div></main></body></html>"
).encode()


def narpes() -> bytes:
    return corpus_path("fi-web", "narpes-vatten-2024-09.html").read_bytes()


def test_a_page_whose_layout_broke_is_flagged_and_mailed_once_per_episode(http_server):
    url = http_server.serve("/aktuellt", Response(200, narpes()))
    source = make_source(url, name="Närpes Vatten")
    poll_now(source)
    assert (source.notices_seen, source.peak_seen, source.healthy) == (1, 1, True)

    http_server.serve("/aktuellt", Response(200, REDESIGNED))
    result = poll_now(source)
    assert result.status == "ok" and result.seen == 0  # the page was fetched and read: it just holds nothing
    assert not source.healthy
    assert source.problem == "layout broke: the page yielded 1 notice(s) before and yields none now"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ops@example.fi"]
    assert "Närpes Vatten" in message.subject and "layout broke" in message.subject
    assert url in message.body and "only mail about this problem" in message.body

    poll_now(source)  # still broken: the same episode, no second mail
    polling.sweep()
    assert not source.healthy and len(mail.outbox) == 1

    http_server.serve("/aktuellt", Response(200, narpes()))
    poll_now(source)
    assert (source.healthy, source.problem, source.problem_notified_at) == (True, "", None)

    http_server.serve("/aktuellt", Response(200, b"\x00\x01\x02\x03 not a page"))
    result = poll_now(source)  # a new episode: broken differently, mailed again
    assert result.status == "error" and not source.healthy
    assert source.problem.startswith("layout broke: the page no longer reads (")
    assert Rejection.objects.filter(origin=url).exists()  # the unreadable bytes are kept, as ingest does
    assert len(mail.outbox) == 2


def test_a_page_that_never_had_notices_is_not_a_broken_layout(http_server):
    source = make_source(http_server.serve("/news", Response(200, REDESIGNED)))
    assert poll_now(source).status == "ok"
    assert source.healthy and source.notices_seen == 0 and mail.outbox == []


def test_no_success_for_three_intervals_is_a_problem_mailed_once(http_server):
    stale = make_source("https://buyer.example.fi/news", name="Stale", interval=3600, created_at=ago(days=2))
    Source.objects.filter(pk=stale.pk).update(last_success=ago(hours=4), last_error="the server answered HTTP 503")
    fresh = make_source("https://buyer.example.fi/other", name="Fresh", interval=3600)
    Source.objects.filter(pk=fresh.pk).update(last_success=ago(hours=2))
    make_source("https://buyer.example.fi/off", name="Off", interval=3600, enabled=False, created_at=ago(days=9))

    assert polling.sweep() == 1
    stale.refresh_from_db()
    assert not stale.healthy and stale.problem.startswith("no successful poll since ")
    assert "(expected every 1 h); last error: the server answered HTTP 503" in stale.problem
    assert [m.subject for m in mail.outbox] == [f'[Django] Source "Stale": {stale.problem[:120]}']
    polling.sweep()
    assert len(mail.outbox) == 1

    # A source added long ago that never succeeded is a problem too.
    never = make_source("https://buyer.example.fi/never", name="Never", interval=600, created_at=ago(hours=1))
    assert polling.health(never)[1].startswith("no successful poll since it was added on ")


def test_the_api_shows_each_source_and_its_health_to_staff_only(http_server):
    url = http_server.serve("/aktuellt", Response(200, narpes()))
    good = make_source(url, name="A page")
    poll_now(good)
    make_source("", kind=Source.Kind.TED, name="TED Finland", created_at=ago(days=1))

    client = Client()
    assert client.get("/api/sources").status_code == 401
    User.objects.create_user("bidder", password="x")
    client.login(username="bidder", password="x")
    answer = client.get("/api/sources")
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"

    staff = User.objects.create_user("operator", password="x", is_staff=True)
    _, secret = create_token(staff, "monitoring")
    answer = Client().get("/api/sources", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert answer.status_code == 200
    page, ted = answer.json()
    assert set(page) == {
        "id", "name", "kind", "url", "enabled", "interval", "last_run", "last_success", "last_error",
        "notices_seen", "healthy", "problem", "skipped", "empty_polls",
    }  # fmt: skip
    assert (page["name"], page["kind"], page["url"], page["healthy"], page["notices_seen"]) == (
        "A page", "fi-web", url, True, 1,
    )  # fmt: skip
    assert page["last_success"] is not None and page["problem"] == ""
    assert (ted["kind"], ted["url"], ted["healthy"]) == ("ted", "https://api.ted.europa.eu", False)
    assert ted["problem"].startswith("no successful poll since it was added")


def test_the_admin_lists_sources_with_their_health(http_server):
    source = make_source("https://buyer.example.fi/news", name="Flagged", created_at=ago(days=1))
    polling.sweep()
    admin = User.objects.create_superuser("admin", "admin@example.fi", "x")
    client = Client()
    client.force_login(admin)
    listing = client.get("/admin/notices/source/")
    assert listing.status_code == 200
    assert b"Flagged" in listing.content and b"no successful poll since it was added" in listing.content
    change = client.get(f"/admin/notices/source/{source.pk}/change/")
    assert change.status_code == 200 and b"no successful poll" in change.content
    assert client.get("/admin/notices/source/?healthy__exact=0").status_code == 200

    Source.objects.filter(pk=source.pk).update(next_poll_at=timezone.now() + dt.timedelta(hours=1))
    assert polling.due_ids() == []
    answer = client.post(
        "/admin/notices/source/", {"action": "poll_now", "_selected_action": [source.pk]}, follow=True
    )
    assert answer.status_code == 200 and polling.due_ids() == [source.pk]


def test_accepting_what_a_page_yields_now_ends_the_layout_flag(http_server):
    url = http_server.serve("/aktuellt", Response(200, narpes()), Response(200, REDESIGNED))
    source = make_source(url)
    poll_now(source)
    poll_now(source)
    assert not source.healthy
    admin = User.objects.create_superuser("admin", "admin@example.fi", "x")
    client = Client()
    client.force_login(admin)
    client.post("/admin/notices/source/", {"action": "accept_yield", "_selected_action": [source.pk]})
    source.refresh_from_db()
    assert (source.healthy, source.broken, source.peak_seen) == (True, "", 0)
    poll_now(source)  # still empty, and now that is normal
    assert source.healthy
