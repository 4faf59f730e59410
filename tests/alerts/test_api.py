"""``/api/alerts`` end to end through Django's test client: double opt-in by a real mail, the owner's
token, ownership, PATCH and DELETE, the error shape, and the rate limits shared with reminders."""

import re

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from notices.tokens import create_token
from scheduler.models import Alert, AlertKey, AlertMail
from tests.alerts.conftest import digests, match, save, send, utc

pytestmark = pytest.mark.django_db
NOW = utc(2027, 5, 3, 9, 0)


def post(client, body, **extra):
    return client.post("/api/alerts", body, content_type="application/json", **extra)


@time_machine.travel(NOW, tick=False)
def test_an_address_saves_a_search_confirms_it_and_gets_the_next_notice(smtp, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        answer = post(client, {"email": "bidder@example.fi", "filters": {"q": "urakka", "cpv": "4523"},
                               "frequency": "immediate", "language": "sv"})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    token = body.pop("token")
    assert body["status"] == "pending" and body["filters"] == {"q": "urakka", "cpv": "4523"}
    assert body["language"] == "sv" and body["frequency"] == "immediate"
    (mail,) = smtp.messages
    assert mail["X-Tracker-Kind"] == "alert-confirm" and "Bekräfta" in str(mail["Subject"])
    plain = mail.get_body(("plain",)).get_content()
    link = re.search(r"http://127\.0\.0\.1:8000(/alerts/confirm/[^\s]+/)", plain).group(1)
    assert not AlertKey.objects.exists()  # not in the index before confirmation
    # Like every mail, it leads to the page of everything this address follows (the alert listed there).
    address = re.search(r"http://127\.0\.0\.1:8000(/my/[^\s]+/)\s", plain).group(1)
    assert "urakka" in client.get(address).content.decode()
    assert client.get(link).status_code == 200
    assert client.get(f"/api/alerts/{body['id']}", {"token": token}).json()["status"] == "active"
    save("n-1", title="Tienhoidon urakka", now=NOW)
    match()
    send()
    assert len(digests(smtp)) == 1 and "Tienhoidon urakka" in digests(smtp)[0].get_body(("plain",)).get_content()


def test_the_filters_are_checked_field_by_field():
    client = Client()
    answer = post(client, {"email": "b@example.fi", "filters": {"status": "open", "cpv": "45x", "colour": "red"}})
    assert answer.status_code == 422
    paths = [f["path"] for f in answer.json()["error"]["fields"]]
    assert ["filters", "status"] in paths and ["filters", "cpv"] in paths and ["filters", "colour"] in paths
    answer = post(client, {"email": "b@example.fi", "filters": {}})
    assert answer.status_code == 422
    answer = post(client, {"email": "b@example.fi", "filters": {"q": "x"}, "hour": 24, "frequency": "hourly"})
    assert answer.status_code == 422
    assert {tuple(f["path"]) for f in answer.json()["error"]["fields"]} == {("hour",), ("frequency",)}


def test_only_the_owner_reads_changes_and_stops_an_alert():
    client = Client()
    body = post(client, {"email": "b@example.fi", "filters": {"cpv": "45"}}).json()
    url = f"/api/alerts/{body['id']}"
    assert client.get(url).status_code == 404
    assert client.get(url, {"token": "wrong"}).status_code == 404
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {body['token']}").status_code == 200
    answer = client.patch(f"{url}?token={body['token']}", {"frequency": "weekly", "weekday": 4, "hour": 6,
                                                          "filters": {"cpv": "4523"}}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert {k: answer.json()[k] for k in ("frequency", "weekday", "hour", "filters")} == {
        "frequency": "weekly", "weekday": 4, "hour": 6, "filters": {"cpv": "4523"}}
    assert client.patch(f"{url}?token={body['token']}", {"email": "x@example.fi"}, content_type="application/json").status_code == 422
    assert client.delete(url).status_code == 404
    assert client.delete(f"{url}?token={body['token']}").status_code == 204
    assert Alert.objects.get().status == "unsubscribed"


def test_a_user_with_a_token_gets_an_active_alert_and_lists_their_own():
    user = User.objects.create_user("bidder", email="bidder@example.fi")
    other = User.objects.create_user("other", email="other@example.fi")
    _, secret = create_token(user)
    _, other_secret = create_token(other)
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    answer = post(client, {"filters": {"buyer": "0206714-5"}}, **auth)
    assert answer.status_code == 201 and answer.json()["status"] == "active"
    assert AlertKey.objects.filter(kind="buyer").exists()
    assert not AlertMail.objects.exists()  # no confirmation needed
    listed = client.get("/api/alerts", **auth).json()
    assert listed["count"] == 1 and listed["items"][0]["email"] == "bidder@example.fi"
    assert client.get("/api/alerts", HTTP_AUTHORIZATION=f"Bearer {other_secret}").json()["count"] == 0
    assert client.get(f"/api/alerts/{answer.json()['id']}", HTTP_AUTHORIZATION=f"Bearer {other_secret}").status_code == 404
    assert client.get("/api/alerts").status_code == 401


def test_confirmations_are_rate_limited_with_reminders(settings):
    settings.SCHEDULER_RATE_PER_ADDRESS = 2
    client = Client()
    for n in range(2):
        assert post(client, {"email": "b@example.fi", "filters": {"cpv": f"4{n}"}}).status_code == 201
    answer = post(client, {"email": "b@example.fi", "filters": {"cpv": "47"}})
    assert answer.status_code == 429 and int(answer["Retry-After"]) > 0
    assert answer.json()["error"]["code"] == "rate_limited"
