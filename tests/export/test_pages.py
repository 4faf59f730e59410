"""The eForms export on the officer's pages: the eForms fields with their defaults in the notice form,
"Check against Hilma / TED rules" with each failed rule beside its field, the XML downloads, submission
to TED with its state, and the steps of an upload in Hilma."""

from __future__ import annotations

import lxml.html
import pytest
from django.contrib.auth.models import User

from notices import officers
from notices.models import Buyer, DraftEforms, EformsNotice, OfficerMembership
from tests.api.conftest import OTHER, buyer_record, in_days, save
from tests.export.conftest import content, make_draft
from tests.export.tedserver import Answer, FakeTed

pytestmark = pytest.mark.django_db


def form_data(page, **changes) -> dict:
    """What the browser would send from the officer's form as the page shows it (no button yet)."""
    document = lxml.html.fromstring(page.content.decode())
    (form,) = document.xpath("//form[contains(@class, 'officer-form')]")
    data = dict(form.form_values())
    data.update({k: v for k, v in changes.items() if v is not None})
    for name in [k for k, v in changes.items() if v is None]:
        data.pop(name, None)
    return data


def errors_of(page, field_id: str) -> str:
    found = lxml.html.fromstring(page.content.decode()).xpath(f"//*[@id='{field_id}_error']")
    return found[0].text_content() if found else ""


@pytest.fixture
def officer_client(client, buyer):
    user = User.objects.create_user("olli", "olli@example.fi", None)
    OfficerMembership.objects.create(user=user, buyer=buyer)
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def draft(buyer, staff):
    return make_draft(buyer, staff, content(lots=2))


def broken(buyer, staff):
    """No description, lot 2 without a title, no buyer NUTS code: an E3 notice breaks three rules."""
    body = content(lots=2, descriptions={})
    body["lots"][1]["title"] = ""
    body["lots"][1]["titles"] = {}
    return make_draft(buyer, staff, body, nuts="")


def test_the_draft_page_shows_the_eforms_fields_with_their_defaults(officer_client, draft):
    page = officer_client.get(f"/officer/drafts/{draft.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    data = form_data(page)
    assert data["eforms-procedure_type"] == "open" and data["eforms-buyer_legal_type"] == "body-pl"
    assert data["eforms-buyer_nuts"] == "FI1C7" and data["eforms-contract_nature"] == ""
    assert data["eforms-review_name"] == "Markkinaoikeus" and data["eforms-award_0_type"] == "price"
    assert data["eforms-contract_months"] == "12" and data["eforms-predicted_value_over_threshold"] == "on"
    assert "Empty: from the main CPV code (now: Services)" in html
    assert "Empty: the buyer&#x27;s region (now: FI1C7)" in html
    for text in ("Check against Hilma rules", "Check against TED rules", "Download eForms XML for Hilma",
                 "Download eForms XML for TED", "How to upload it in Hilma"):
        assert text in html


def test_the_eforms_fields_are_saved_with_the_draft_and_refused_beside_the_field(officer_client, draft):
    page = officer_client.get(f"/officer/drafts/{draft.pk}/")
    saved = officer_client.post(f"/officer/drafts/{draft.pk}/", form_data(
        page, action="save", **{"eforms-buyer_nuts": "FI1C5", "eforms-award_0_weight": "70",
                                 "eforms-award_1_type": "quality", "eforms-award_1_weight": "30",
                                 "eforms-award_1_description": "Laatu", "eforms-tender_languages": "fi sv"}))
    assert saved.status_code == 302
    row = DraftEforms.objects.get(draft=draft)
    assert row.buyer_nuts == "FI1C5" and row.tender_languages == ["fi", "sv"]
    assert row.award_criteria == [{"type": "price", "weight": 70},
                                  {"type": "quality", "weight": 30, "description": "Laatu"}]

    page = officer_client.get(f"/officer/drafts/{draft.pk}/")
    refused = officer_client.post(f"/officer/drafts/{draft.pk}/", form_data(
        page, action="save", title="Uusi otsikko", **{"eforms-award_1_weight": "50"}))
    assert refused.status_code == 400
    assert "the weights add up to 100 (now 120)" in errors_of(refused, "id_eforms-award_0_type")
    assert "The eForms fields have problems" in refused.content.decode()
    refused = officer_client.post(f"/officer/drafts/{draft.pk}/", form_data(
        page, action="save", title="Uusi otsikko", **{"eforms-submission_url": "ftp://x"}))
    assert "Give an http or https link." in errors_of(refused, "id_eforms-submission_url")
    draft.refresh_from_db()
    assert draft.payload["title"] == "Koulujen siivous 2028"  # nothing saved
    assert DraftEforms.objects.get(draft=draft).award_criteria[1]["weight"] == 30


@pytest.mark.schematron
def test_a_broken_draft_shows_each_failed_rule_beside_its_field(validator, officer_client, buyer, staff):
    draft = broken(buyer, staff)
    page = officer_client.get(f"/officer/drafts/{draft.pk}/")
    checked = officer_client.post(f"/officer/drafts/{draft.pk}/", form_data(page, action="eforms-check-national"))
    assert checked.status_code == 400
    html = checked.content.decode()
    assert "of the rules of Hilma (national notice) fail; each is shown beside its field." in html
    beside = {
        "id_description": "Description",
        "id_lots-1-title": "Title",
        "id_eforms-buyer_nuts": "Country subdivision (NUTS)",
    }
    for field_id, label in beside.items():
        text = errors_of(checked, field_id)
        assert f" · {label}: " in text, (field_id, text)
        assert text.split(" · ")[0].startswith(("BR-", "FI-"))  # the rule's id
        assert "This information is required." in text or "required" in text
    # Checking saved the draft first, as "Check" does.
    assert officer_client.get(f"/officer/drafts/{draft.pk}/").status_code == 200

    sv = officer_client
    sv.cookies["django_language"] = "sv"
    again = sv.post(f"/officer/drafts/{draft.pk}/", form_data(page, action="eforms-check-eu"))
    text = errors_of(again, "id_eforms-buyer_nuts")
    assert text.startswith("BR-BT-00507-") and " · Del av land (NUTS): Uppgiften " in text and "obligatorisk" in text


def test_checking_without_a_ready_validator_saves_and_says_the_rules_are_being_prepared(
        officer_client, draft, transactional_db):
    page = officer_client.get(f"/officer/drafts/{draft.pk}/")
    answer = officer_client.post(f"/officer/drafts/{draft.pk}/", form_data(
        page, action="eforms-check-eu", title="Koulujen siivous 2029"), follow=True)
    assert answer.status_code == 200
    assert "The rules are being prepared; try again in a minute." in answer.content.decode()
    draft.refresh_from_db()
    assert draft.payload["title"] == "Koulujen siivous 2029"


def test_a_passing_check_says_so_with_its_warnings(schema_validator, officer_client, draft):
    page = officer_client.get(f"/officer/drafts/{draft.pk}/")
    answer = officer_client.post(f"/officer/drafts/{draft.pk}/", form_data(page, action="eforms-check-national"),
                                 follow=True)
    html = answer.content.decode()
    assert "The notice passes Hilma&#x27;s rules (XML Schema and business rules)." in html
    assert "Warning TRACKER-E3-OPENING · Opening date: A national notice (E3) has no tender opening time" in html


def test_a_correction_is_checked_as_typed_and_nothing_is_published(schema_validator, officer_client, draft, staff,
                                                                   monkeypatch):
    from notices.export import validate

    draft, _change = officers.publish(staff, draft.pk)
    seen = []
    monkeypatch.setattr(validate, "check_rules",
                        lambda xml, *args, **kwargs: seen.append(b"Koulujen siivous 2030" in xml) or [])
    page = officer_client.get(f"/officer/notices/{draft.notice_id}/")
    answer = officer_client.post(f"/officer/notices/{draft.notice_id}/", form_data(
        page, action="eforms-check-eu", title="Koulujen siivous 2030"))
    assert answer.status_code == 200 and seen == [True]
    assert "The notice passes TED&#x27;s rules" in answer.content.decode()
    assert 'value="Koulujen siivous 2030"' in answer.content.decode()  # the typed correction stays
    draft.notice.refresh_from_db()
    assert draft.notice.current_version.number == 1 and draft.notice.title == "Koulujen siivous 2028"


def test_downloads_of_both_kinds_and_who_may(officer_client, client, draft, staff, buyer):
    answer = officer_client.get(f"/officer/drafts/{draft.pk}/eforms.xml?kind=national")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/xml; charset=utf-8"
    row = EformsNotice.objects.get()
    assert answer["Content-Disposition"] == f'attachment; filename="national-{row.notice_uuid}-01.xml"'
    assert b'listName="notice-subtype">E3<' in answer.content
    draft, _change = officers.publish(staff, draft.pk)
    answer = officer_client.get(f"/officer/notices/{draft.notice_id}/eforms.xml?kind=eu")
    assert answer.status_code == 200 and b'listName="notice-subtype">16<' in answer.content
    assert officer_client.get(f"/officer/notices/{draft.notice_id}/eforms.xml?kind=x").status_code == 400

    save("seed-2", buyers=(buyer_record(OTHER, "Toinen Kunta"),), deadlines=[("tender", in_days(40))])
    other = User.objects.create_user("other", "other@example.fi", None)
    OfficerMembership.objects.create(user=other, buyer=Buyer.objects.get(identifiers__value=OTHER))
    client.force_login(other)
    assert client.get(f"/officer/notices/{draft.notice_id}/eforms.xml?kind=eu").status_code == 403
    assert client.get("/officer/notices/99999/eforms.xml?kind=eu").status_code == 404
    client.logout()
    anonymous = client.get(f"/officer/notices/{draft.notice_id}/eforms.xml?kind=eu")
    assert anonymous.status_code == 302 and "/officer/login/" in anonymous["Location"]


def test_submitting_to_ted_and_its_state_on_the_page(schema_validator, officer_client, draft, staff, settings):
    draft, _change = officers.publish(staff, draft.pk)
    url = f"/officer/notices/{draft.notice_id}/"
    assert "Submission to TED is not set up on this service" in officer_client.get(url).content.decode()
    with FakeTed() as ted:
        settings.TED_ESENDER_URL, settings.TED_ESENDER_TOKEN = ted.url, ted.token
        ted.answers = {("POST", "/v3/notices/submit"): Answer(201, {"success": True, "validationReportUrl": "r"})}
        answer = officer_client.post(f"{url}eforms/submit/", follow=True)
        html = answer.content.decode()
        assert "Submitted to TED: submitted to TED, waiting for publication." in html
        row = EformsNotice.objects.get()
        assert f"{row.notice_uuid}-01" in html and "Ask TED about the submission" in html

        ted.answers[("GET", "/v3/notices")] = Answer(200, {"totalSize": 1, "content": [
            {"id": str(row.notice_uuid), "versionId": "01", "status": "PUBLISHED",
             "publicationId": "654321-2027", "publicationDate": "2027-09-09"}]})
        answer = officer_client.post(f"{url}eforms/refresh/", follow=True)
        html = answer.content.decode()
        assert "654321-2027" in html and ">published <" in html
        assert ted.errors == []


def test_the_hilma_upload_steps(officer_client, draft, staff):
    page = officer_client.get(f"/officer/drafts/{draft.pk}/eforms/hilma/")
    html = page.content.decode()
    assert page.status_code == 200 and "Upload the notice in Hilma" in html
    assert f'href="/officer/drafts/{draft.pk}/eforms.xml?kind=national"' in html
    assert "Publish it here before uploading it in Hilma" in html
    draft, _change = officers.publish(staff, draft.pk)
    page = officer_client.get(f"/officer/notices/{draft.notice_id}/eforms/hilma/")
    assert f'href="/officer/notices/{draft.notice_id}/eforms.xml?kind=national"' in page.content.decode()
    assert "Publish it here before" not in page.content.decode()
