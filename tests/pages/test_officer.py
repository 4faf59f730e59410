"""Officer pages: log in, my notices, create, edit, check, publish, correct, cancel - all through
notices/officers.py - with the service's problems shown beside the fields; other buyers' officers get
403 for a published notice, 404 for a draft (as for unknown ids)."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User

from notices.models import Draft, Notice
from tests.pages.conftest import HELSINKI, PASSWORD, days, lang, officer

pytestmark = pytest.mark.django_db


def local(at: dt.datetime) -> str:
    return at.astimezone(HELSINKI).strftime("%Y-%m-%dT%H:%M")


def form(**changes) -> dict:
    data = {
        "title": "Katuvalojen uusiminen 2027",
        "language": "fi",
        "procedure_id": "",
        "description": "Katuvalot LED-valoiksi.",
        "cpv": "45316110",
        "links": "https://example.fi/katuvalot.pdf",
        "contact_email": "hankinnat@example.fi",
        "contact_phone": "020 123 4567",
        "contact_street": "", "contact_postal_code": "", "contact_city": "", "contact_url": "",
        "deadlines-TOTAL_FORMS": "2", "deadlines-INITIAL_FORMS": "0",
        "deadlines-0-kind": "questions", "deadlines-0-at": local(days(7)), "deadlines-0-lot": "",
        "deadlines-1-kind": "tender", "deadlines-1-at": local(days(14)), "deadlines-1-lot": "",
        "lots-TOTAL_FORMS": "1", "lots-INITIAL_FORMS": "0", "lots-0-id": "", "lots-0-title": "", "lots-0-cpv": "",
    }
    data.update(changes)
    return data


def field_errors(html: str, field_id: str) -> str:
    """The error list printed beside one field (inside its .field wrapper)."""
    match = re.search(rf'<ul class="errorlist" id="{field_id}_error">(.*?)</ul>', html, re.S)
    return match.group(1) if match else ""


def test_the_login_page_logs_an_officer_in(client, buyer):
    officer("olli", buyer)
    assert client.get("/officer/").status_code == 302
    assert "Kirjaudu" in lang(client, "fi").get("/officer/login/").content.decode()
    response = client.post("/officer/login/", {"username": "olli", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/officer/"
    assert "Kymenlaakson Liitto" in client.get("/officer/").content.decode()


def test_a_wrong_password_is_said_beside_the_form(client, buyer):
    officer("olli", buyer)
    response = lang(client, "en").post("/officer/login/", {"username": "olli", "password": "wrong"})
    assert response.status_code == 200 and "Please enter a correct username and password" in response.content.decode()


def test_logging_out_is_a_post(officer_client):
    assert officer_client.post("/officer/logout/").status_code == 302
    assert officer_client.get("/officer/").status_code == 302


def test_an_officer_creates_checks_and_publishes_a_call(officer_client, notice):
    response = officer_client.post("/officer/new/", form())
    draft = Draft.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/officer/drafts/{draft.pk}/"
    assert draft.payload["title"] == "Katuvalojen uusiminen 2027" and draft.payload["cpv"] == ["45316110"]
    assert draft.payload["deadlines"][1] == {"kind": "tender", "lot": None, "at": days(14).isoformat()}
    assert draft.payload["contacts"][0]["email"] == "hankinnat@example.fi"
    page = officer_client.get(f"/officer/drafts/{draft.pk}/")
    assert 'value="Katuvalojen uusiminen 2027"' in page.content.decode()
    checked = officer_client.post(f"/officer/drafts/{draft.pk}/", form(action="validate"), follow=True)
    assert "julkaista" in checked.content.decode()  # "sen voi julkaista"
    assert not Notice.objects.filter(source="officer").exists()
    published = officer_client.post(f"/officer/drafts/{draft.pk}/", form(action="publish"))
    new = Notice.objects.get(source="officer")
    assert published["Location"] == f"/officer/notices/{new.pk}/"
    home = officer_client.get("/")
    assert "Katuvalojen uusiminen 2027" in [i["title"] for i in home.context["items"]]


def test_the_services_problems_are_shown_beside_their_fields(officer_client, notice):
    officer_client.post("/officer/new/", form(title="", cpv=""))
    draft = Draft.objects.get()
    bad = form(
        title="", cpv="4531611", links="ftp://example.fi/x", contact_email="nobody",
        **{"deadlines-0-at": local(days(20)), "deadlines-1-at": local(days(-1)), "deadlines-1-lot": "9"},
    )
    response = lang(officer_client, "en").post(f"/officer/drafts/{draft.pk}/", {**bad, "action": "publish"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "The notice has problems" in html
    assert "A title is required." in field_errors(html, "id_title")
    assert re.search(r'<input[^>]+aria-invalid="true"[^>]+aria-describedby="id_title_error"[^>]+id="id_title"', html)
    assert "is not a CPV code" in field_errors(html, "id_cpv")
    assert "is not an http or https link" in field_errors(html, "id_links")
    assert "is not an e-mail address" in field_errors(html, "id_contact_email")
    assert "Must be in the future." in field_errors(html, "id_deadlines-1-at")
    assert "There is no lot" in field_errors(html, "id_deadlines-1-lot")
    assert not Notice.objects.filter(source="officer").exists()
    assert Draft.objects.get().state == "draft"
    # In Finnish too.
    response = lang(officer_client, "fi").post(f"/officer/drafts/{draft.pk}/", {**bad, "action": "validate"})
    assert "Otsikko on pakollinen." in field_errors(response.content.decode(), "id_title")


def test_the_forms_own_checks_come_first(officer_client, notice):
    response = lang(officer_client, "en").post(
        "/officer/new/", form(**{"deadlines-0-at": "tomorrow", "deadlines-1-kind": ""})
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid date/time." in field_errors(html, "id_deadlines-0-at")
    assert "Choose the kind of deadline." in field_errors(html, "id_deadlines-1-kind")
    assert not Draft.objects.exists()


def publish(client) -> Notice:
    client.post("/officer/new/", form())
    draft = Draft.objects.latest("pk")
    client.post(f"/officer/drafts/{draft.pk}/", form(action="publish"))
    return Notice.objects.get(officer_draft=draft)


def test_a_correction_moves_the_deadline_and_the_notice_page_shows_it(officer_client, notice):
    published = publish(officer_client)
    response = officer_client.post(
        f"/officer/notices/{published.pk}/", form(action="correct", **{"deadlines-1-at": local(days(21))})
    )
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.current_version.number == 2
    assert published.deadlines.get(kind="tender").at == days(21)
    page = lang(officer_client, "en").get(f"/notices/{published.pk}/")
    moved = page.context["versions"][0]["items"][0]
    assert moved["type"] == "moved" and moved["new"]["iso"] == days(21).astimezone(dt.UTC).isoformat()
    assert "Tender deadline moved" in page.content.decode()


def test_a_correction_that_changes_nothing_makes_no_version(officer_client, notice):
    published = publish(officer_client)
    response = lang(officer_client, "en").post(f"/officer/notices/{published.pk}/", form(action="correct"), follow=True)
    assert "Nothing changed" in response.content.decode()
    assert published.versions.count() == 1


def test_checking_a_correction_changes_nothing(officer_client, notice):
    published = publish(officer_client)
    response = officer_client.post(
        f"/officer/notices/{published.pk}/", form(action="validate", **{"deadlines-1-at": local(days(-2))})
    )
    assert response.status_code == 400 and "id_deadlines-1-at_error" in response.content.decode()
    assert published.versions.count() == 1


def test_cancelling_asks_first_then_cancels(officer_client, notice):
    published = publish(officer_client)
    assert "Peru ilmoitus" in lang(officer_client, "fi").get(f"/officer/notices/{published.pk}/cancel/").content.decode()
    without = officer_client.post(f"/officer/notices/{published.pk}/cancel/")
    assert without.status_code == 400 and "id_reason_error" in without.content.decode()  # a reason is asked
    reason = "Hankinta yhdistetään ensi vuoden kilpailutukseen."
    assert officer_client.post(f"/officer/notices/{published.pk}/cancel/", {"reason": reason}).status_code == 302
    published.refresh_from_db()
    assert published.status == "cancelled" and published.officer_draft.cancel_reason == reason
    public = officer_client.get(f"/notices/{published.pk}/").content.decode()
    assert reason in public
    page = officer_client.get(f"/officer/notices/{published.pk}/")
    assert "Julkaise korjaus" not in page.content.decode()
    assert officer_client.post(f"/officer/notices/{published.pk}/", form(action="correct")).status_code == 400


def test_discarding_a_draft(officer_client, notice):
    officer_client.post("/officer/new/", form())
    draft = Draft.objects.get()
    assert officer_client.post(f"/officer/drafts/{draft.pk}/", {"action": "discard"}).status_code == 302
    assert not Draft.objects.exists()


def test_my_notices_lists_drafts_and_published(officer_client, notice):
    publish(officer_client)
    officer_client.post("/officer/new/", form(title="Luonnos"))
    response = officer_client.get("/officer/")
    assert [d.payload["title"] for d in response.context["drafts"]] == ["Luonnos"]
    assert [d.payload["title"] for d in response.context["published"]] == ["Katuvalojen uusiminen 2027"]


def test_another_buyers_officer_gets_404_for_a_draft_and_403_for_a_published_notice(client, notice, other_buyer):
    owner = officer("olli", notice.buyers.get())
    client.force_login(owner)
    published = publish(client)
    client.post("/officer/new/", form(title="Luonnos"))
    draft = Draft.objects.get(state="draft")
    stranger = officer("sanna", other_buyer)
    client.force_login(stranger)
    # A draft is not public: another buyer's is answered as one that does not exist.
    assert client.get(f"/officer/drafts/{draft.pk}/").status_code == 404
    assert client.post(f"/officer/drafts/{draft.pk}/", form(action="publish")).status_code == 404
    assert client.post(f"/officer/drafts/{draft.pk}/", {"action": "discard"}).status_code == 404
    assert Draft.objects.filter(pk=draft.pk, state="draft").exists()
    assert client.get(f"/officer/notices/{published.pk}/").status_code == 403
    assert client.post(f"/officer/notices/{published.pk}/", form(action="correct")).status_code == 403
    assert client.post(f"/officer/notices/{published.pk}/cancel/").status_code == 403
    assert client.get("/officer/").context["drafts"] == []
    published.refresh_from_db()
    assert published.status == "active" and Draft.objects.filter(pk=draft.pk).exists()


def test_unknown_ids_are_404_and_ingested_notices_are_not_officers(officer_client, notice):
    assert officer_client.get("/officer/drafts/999999/").status_code == 404
    assert officer_client.get("/officer/notices/999999/").status_code == 404
    assert officer_client.get(f"/officer/notices/{notice.pk}/").status_code == 403  # ingested from eForms


def test_a_user_who_is_no_officer_cannot_create_and_is_shown_how_to_ask(client, notice):
    client.force_login(User.objects.create_user("nobody", "n@example.fi", PASSWORD))
    response = client.get("/officer/new/")
    assert response.status_code == 302 and response["Location"] == "/officer/buyers/new/"
    assert client.post("/officer/new/", form()).status_code == 302 and not Draft.objects.exists()
    home = lang(client, "en").get("/officer/").content.decode()
    assert "not an officer" in home and 'href="/officer/buyers/new/"' in home


def test_an_officer_of_two_buyers_chooses_the_buyer(client, buyer, other_buyer):
    user = officer("olli", buyer)
    from notices.models import OfficerMembership

    OfficerMembership.objects.create(user=user, buyer=other_buyer)
    client.force_login(user)
    response = lang(client, "en").post("/officer/new/", form())
    assert response.status_code == 400 and "This field is required." in field_errors(response.content.decode(), "id_buyer")
    client.post("/officer/new/", form(buyer="1618033-3"))
    assert Draft.objects.get().buyer == other_buyer
