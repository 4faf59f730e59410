"""An officer, in a real browser: logs in, drafts a call (a mistake is shown beside its field), publishes
it, sees it on the home page, corrects its deadline and sees the change on the notice page, cancels it."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from notices.models import Buyer, Notice, OfficerMembership
from tests.e2e.conftest import look

pytestmark = pytest.mark.django_db(transaction=True)
HELSINKI = ZoneInfo("Europe/Helsinki")
PASSWORD = "a-long-enough-password-1"


def typed(days: int, hour: int = 12) -> str:
    day = (timezone.now() + dt.timedelta(days=days)).astimezone(HELSINKI).date()
    return f"{day.isoformat()}T{hour:02d}:00"


def test_officer_publishes_corrects_and_cancels(page, live_server):
    call_command("load_samples", stdout=io.StringIO())
    buyer = Buyer.objects.get(identifiers__value="1618033-3")
    user = User.objects.create_user("olli", "olli@jarvenranta.example", PASSWORD)
    OfficerMembership.objects.create(user=user, buyer=buyer)

    page.goto(live_server.url + "/officer/")
    assert "/officer/login/" in page.url
    look(page, "officer-login")
    page.fill("#id_username", "olli")
    page.fill("#id_password", PASSWORD)
    page.click("form.panel button[type=submit]")
    assert page.locator("h1").inner_text() == "Ilmoituksesi"
    look(page, "officer-home")

    page.click("text=Uusi ilmoitus")
    page.fill("#id_title", "Uimahallin kattoremontti")
    page.fill("#id_cpv", "45261000")
    page.select_option("#id_deadlines-0-kind", "questions")
    page.fill("#id_deadlines-0-at", typed(6))
    page.select_option("#id_deadlines-1-kind", "tender")
    page.fill("#id_deadlines-1-at", typed(-1))  # in the past: the service will say so
    page.fill("#id_contact_email", "kirjaamo@jarvenranta.example")
    page.click("button[value=save]")
    assert page.locator("h1").inner_text() == "Luonnos"
    page.click("button[value=publish]")
    assert "Ajan on oltava tulevaisuudessa." in page.locator("#id_deadlines-1-at_error").inner_text()
    assert page.locator(".error-summary").is_visible()
    look(page, "officer-draft-errors")
    assert not Notice.objects.filter(source="officer").exists()

    page.fill("#id_deadlines-1-at", typed(13, 14))
    page.click("button[value=validate]")
    assert "voi julkaista" in page.locator(".messages").inner_text()
    page.click("button[value=publish]")
    assert "Julkaistu" in page.locator(".messages").inner_text()
    assert page.locator("h1").inner_text() == "Korjaa ilmoitusta"
    look(page, "officer-published")
    notice = Notice.objects.get(source="officer")

    page.goto(live_server.url + "/")
    assert "Uimahallin kattoremontti" in page.locator(".cards").inner_text()

    page.goto(f"{live_server.url}/officer/notices/{notice.pk}/")
    page.fill("#id_deadlines-1-at", typed(20, 14))
    page.click("button[value=correct]")
    assert "versiona 2" in page.locator(".messages").inner_text()
    page.click("text=Julkinen sivu")
    history = page.locator("ol.history").inner_text()
    assert "Versio 2" in history and "Tarjousten määräaika siirtyi" in history
    moved = page.locator("ol.history li").first.locator("ins time").get_attribute("datetime")
    assert dt.datetime.fromisoformat(moved) == dt.datetime.fromisoformat(typed(20, 14)).replace(tzinfo=HELSINKI)
    look(page, "notice-corrected")

    page.goto(f"{live_server.url}/officer/notices/{notice.pk}/cancel/")
    look(page, "officer-cancel")
    page.fill("#id_reason", "Tarve poistui.")
    page.click("button.danger")
    notice.refresh_from_db()
    assert notice.status == "cancelled"
    page.goto(f"{live_server.url}/notices/{notice.pk}/")
    assert page.locator(".banner-cancelled").is_visible()


def test_another_buyers_officer_is_refused(page, live_server):
    call_command("load_samples", stdout=io.StringIO())
    owner = User.objects.create_user("olli", "olli@example.fi", PASSWORD)
    OfficerMembership.objects.create(user=owner, buyer=Buyer.objects.get(identifiers__value="1618033-3"))
    from notices import officers

    draft = officers.create_draft(owner, {"title": "Salainen luonnos"})
    stranger = User.objects.create_user("sanna", "sanna@example.fi", PASSWORD)
    OfficerMembership.objects.create(user=stranger, buyer=Buyer.objects.get(identifiers__value="1357924-2"))
    page.goto(live_server.url + "/officer/login/")
    page.fill("#id_username", "sanna")
    page.fill("#id_password", PASSWORD)
    page.click("form.panel button[type=submit]")
    response = page.goto(f"{live_server.url}/officer/drafts/{draft.pk}/")
    # Another buyer's draft is answered as one that does not exist (neither it nor its buyer is named).
    assert response.status == 404 and "Salainen" not in page.content()
