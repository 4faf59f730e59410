"""Submission to TED's eSender API, contract-tested: a fake server on 127.0.0.1 checks every request and
answer against ../shared/realapi/ted-api-v3.yaml. The officer's notice shows the submission's state."""

from __future__ import annotations

import base64
import json

import pytest
import time_machine

from notices.export import service, ted
from notices.models import EformsNotice
from tests.export.conftest import NOW
from tests.export.tedserver import Answer, FakeTed

pytestmark = pytest.mark.django_db

SVRL_FAILED = b"""<?xml version="1.0" encoding="UTF-8"?>
<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl">
  <svrl:failed-assert id="BR-BT-00024-0022" role="ERROR" test="count(cbc:Description) &gt; 0"
      location="/*:ContractNotice[1]/*:ProcurementProject[1]">
    <svrl:diagnostic-reference diagnostic="BT-24-Procedure"><svrl:text see="field:BT-24-Procedure">cbc:Description</svrl:text></svrl:diagnostic-reference>
    <svrl:text>rule|text|BR-BT-00024-0022</svrl:text>
  </svrl:failed-assert>
</svrl:schematron-output>"""


@pytest.fixture
def fake(settings):
    with FakeTed() as server:
        settings.TED_ESENDER_URL = server.url
        settings.TED_ESENDER_TOKEN = server.token
        yield server
    assert server.errors == [], server.errors


@pytest.fixture
def passing_check(monkeypatch):
    """The Schematron check is its own test (test_rules, SQLite pass); here only the XML Schema runs."""
    from notices.export import validate

    monkeypatch.setattr(validate, "check_rules", lambda *args, **kwargs: [])


def test_the_client_speaks_the_specification(fake):
    business_id = "3fa85f64-5717-4562-b3fc-2c963f66afa6-01"
    fake.answers = {
        ("POST", "/v3/notices/submit"): Answer(201, {"success": True, "validationReportUrl": f"{fake.url}/r"}),
        ("POST", "/v3/notices/validate"): Answer(200, SVRL_FAILED, "application/xml"),
        ("GET", f"/v3/notices/{business_id}/validation-report"): Answer(200, SVRL_FAILED, "application/xml"),
        ("GET", "/v3/notices"): Answer(200, {"totalSize": 1, "content": [
            {"id": business_id[:36], "versionId": "01", "status": "PUBLISHED", "publicationId": "123456-2027",
             "publicationDate": "2027-09-10"}]}),
    }
    client = ted.Client()
    assert client.submit(b"<ContractNotice/>", author_email="hankinnat@example.fi") == ted.Submitted(True, f"{fake.url}/r")
    _method, _path, _query, headers, body = fake.requests[-1]
    assert headers["Authorization"] == f"Bearer {fake.token}" and b'"noticeAuthorEmail": "hankinnat@example.fi"' in body
    assert client.validate(b"<ContractNotice/>", language="fi") == SVRL_FAILED
    sent = json.loads(fake.requests[-1][4])
    assert base64.b64decode(sent["notice"]) == b"<ContractNotice/>" and sent["validationMode"] == "static"
    assert client.validation_report(business_id) == SVRL_FAILED
    assert client.status(business_id[:36], "01")["publicationId"] == "123456-2027"
    assert fake.requests[-1][2] == {"id": business_id[:36], "versionId": "01"}

    with pytest.raises(ted.TedError) as refused:
        ted.Client(token="wrong").submit(b"<x/>", author_email="a@example.fi")
    assert refused.value.status == 401 and refused.value.code == "UNAUTHORIZED"
    with pytest.raises(ted.TedError) as unset:
        ted.Client(token="").status("x")
    assert "TED_ESENDER_TOKEN" in unset.value.message


@time_machine.travel(NOW, tick=False)
def test_a_submission_accepted_and_then_published_shows_its_publication_number(fake, passing_check, ten_lots, staff):
    fake.answers = {("POST", "/v3/notices/submit"): Answer(201, {"success": True, "validationReportUrl": "x"})}
    notice = service.submit(ten_lots, user=staff)
    assert notice.state == EformsNotice.State.SUBMITTED and notice.submitted_at == NOW
    sent = fake.requests[-1][4]
    assert str(notice.notice_uuid).encode() in sent and b"<cbc:SubTypeCode listName=\"notice-subtype\">16<" in sent
    # Submitting again sends nothing: TED has it.
    assert service.submit(ten_lots, user=staff).pk == notice.pk and len(fake.requests) == 1

    fake.answers[("GET", "/v3/notices")] = Answer(200, {"totalSize": 1, "content": [
        {"id": str(notice.notice_uuid), "versionId": "01", "status": "PUBLISHED",
         "publicationId": "654321-2027", "publicationDate": "2027-09-09"}]})
    notice = service.refresh(notice)
    assert (notice.state, notice.publication_number, str(notice.publication_date)) == (
        "published", "654321-2027", "2027-09-09")
    (shown,) = service.states(ten_lots)
    assert shown["state"] == "published" and shown["publication_number"] == "654321-2027"
    assert shown["notice_id"] == f"{notice.notice_uuid}-01"


@time_machine.travel(NOW, tick=False)
def test_a_submission_ted_refuses_shows_the_report_by_field_and_goes_again_as_the_next_version(
        fake, passing_check, no_lots, staff):
    notice_uuid = service.export(no_lots, "eu").notice_uuid
    fake.answers = {
        ("POST", "/v3/notices/submit"): Answer(201, {"success": False, "validationReportUrl": "r"}),
        ("GET", f"/v3/notices/{notice_uuid}-01/validation-report"): Answer(200, SVRL_FAILED, "application/xml"),
    }
    notice = service.submit(no_lots, user=staff)
    assert notice.state == "validation-failed" and notice.notice_uuid == notice_uuid
    (finding,) = notice.report
    assert finding["rule"] == "BR-BT-00024-0022" and finding["path"] == ["descriptions", "fi"]
    assert finding["labels"]["fi"] and finding["messages"]["sv"]
    assert service.states(no_lots)[0]["report"] == notice.report

    fake.answers[("POST", "/v3/notices/submit")] = Answer(201, {"success": True, "validationReportUrl": "r"})
    again = service.submit(no_lots, user=staff)
    assert again.version_id == "02" and again.state == "submitted" and again.notice_uuid == notice_uuid
    assert b"<cbc:VersionID>02</cbc:VersionID>" in fake.requests[-1][4]


def test_the_fake_server_catches_what_is_off_the_contract(fake):
    import requests

    headers = {"Authorization": f"Bearer {fake.token}"}
    fake.answers = {("POST", "/v3/notices/submit"): Answer(201, {"success": "yes"})}
    requests.post(f"{fake.url}/v3/notices/submit", files={"notice": ("n.xml", b"<x/>")}, headers=headers, timeout=5)
    requests.post(f"{fake.url}/v3/notices/validate", json={"language": "fi"}, headers=headers, timeout=5)
    found = list(fake.errors)
    fake.errors.clear()  # what this test provoked on purpose
    assert any("submit" in e and "request" in e for e in found), found  # no metadata
    assert any("submit" in e and "response" in e for e in found), found  # success is a boolean
    assert any("validate" in e and "request" in e for e in found), found  # no notice


@time_machine.travel(NOW, tick=False)
def test_ted_unreachable_or_refusing_the_key_is_an_error_state_not_an_exception(fake, passing_check, no_lots, staff, settings):
    settings.TED_ESENDER_TOKEN = "expired"
    notice = service.submit(no_lots, user=staff)
    assert notice.state == "error" and notice.last_error.startswith("401")
    settings.TED_ESENDER_URL = "http://127.0.0.1:9"  # nothing listens there
    settings.TED_ESENDER_TOKEN = fake.token
    notice = service.submit(no_lots, user=staff)
    assert notice.state == "error" and "could not be reached" in notice.last_error


@time_machine.travel(NOW, tick=False)
def test_nothing_is_sent_when_the_notice_fails_the_rules(fake, monkeypatch, no_lots, staff):
    from notices.export import validate

    broken = validate.Finding(rule="BR-BT-00024-0022", severity="ERROR", location="", field="BT-24-Procedure",
                              path=("descriptions", "fi"))
    monkeypatch.setattr(validate, "check_rules", lambda *args, **kwargs: [broken])
    with pytest.raises(service.ExportError) as refused:
        service.submit(no_lots, user=staff)
    assert refused.value.findings == [broken] and fake.requests == []


@time_machine.travel(NOW, tick=False)
def test_the_clocks_refresh_asks_ted_about_every_submitted_notice_and_only_those(fake, passing_check, no_lots,
                                                                                ten_lots, staff):
    fake.answers = {("POST", "/v3/notices/submit"): Answer(201, {"success": True, "validationReportUrl": "x"})}
    first, second = service.submit(no_lots, user=staff), service.submit(ten_lots, user=staff)
    service.export(no_lots, "national")  # exported only: nothing to ask TED
    fake.answers[("GET", "/v3/notices")] = Answer(200, {"totalSize": 1, "content": [
        {"id": str(first.notice_uuid), "versionId": "01", "status": "PUBLISHED", "publicationId": "111111-2027",
         "publicationDate": "2027-09-09"}]})
    assert service.refresh_submitted() == 2
    asked = [r[2]["id"] for r in fake.requests if r[0] == "GET"]
    assert sorted(asked) == sorted([str(first.notice_uuid), str(second.notice_uuid)])
    states = dict(EformsNotice.objects.values_list("notice_uuid", "state").filter(kind="eu"))
    assert states == {first.notice_uuid: "published", second.notice_uuid: "published"}  # the fake says so for any id
    assert service.refresh_submitted() == 0  # nothing submitted is left
