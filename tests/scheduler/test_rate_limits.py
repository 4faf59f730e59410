"""Confirmation mails are limited on every path that sends one (issue 12, item 5): anonymous, with an API
token, with a web session; per address and per sender (client address, account); and the limit holds
when the requests come at once (the count and the new row are serialised)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client, override_settings

from notices.tokens import create_token
from scheduler.models import Message, Subscription
from tests.scheduler.conftest import HELSINKI, UTC, save_notice

NOW = dt.datetime(2027, 5, 3, 9, 0, tzinfo=UTC)
DEADLINE = dt.datetime(2027, 5, 20, 12, 0, tzinfo=HELSINKI)
VICTIM = "victim@example.invalid"


@pytest.fixture
def notice():
    with time_machine.travel(NOW, tick=False):
        return save_notice([("tender", DEADLINE)]).notice


def post(client, body, **extra):
    return client.post("/api/subscriptions", body, content_type="application/json", **extra)


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
@override_settings(SCHEDULER_SEND_CONFIRMATION_NOW=False)
def test_a_token_user_cannot_send_more_confirmations_to_an_address_than_anyone_else(notice):
    user = User.objects.create_user("bidder", email="bidder@example.invalid")
    _, secret = create_token(user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    statuses = [post(client, {"email": VICTIM, "notice": notice.pk}).status_code for _ in range(7)]
    assert statuses == [201] * 5 + [429] * 2
    assert Message.objects.filter(kind="confirm", subscription__email=VICTIM).count() == 5
    # Following with the account's own address needs no confirmation, so it is never limited.
    for _ in range(7):
        assert post(client, {"notice": notice.pk}).status_code == 201


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
@override_settings(SCHEDULER_SEND_CONFIRMATION_NOW=False)
def test_a_signed_in_session_is_limited_on_the_follow_form_and_the_api(notice):
    user = User.objects.create_user("bidder", email="bidder@example.invalid")
    client = Client()
    client.force_login(user)
    form = {"email": VICTIM, "deadlines": ["tender"], "before": ["P1D"]}
    statuses = [client.post(f"/notices/{notice.pk}/follow/", form).status_code for _ in range(3)]
    assert statuses == [302] * 3
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(user)
    csrf.get(f"/notices/{notice.pk}/")
    token = csrf.cookies["csrftoken"].value
    statuses = [post(csrf, {"email": VICTIM, "notice": notice.pk}, HTTP_X_CSRFTOKEN=token).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert client.post(f"/notices/{notice.pk}/follow/", form).status_code == 429
    assert Message.objects.filter(kind="confirm").count() == 5


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
@override_settings(SCHEDULER_SEND_CONFIRMATION_NOW=False, SCHEDULER_RATE_PER_IP=3)
def test_an_account_is_limited_per_sender_whatever_address_it_comes_from(notice):
    user = User.objects.create_user("bidder", email="bidder@example.invalid")
    _, secret = create_token(user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    statuses = [
        post(client, {"email": f"a{n}@example.invalid", "notice": notice.pk}, REMOTE_ADDR=f"10.0.0.{n}").status_code
        for n in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    response = post(client, {"email": "a9@example.invalid", "notice": notice.pk}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429 and "your account" in response.json()["error"]["message"]
    assert 1 <= int(response["Retry-After"]) <= 3601


@pytest.mark.django_db(transaction=True)
@override_settings(SCHEDULER_SEND_CONFIRMATION_NOW=False)
def test_the_limit_holds_when_requests_come_at_once():
    """Twelve requests for one address at the same moment, from twelve clients: five confirmations, not
    twelve. (Run on SQLite and on PostgreSQL, where the advisory locks do the serialising.)"""
    notice = save_notice([("tender", dt.datetime.now(UTC) + dt.timedelta(days=20))]).notice
    barrier = threading.Barrier(12)
    statuses: list[int] = []
    lock = threading.Lock()

    def one(n: int):
        try:
            client = Client()
            barrier.wait()
            status = post(client, {"email": VICTIM, "notice": notice.pk}, REMOTE_ADDR=f"10.9.0.{n}").status_code
            with lock:
                statuses.append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] * 5 + [429] * 7, statuses
    assert Subscription.objects.filter(email=VICTIM).count() == 5
    assert Message.objects.filter(kind="confirm").count() == 5
