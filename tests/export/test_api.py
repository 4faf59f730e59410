"""The eForms export in the officers' API: the eForms fields (defaults, derived values, PATCH with field
paths), the XML of both kinds, the check and the submission to TED (a fake TED on 127.0.0.1 that checks
the contract)."""

from __future__ import annotations

import pytest
from lxml import etree

from notices import officers
from notices.models import Buyer, DraftEforms, EformsNotice
from tests.api.conftest import OTHER, Api, buyer_record, in_days, save, user_with_token
from tests.export.conftest import content, make_draft
from tests.export.tedserver import Answer, FakeTed

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(buyer, staff):
    draft = make_draft(buyer, staff, content(lots=2), nuts="FI1C5")
    draft, _change = officers.publish(staff, draft.pk)
    return draft


@pytest.fixture
def api(buyer):
    _user, token = user_with_token("officer", buyers=[buyer])
    return Api(token)


def test_the_eforms_fields_show_defaults_and_what_the_derived_ones_come_from(api, published):
    answer = api.get(f"/api/officer/notices/{published.notice_id}/eforms")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["fields"]["procedure_type"] == "open" and body["fields"]["contract_nature"] == ""
    assert body["in_use"]["contract_nature"] == "services" and body["derived_from"]["contract_nature"] == "cpv"
    assert body["in_use"]["performance_nuts"] == "FI1C5" and body["derived_from"]["performance_nuts"] == "buyer_nuts"
    assert body["in_use"]["tender_languages"] == ["fi"]
    assert body["fields"]["review_body"]["name"] == "Markkinaoikeus"
    assert body["notice_id"] is None and body["submissions"] == []

    changed = api.patch(f"/api/officer/notices/{published.notice_id}/eforms", {
        "contract_nature": "works", "buyer_nuts": "FI1B1", "tender_languages": ["FI", "sv"],
        "award_criteria": [{"type": "price", "weight": 60}, {"type": "quality", "weight": 40, "description": "Laatu"}],
        "contract_start": "2028-03-01",
    })
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert body["in_use"]["contract_nature"] == "works" and "contract_nature" not in body["derived_from"]
    assert body["in_use"]["tender_languages"] == ["fi", "sv"] and body["in_use"]["contract_start"] == "2028-03-01"
    # Null puts a derived field back to derived.
    back = api.patch(f"/api/officer/notices/{published.notice_id}/eforms", {"contract_nature": None})
    assert back.json()["derived_from"]["contract_nature"] == "cpv"
    assert api.get(f"/api/officer/drafts/{published.pk}/eforms").json()["fields"]["buyer_nuts"] == "FI1B1"


def test_unacceptable_eforms_fields_are_refused_by_field_and_nothing_is_saved(api, published):
    answer = api.patch(f"/api/officer/notices/{published.notice_id}/eforms", {
        "buyer_nuts": "XX999", "procedure_type": "oral", "submission_url": "ftp://example.fi/x",
        "award_criteria": [{"type": "price", "weight": 50}, {"type": "quality", "weight": 20}],
        "contract_months": 24,
    })
    assert answer.status_code == 422, answer.content
    paths = {tuple(f["path"]) for f in answer.json()["error"]["fields"]}
    assert {("buyer_nuts",), ("procedure_type",), ("submission_url",), ("award_criteria",)} <= paths
    row = DraftEforms.objects.get(draft=published)
    assert (row.buyer_nuts, row.contract_months, row.procedure_type) == ("FI1C5", 12, "open")
    schema = api.patch(f"/api/officer/notices/{published.notice_id}/eforms", {"contract_months": 0})
    assert schema.status_code == 422 and schema.json()["error"]["fields"][0]["path"] == ["contract_months"]


def test_the_xml_of_both_kinds_for_notices_and_drafts(api, published, buyer, staff):
    for kind, subtype in (("national", b"E3"), ("eu", b"16")):
        answer = api.get(f"/api/officer/notices/{published.notice_id}/eforms.xml", {"kind": kind})
        assert answer.status_code == 200, answer.content
        assert answer["Content-Type"] == "application/xml; charset=utf-8"
        row = EformsNotice.objects.get(kind=kind)
        assert answer["Content-Disposition"] == f'attachment; filename="{kind}-{row.notice_uuid}-01.xml"'
        assert bytes(row.xml) == answer.content
        assert f'listName="notice-subtype">{subtype.decode()}<'.encode() in answer.content
        assert etree.fromstring(answer.content).findtext(".//{*}ProcurementProject/{*}Name") == "Koulujen siivous 2028"
    draft = make_draft(buyer, staff, content())
    assert api.get(f"/api/officer/drafts/{draft.pk}/eforms.xml", {"kind": "eu"}).status_code == 200
    assert api.get(f"/api/officer/drafts/{draft.pk}/eforms.xml").status_code == 422  # kind is required
    assert api.get(f"/api/officer/drafts/{draft.pk}/eforms.xml", {"kind": "ted"}).status_code == 422


def test_other_officers_and_ingested_notices_get_no_eforms(published, buyer):
    save("seed-2", buyers=(buyer_record(OTHER, "Toinen Kunta"),), deadlines=[("tender", in_days(40))])
    _user, token = user_with_token("other", buyers=[Buyer.objects.get(identifiers__value=OTHER)])
    other = Api(token)
    for url in (f"/api/officer/notices/{published.notice_id}/eforms.xml?kind=eu",
                f"/api/officer/notices/{published.notice_id}/eforms"):
        assert other.get(url).status_code == 403
    assert other.post(f"/api/officer/notices/{published.notice_id}/eforms/validate?kind=eu").status_code == 403
    assert other.post(f"/api/officer/notices/{published.notice_id}/eforms/submit").status_code == 403
    assert other.get("/api/officer/notices/999999/eforms").status_code == 404
    ingested = save("ingested-1", buyers=(buyer_record(),), deadlines=[("tender", in_days(30))])
    _user, token = user_with_token("officer", buyers=[buyer])
    assert Api(token).get(f"/api/officer/notices/{ingested.pk}/eforms.xml?kind=eu").status_code == 403
    assert Api().get(f"/api/officer/notices/{published.notice_id}/eforms").status_code == 401


def test_a_check_through_the_validator(schema_validator, api, published):
    answer = api.post(f"/api/officer/notices/{published.notice_id}/eforms/validate?kind=national")
    assert answer.status_code == 200, answer.content
    report = answer.json()
    assert report["ok"] is True and set(report["seconds"]) == {"schema", "rules"}
    # An E3 has no tender opening: said beside the opening deadline, as a warning.
    openings = [i for i, d in enumerate(published.payload["deadlines"]) if d["kind"] == "opening"]
    assert [f["path"] for f in report["findings"]] == [["deadlines", i, "at"] for i in openings]
    for warning in report["findings"]:
        assert warning["rule"] == "TRACKER-E3-OPENING" and warning["severity"] == "WARN"
        assert warning["text"].startswith("Kansallisessa")  # the request's language: Finnish by default


@pytest.fixture
def ted(settings):
    with FakeTed() as server:
        settings.TED_ESENDER_URL = server.url
        settings.TED_ESENDER_TOKEN = server.token
        yield server
    assert server.errors == [], server.errors


def test_submitting_to_ted_answers_with_the_submissions_state(schema_validator, ted, api, published):
    ted.answers = {("POST", "/v3/notices/submit"): Answer(201, {"success": True, "validationReportUrl": "x"})}
    answer = api.post(f"/api/officer/notices/{published.notice_id}/eforms/submit")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    row = EformsNotice.objects.get(kind="eu")
    assert body["state"] == "submitted" and body["notice_id"] == f"{row.notice_uuid}-01"
    assert body["kind"] == "eu" and body["change_reason"] is None and body["based_on"] == 1
    assert api.get(f"/api/officer/notices/{published.notice_id}/eforms").json()["submissions"][0]["state"] == "submitted"
    assert len(ted.requests) == 1


def test_nothing_is_sent_to_ted_when_its_rules_fail_here(schema_validator, ted, api, published, monkeypatch):
    from notices.export import validate

    failed = validate.Finding(rule="BR-BT-00024-0022", severity="ERROR", location="", field="BT-24-Procedure",
                              labels=validate.labels("BT-24-Procedure"), path=("descriptions", "fi"),
                              messages=validate.requirement("count(cbc:Description) > 0"))
    monkeypatch.setattr(validate, "check_rules", lambda *args, **kwargs: [failed])
    answer = api.post(f"/api/officer/notices/{published.notice_id}/eforms/submit")
    assert answer.status_code == 422, answer.content
    (field,) = answer.json()["error"]["fields"]
    assert field["path"] == ["descriptions", "fi"]
    assert field["message"] == "BR-BT-00024-0022: Description: This information is required."
    assert ted.requests == [] and not EformsNotice.objects.exists()


def test_without_a_validator_submitting_is_unavailable_too(ted, api, published):
    answer = api.post(f"/api/officer/notices/{published.notice_id}/eforms/submit")
    assert answer.status_code == 503 and answer["Retry-After"] == "60"
    assert ted.requests == []
