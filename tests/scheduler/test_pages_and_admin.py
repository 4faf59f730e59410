"""Confirmation and unsubscribe pages (no login), and the operator's admin pages."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import User

from scheduler import links
from scheduler.dispatch import Dispatcher
from scheduler.models import Reminder, State, Subscription
from tests.scheduler.conftest import HELSINKI, UTC, save_notice, subscribe

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 5, 3, 9, 0, tzinfo=UTC)
DEADLINE = dt.datetime(2027, 5, 20, 12, 0, tzinfo=HELSINKI)


@pytest.fixture
def pending():
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        return subscribe(notice, active=False, language="sv")


def path(url):
    return url.removeprefix("http://127.0.0.1:8000")


def test_a_confirmation_link_expires(client, pending):
    with time_machine.travel(NOW, tick=False):
        url = path(links.confirm_url(pending.pk))
    with time_machine.travel(NOW + dt.timedelta(days=7, seconds=1), tick=False):
        response = client.get(url)
    assert response.status_code == 400 and "Länken har gått ut" in response.content.decode()
    assert Subscription.objects.get().status == "pending"


def test_a_forged_or_swapped_token_is_refused(client, pending):
    assert client.get(f"/subscriptions/confirm/{pending.pk}:forged/").status_code == 400
    # An unsubscribe token is no confirmation token (different salt).
    assert (
        client.get(
            path(links.confirm_url(pending.pk)).replace(
                links.confirm_token(pending.pk), links.unsubscribe_token(pending.pk)
            )
        ).status_code
        == 400
    )
    assert client.post(f"/subscriptions/unsubscribe/{pending.pk}:forged/").status_code == 400
    assert Subscription.objects.get().status == "pending"


def test_an_unsubscribed_address_cannot_be_confirmed_back(client, pending):
    client.post(path(links.unsubscribe_url(pending.pk)))
    with time_machine.travel(NOW, tick=False):
        response = client.get(path(links.confirm_url(pending.pk)))
    assert response.status_code == 200 and "avslutats" in response.content.decode()
    assert Subscription.objects.get().status == "unsubscribed" and not Reminder.objects.exists()


def test_the_admin_lists_the_queue_by_state(client, smtp):
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        subscribe(notice)
    with time_machine.travel(dt.datetime(2027, 5, 13, 9, 0, tzinfo=UTC), tick=False):
        Dispatcher("t").run_once()
    with time_machine.travel(dt.datetime(2027, 5, 21, 9, 0, tzinfo=UTC), tick=False):
        Dispatcher("t").run_once()  # the rest: missed
    admin = User.objects.create_superuser("op", "op@example.fi", "pw-long-enough-1")
    client.force_login(admin)
    for url in (
        "/admin/scheduler/subscription/",
        "/admin/scheduler/reminder/",
        "/admin/scheduler/message/",
        "/admin/scheduler/reminder/?state__exact=missed",
        f"/admin/scheduler/subscription/{Subscription.objects.get().pk}/change/",
    ):
        assert client.get(url).status_code == 200, url
    page = client.get("/admin/scheduler/reminder/?state__exact=missed").content.decode()
    assert page.count("missed") >= 2
    # Requeue refuses what would now be after its deadline.
    missed = list(Reminder.objects.filter(state=State.MISSED).values_list("pk", flat=True))
    with time_machine.travel(dt.datetime(2027, 5, 21, 9, 0, tzinfo=UTC), tick=False):
        client.post("/admin/scheduler/reminder/", {"action": "requeue", "_selected_action": missed})
    assert set(Reminder.objects.filter(pk__in=missed).values_list("state", flat=True)) == {State.MISSED}
