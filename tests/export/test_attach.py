"""One notice, two origins: when polling brings back TED's (or Hilma's) published copy of an officer's
exported notice - the same notice id (BT-701) - it is kept with the officer's notice, which stays the
editable one, instead of becoming a second notice; TED's copy marks the submission published."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from notices import officers
from notices.export import service
from notices.ingest.fetch import Payload, forget_host_waits
from notices.ingest.read import parse
from notices.ingest.write import ingest, write_all
from notices.models import EformsNotice, Notice, Source
from tests.export.conftest import content, iso, make_draft
from tests.export.tedserver import Answer, FakeTed
from tests.httpserver import Response
from tests.polling.conftest import make_source, poll_now

pytestmark = pytest.mark.django_db

PUBLICATION = (
    b"<efac:Publication><efbc:NoticePublicationID schemeName=\"ojs-notice-id\">00654321-2027</efbc:NoticePublicationID>"
    b"<efbc:GazetteID schemeName=\"ojs-id\">171/2027</efbc:GazetteID>"
    b"<efbc:PublicationDate>2027-09-09+02:00</efbc:PublicationDate></efac:Publication>"
)


def as_published(xml: bytes) -> bytes:
    """The exported XML as TED publishes it: with its publication number and date (OPP-010, OPP-012)."""
    marker = b"<efext:EformsExtension>"
    assert marker in xml
    return xml.replace(marker, marker + PUBLICATION, 1)


@pytest.fixture
def published(buyer, staff):
    draft = make_draft(buyer, staff, content(lots=2))
    draft, _change = officers.publish(staff, draft.pk)
    return draft


@pytest.fixture
def submitted(published, settings, monkeypatch):
    """The officer's EU notice, submitted to (a fake) TED: accepted, not yet published."""
    from notices.export import validate

    monkeypatch.setattr(validate, "check_rules", lambda *args, **kwargs: [])  # test_rules runs them
    with FakeTed() as ted:
        settings.TED_ESENDER_URL, settings.TED_ESENDER_TOKEN = ted.url, ted.token
        ted.answers = {("POST", "/v3/notices/submit"): Answer(201, {"success": True, "validationReportUrl": "r"})}
        row = service.submit(published)
        assert ted.errors == []
    assert row.state == "submitted"
    return row


def test_teds_published_copy_polled_back_attaches_to_the_officers_notice(http_server, published, submitted, client):
    notice = published.notice
    before = Notice.objects.count()
    xml = as_published(bytes(submitted.xml))
    http_server.serve("/en/notice/00654321-2027/xml", Response(200, xml))
    result = {"publication-number": "00654321-2027", "publication-date": "2027-09-09+02:00",
              "links": {"xml": {"MUL": http_server.base + "/en/notice/00654321-2027/xml"}}}
    body = {"notices": [result], "totalNoticeCount": 1, "iterationNextToken": None, "timedOut": False}
    http_server.serve("/v3/notices/search", Response(200, json.dumps(body).encode(),
                                                     {"Content-Type": "application/json"}))
    forget_host_waits()
    with override_settings(INGEST_ALLOW_PRIVATE_HOSTS=True, TED_API_URL=http_server.base):
        source = make_source(http_server.base, kind=Source.Kind.TED, name="TED Finland", watermark="20270901")
        polled = poll_now(source)
    assert polled.status == "ok" and {k: v for k, v in polled.counts.items() if v} == {"attached": 1}, polled

    assert Notice.objects.count() == before
    assert not Notice.objects.filter(source_id__startswith=str(submitted.notice_uuid)).exists()
    notice.refresh_from_db()
    versions = list(notice.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2] and notice.current_version == versions[0]
    copy = versions[1]
    assert copy.changes["outcome"] == "attached" and copy.changes["kind"] == "eu"
    assert copy.changes["publication_number"] == "00654321-2027"
    assert copy.source_ref == str(submitted.notice_uuid) and copy.payload == xml
    assert copy.origin.endswith("/en/notice/00654321-2027/xml")
    assert notice.title == "Koulujen siivous 2028" and notice.source == "officer"  # still the officer's
    submitted.refresh_from_db()
    assert (submitted.state, submitted.publication_number, str(submitted.publication_date)) == (
        "published", "00654321-2027", "2027-09-09")

    # The public page says where the copy was published, in the reader's language.
    client.cookies["django_language"] = "fi"
    history = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "TED-palvelussa julkaistu kopio; ilmoitus täällä ei muuttunut (julkaisunumero 00654321-2027)" in history

    # The same copy again (another poll, another source) changes nothing.
    again = ingest(Payload(xml, "https://ted.europa.eu/en/notice/00654321-2027/xml"))
    assert [c.outcome for c in again.changes] == ["unchanged"] and notice.versions.count() == 2

    # The officer's notice stays the editable one: a correction is its next version.
    moved = content(lots=2)["deadlines"]
    moved[1]["at"], moved[2]["at"] = iso(47), iso(47, 13)
    _draft, change = officers.correct(published.created_by, notice.pk, {"deadlines": moved})
    assert change.outcome == "updated" and change.version.number == 3


def test_hilmas_copy_and_the_copy_of_a_correction_attach_in_a_bulk_ingest_too(published, staff):
    notice = published.notice
    national = service.export(published, "national")
    before = Notice.objects.count()
    moved = content(lots=2)["deadlines"]
    moved[1]["at"], moved[2]["at"] = iso(47), iso(47, 13)
    officers.correct(staff, notice.pk, {"deadlines": moved})
    published.refresh_from_db()
    correction = service.export(published, "eu")
    assert correction.change_reason == "update-add" and correction.notice_uuid != national.notice_uuid

    payloads = [Payload(as_published(bytes(national.xml)), "hilma:notice"),
                Payload(as_published(bytes(correction.xml)), "ted:notice")]
    outcomes = list(write_all(((p, parse(p)) for p in payloads), group=10))  # store.save_many
    assert [c.outcome for o in outcomes for c in o.changes] == ["attached", "attached"]
    assert Notice.objects.count() == before
    kinds = [v.changes.get("kind") for v in notice.versions.order_by("number")]
    assert kinds == [None, None, "national", "eu"]  # published v1, correction v2, then the two copies
    notice.refresh_from_db()
    assert notice.current_version.number == 2
    # Hilma's copy publishes nothing at TED: the EU notices stay as they were.
    assert set(EformsNotice.objects.filter(kind="eu").values_list("state", flat=True)) == {"published"}
    assert EformsNotice.objects.get(kind="national").state == "exported"


def test_an_exported_draft_not_yet_published_here_is_not_attached(buyer, staff):
    draft = make_draft(buyer, staff, content())
    exported = service.export(draft, "eu")
    outcome = ingest(Payload(bytes(exported.xml), "ted:notice"))
    (change,) = outcome.changes
    assert change.outcome == "new" and change.notice.source == "eforms"
