"""The subscriptions API, end to end through Django's test client, with mail to a real SMTP server."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from scheduler.models import Message, Reminder, Subscription
from tests.scheduler.conftest import HELSINKI, UTC, save_notice
from tests.smtpserver import header

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 5, 3, 9, 0, tzinfo=UTC)
DEADLINE = dt.datetime(2027, 5, 20, 12, 0, tzinfo=HELSINKI)


@pytest.fixture
def notice():
    with time_machine.travel(NOW, tick=False):
        return save_notice(
            [("tender", DEADLINE), ("questions", dt.datetime(2027, 5, 4, 12, 0, tzinfo=HELSINKI))],
            lots=("LOT-1", "LOT-2"),
        ).notice


def post(client, body, **extra):
    return client.post("/api/subscriptions", body, content_type="application/json", **extra)


def confirm_link(mail) -> str:
    text = mail.get_body(("plain",)).get_content()
    return re.search(r"http://127\.0\.0\.1:8000(/subscriptions/confirm/[^\s]+/)", text).group(1)


@time_machine.travel(NOW, tick=False)
def test_an_address_subscribes_confirms_and_sees_its_reminders(
    client, notice, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            {
                "email": "bidder@example.fi",
                "notice": notice.pk,
                "lot": None,
                "deadlines": ["tender"],
                "before": ["P7D", "P1D", "PT2H"],
            },
        )
    assert response.status_code == 201, response.content
    body = response.json()
    token = body.pop("token")
    assert body["status"] == "pending" and body["reminders"] == []
    assert {k: body[k] for k in ("email", "notice", "lot", "deadlines", "before", "language")} == {
        "email": "bidder@example.fi",
        "notice": notice.pk,
        "lot": None,
        "deadlines": ["tender"],
        "before": ["P7D", "P1D", "PT2H"],
        "language": "fi",
    }
    # The confirmation left at once (after commit), and it is the only mail.
    (mail,) = smtp.messages
    assert mail["X-Tracker-Kind"] == "confirm" and mail.envelope_to == ["bidder@example.fi"]
    assert header(mail, "Subject") == "Vahvista määräaikamuistutukset: Tienhoidon urakka 2027"
    assert header(mail, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert not Reminder.objects.exists()

    page = Client().get(confirm_link(mail))
    assert page.status_code == 200 and "Muistutukset vahvistettu" in page.content.decode()
    got = client.get(f"/api/subscriptions/{body['id']}", {"token": token}).json()
    assert got["status"] == "active" and got["confirmed_at"]
    assert [(r["kind"], r["offset"], r["due_at"], r["state"]) for r in got["reminders"]] == [
        ("tender", "P7D", "2027-05-13T09:00:00Z", "scheduled"),
        ("tender", "P1D", "2027-05-19T09:00:00Z", "scheduled"),
        ("tender", "PT2H", "2027-05-20T07:00:00Z", "scheduled"),
    ]
    assert got["reminders"][0]["deadline_at"] == "2027-05-20T09:00:00Z"
    # Opening the link again changes nothing.
    assert Client().get(confirm_link(mail)).status_code == 200
    assert Reminder.objects.count() == 3


@time_machine.travel(NOW, tick=False)
def test_defaults_language_and_a_lot(client, notice):
    response = post(
        client, {"email": "b@example.fi", "notice": notice.pk, "lot": "LOT-2"}, HTTP_ACCEPT_LANGUAGE="sv"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["lot"], body["deadlines"], body["before"], body["language"]) == (
        "LOT-2",
        ["tender"],
        ["P7D", "P1D", "PT2H"],
        "sv",
    )
    assert (
        post(client, {"email": "c@example.fi", "notice": notice.pk, "language": "en"}).json()["language"]
        == "en"
    )


@pytest.mark.parametrize(
    "change, status, word",
    [
        ({"before": ["P7X"]}, 422, "ISO 8601"),
        ({"before": ["P1M"]}, 422, "ISO 8601"),
        ({"before": []}, 422, "at least one"),
        ({"deadlines": ["opening"]}, 422, "unknown deadline kind"),
        ({"deadlines": ["tenders"]}, 422, "unknown deadline kind"),
        ({"lot": "LOT-9"}, 422, "no lot 'LOT-9'"),
        ({"email": "not an address"}, 422, "not an e-mail address"),
        ({"email": None}, 422, "e-mail address is required"),
        ({"language": "de"}, 422, "fi, sv or en"),
        ({"notice": 999999}, 404, "no notice 999999"),
        ({"notice": "abc"}, 422, ""),
    ],
)
def test_what_is_wrong_is_said(client, notice, change, status, word):
    body = {"email": "b@example.fi", "notice": notice.pk, **change}
    response = post(client, body)
    assert response.status_code == status, response.content
    assert word in response.content.decode()
    assert not Subscription.objects.exists() and not Message.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_cancelled_notice_cannot_be_followed(client, notice):
    save_notice([("tender", DEADLINE)], lots=("LOT-1", "LOT-2"), status="cancelled")
    response = post(client, {"email": "b@example.fi", "notice": notice.pk})
    assert response.status_code == 422 and "cancelled" in response.content.decode()


def test_a_closed_call_cannot_be_followed_through_the_api_as_on_the_page(client, notice):
    """One rule (scheduler.following) for the API and the follow form: a call whose tender deadline has
    passed is refused with the field it concerns."""
    with time_machine.travel(DEADLINE + dt.timedelta(minutes=1), tick=False):
        response = post(client, {"email": "b@example.fi", "notice": notice.pk})
        page = client.post(
            f"/notices/{notice.pk}/follow/", {"email": "b@example.fi", "deadlines": ["tender"], "before": ["P1D"]}
        )
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["fields"][0]["path"] == ["notice"] and "closed" in error["fields"][0]["message"]
    assert page.status_code == 400
    assert not Subscription.objects.exists() and not Message.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_only_the_owner_sees_or_deletes_it(client, notice):
    created = post(client, {"email": "b@example.fi", "notice": notice.pk}).json()
    url, token = f"/api/subscriptions/{created['id']}", created["token"]
    other = post(client, {"email": "c@example.fi", "notice": notice.pk}).json()
    assert client.get(url).status_code == 404
    assert client.get(url, {"token": other["token"]}).status_code == 404
    assert client.get(url, {"token": token + "x"}).status_code == 404
    assert client.delete(url).status_code == 404
    assert client.get(f"/api/subscriptions/{created['id'] + 100}", {"token": token}).status_code == 404
    assert client.get(url, {"token": token}).json()["email"] == "b@example.fi"
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert "token" not in client.get(url, {"token": token}).json()  # shown once, at creation
    response = client.delete(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 204
    assert client.get(url, {"token": token}).json()["status"] == "unsubscribed"
    assert Subscription.objects.get(pk=other["id"]).status == "pending"
    # Its confirmation, if still queued, will not go either.
    assert Message.objects.get(subscription_id=created["id"]).state == "cancelled"


@time_machine.travel(NOW, tick=False)
def test_a_logged_in_user_is_active_at_once_and_owns_it_by_session(notice):
    user = User.objects.create_user("anna", "anna@example.fi", "pw-long-enough-1")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    # A logged-in browser must send the CSRF token.
    assert post(client, {"notice": notice.pk}).status_code == 403
    client.get("/admin/login/")  # any page that sets the csrftoken cookie
    csrf = client.cookies["csrftoken"].value
    response = post(client, {"notice": notice.pk, "before": ["P1D", "P30D"]}, HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "anna@example.fi" and body["status"] == "active"
    assert [(r["offset"], r["state"]) for r in body["reminders"]] == [
        ("P30D", "skipped"),
        ("P1D", "scheduled"),
    ]
    assert not Message.objects.filter(kind="confirm").exists()
    assert client.get(f"/api/subscriptions/{body['id']}").status_code == 200
    assert Client().get(f"/api/subscriptions/{body['id']}").status_code == 404
    assert client.delete(f"/api/subscriptions/{body['id']}").status_code == 403  # no CSRF token
    assert client.delete(f"/api/subscriptions/{body['id']}", HTTP_X_CSRFTOKEN=csrf).status_code == 204
    # Another address than the account's own still needs confirming.
    other = post(client, {"email": "elsewhere@example.fi", "notice": notice.pk}, HTTP_X_CSRFTOKEN=csrf).json()
    assert other["status"] == "pending"


@time_machine.travel(NOW, tick=False)
def test_confirmations_are_rate_limited_per_address_and_per_ip(client, notice):
    for _ in range(5):
        assert post(client, {"email": "Target@example.fi", "notice": notice.pk}).status_code == 201
    response = post(client, {"email": "target@EXAMPLE.fi", "notice": notice.pk})
    assert response.status_code == 429
    assert response.json() == {
        "error": {
            "code": "rate_limited",
            "message": "Too many confirmation mails to this address; try again later.",
            "fields": [],
        }
    }
    assert response["Retry-After"] == "86401"
    assert Subscription.objects.count() == 5
    # Per client IP: 20 an hour, whatever the addresses.
    for n in range(15):
        assert post(client, {"email": f"b{n}@example.fi", "notice": notice.pk}).status_code == 201
    response = post(client, {"email": "b99@example.fi", "notice": notice.pk})
    assert response.status_code == 429 and "from your address" in response.json()["error"]["message"]
    assert (
        post(client, {"email": "b99@example.fi", "notice": notice.pk}, REMOTE_ADDR="10.1.2.3").status_code
        == 201
    )
    with time_machine.travel(NOW + dt.timedelta(hours=1, seconds=1), tick=False):
        assert post(client, {"email": "b99@example.fi", "notice": notice.pk}).status_code == 201


def test_a_reminder_that_could_not_leave_in_time_shows_as_missed(client, notice):
    from scheduler.dispatch import Dispatcher

    user = User.objects.create_user("anna", "anna@example.fi", "pw-long-enough-1")
    with time_machine.travel(NOW, tick=False):
        client.force_login(user)
        response = post(client, {"notice": notice.pk, "before": ["PT2H"]})
        assert response.status_code == 201, response.content
        created = response.json()
    # No scheduler ran until after the deadline.
    with time_machine.travel(DEADLINE + dt.timedelta(minutes=1), tick=False):
        Dispatcher("late").run_once()
    reminders = client.get(f"/api/subscriptions/{created['id']}", {"token": created["token"]}).json()[
        "reminders"
    ]
    (reminder,) = reminders
    assert (reminder["state"], reminder["sent_at"], reminder["next_attempt_at"]) == ("missed", None, None)
