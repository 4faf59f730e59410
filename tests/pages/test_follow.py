"""Following a notice from its page: the double opt-in of scheduler/api.py, with its rate limits."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail

from scheduler.models import Message, Reminder, Subscription
from tests.pages.conftest import lang

pytestmark = pytest.mark.django_db

FORM = {"email": "bidder@example.fi", "deadlines": ["tender"], "before": ["P7D", "P1D", "PT2H"], "lot": ""}


def test_following_sends_a_confirmation_mail_and_nothing_else(client, notice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = lang(client, "sv").post(f"/notices/{notice.pk}/follow/", FORM)
    assert response.status_code == 302 and response["Location"] == f"/notices/{notice.pk}/follow/sent/"
    subscription = Subscription.objects.get()
    assert subscription.status == "pending" and subscription.language == "sv"
    assert subscription.deadlines == ["tender"] and subscription.before == ["P7D", "P1D", "PT2H"]
    assert not Reminder.objects.exists()
    assert [m.kind for m in Message.objects.all()] == ["confirm"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["bidder@example.fi"]
    confirm = re.search(r"https?://\S+/subscriptions/confirm/\S+/", mail.outbox[0].body).group(0)
    sent = client.get(response["Location"])
    assert "Kolla din e-post" in sent.content.decode()
    # Opening the mail's link confirms: the reminders are planned.
    assert client.get(confirm.split("8000", 1)[1]).status_code == 200
    assert set(Reminder.objects.values_list("state", flat=True)) == {"scheduled"}
    assert Reminder.objects.count() == 6  # the procedure's and lot 2's tender deadline × three offsets


def test_one_lot_and_other_deadlines_can_be_followed(client, notice):
    client.post(f"/notices/{notice.pk}/follow/", {**FORM, "lot": "1", "deadlines": ["questions"], "before": ["P1D"]})
    subscription = Subscription.objects.get()
    assert (subscription.lot, subscription.deadlines, subscription.before) == ("1", ["questions"], ["P1D"])


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"email": "not an address"}, "email", "Enter a valid email address."),
        ({"email": ""}, "email", "This field is required."),
        ({"deadlines": []}, "deadlines", "Choose at least one deadline."),
        ({"before": []}, "before", "Choose at least one time."),
        ({"before": ["P1Y"]}, "before", "Select a valid choice."),
        ({"deadlines": ["opening"]}, "deadlines", "Select a valid choice."),
        ({"lot": "9"}, "lot", "Select a valid choice."),
    ],
)
def test_mistakes_are_shown_beside_the_field(client, notice, change, field, message):
    response = lang(client, "en").post(f"/notices/{notice.pk}/follow/", {**FORM, **change})
    assert response.status_code == 400
    assert message in str(response.context["follow_form"].errors[field])
    assert message in response.content.decode()
    assert not Subscription.objects.exists()


def test_an_error_is_tied_to_its_field_and_the_page_returns_to_the_form(client, notice):
    response = client.post(f"/notices/{notice.pk}/follow/", {**FORM, "email": "x"})
    html = response.content.decode()
    assert 'id="id_email_error"' in html
    assert re.search(r'<input[^>]+aria-invalid="true"[^>]+aria-describedby="id_email_error"', html)
    assert f'action="/notices/{notice.pk}/follow/#follow"' in html


def test_the_errors_are_in_the_pages_language(client, notice):
    response = lang(client, "fi").post(f"/notices/{notice.pk}/follow/", {**FORM, "deadlines": []})
    assert "Valitse vähintään yksi määräaika." in response.content.decode()


def test_the_address_rate_limit_of_the_api_applies(client, notice, settings, django_capture_on_commit_callbacks):
    settings.SCHEDULER_RATE_PER_ADDRESS = 2
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(f"/notices/{notice.pk}/follow/", FORM).status_code == 302
    response = lang(client, "en").post(f"/notices/{notice.pk}/follow/", FORM)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Too many subscriptions in a short time" in response.content.decode()
    assert Subscription.objects.count() == 2 and len(mail.outbox) == 2


def test_the_ip_rate_limit_of_the_api_applies(client, notice, settings):
    settings.SCHEDULER_RATE_PER_IP = 1
    client.post(f"/notices/{notice.pk}/follow/", FORM)
    response = client.post(f"/notices/{notice.pk}/follow/", {**FORM, "email": "other@example.fi"})
    assert response.status_code == 429


def test_a_closed_or_cancelled_call_cannot_be_followed(client):
    from tests.pages.conftest import days, save

    closed = save("closed", deadlines=[("tender", days(-1))])
    cancelled = save("cancelled", status="cancelled")
    for n in (closed, cancelled):
        assert client.post(f"/notices/{n.pk}/follow/", FORM).status_code == 400
    assert not Subscription.objects.exists()


def test_a_signed_in_user_following_with_their_own_address_gets_reminders_at_once(client, notice):
    user = User.objects.create_user("bidder", "bidder@example.fi", "a-long-enough-password-1")
    client.force_login(user)
    response = client.post(f"/notices/{notice.pk}/follow/", FORM)
    subscription = Subscription.objects.get()
    assert subscription.status == "active" and subscription.user == user
    assert response.status_code == 302 and response["Location"].startswith("/subscriptions/")
    assert Reminder.objects.filter(state="scheduled").count() == 6  # two tender deadlines × three offsets
    assert not mail.outbox


def test_the_form_carries_a_csrf_token(notice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert client.post(f"/notices/{notice.pk}/follow/", FORM).status_code == 403
    assert client.post(f"/notices/{notice.pk}/follow/", {**FORM, "csrfmiddlewaretoken": token}).status_code == 302


def test_get_is_not_allowed(client, notice):
    assert client.get(f"/notices/{notice.pk}/follow/").status_code == 405
