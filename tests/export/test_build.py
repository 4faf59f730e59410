"""The eForms export without the Schematron rules (both database passes): the XML Schema, the ids an
officer's notice gets, change notices for a correction and a cancellation, and Hilma's schema defect."""

from __future__ import annotations

import uuid

import pytest
import time_machine
from lxml import etree

from notices import officers
from notices.export import build, fields, service, validate
from notices.models import EformsNotice
from notices.readers import eforms
from tests.conftest import corpus_path
from tests.export.conftest import NOW, content, iso

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _corpus():
    corpus_path("eforms-sdk-1.15.1")


def read(xml: bytes):
    (record,) = eforms.read(xml)
    return record


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("kind", ["national", "eu"])
@pytest.mark.parametrize("draft_name", ["no_lots", "ten_lots"])
def test_both_fixture_drafts_pass_the_xml_schema_of_both_kinds(kind, draft_name, request):
    draft = request.getfixturevalue(draft_name)
    notice = service.export(draft, kind)
    assert validate.check_schema(bytes(notice.xml), kind) == []
    assert validate.subtype_of(bytes(notice.xml)) == {"national": "E3", "eu": "16"}[kind]


@time_machine.travel(NOW, tick=False)
def test_the_first_export_gives_the_notice_uuids_that_never_change(no_lots):
    first = service.export(no_lots, "eu")
    row = fields.of(no_lots)
    assert row.notice_uuid == first.notice_uuid and row.procedure_uuid
    record = read(bytes(first.xml))
    assert record.source_id == str(row.notice_uuid) and record.procedure_id == str(row.procedure_uuid)
    again = service.export(no_lots, "eu")
    national = service.export(no_lots, "national")
    assert again.pk == first.pk and again.notice_uuid == national.notice_uuid == row.notice_uuid
    assert read(bytes(national.xml)).procedure_id == str(row.procedure_uuid)
    assert EformsNotice.objects.count() == 2


@time_machine.travel(NOW, tick=False)
def test_a_correction_and_a_cancellation_are_change_notices_naming_the_original(ten_lots, staff):
    original = service.export(ten_lots, "eu")
    officers.publish(staff, ten_lots.pk, now=NOW)
    ten_lots.refresh_from_db()
    assert service.export(ten_lots, "eu").pk == original.pk  # version 1 is still the contract notice

    moved = content(lots=10)
    moved["deadlines"][1]["at"] = iso(47)
    moved["deadlines"][2]["at"] = iso(47, 13)
    officers.correct(staff, ten_lots.notice_id, {"deadlines": moved["deadlines"]}, now=NOW)
    ten_lots.refresh_from_db()
    correction = service.export(ten_lots, "eu")
    national_correction = service.export(ten_lots, "national")
    assert correction.notice_uuid != original.notice_uuid
    assert national_correction.notice_uuid == correction.notice_uuid  # one change, one id
    assert (correction.change_reason, correction.changes, correction.based_on) == (
        "update-add", f"{original.notice_uuid}-01", 2)
    record = read(bytes(correction.xml))
    assert record.source_id == str(correction.notice_uuid) and record.changes == str(original.notice_uuid)
    assert record.status == "active" and record.procedure_id == read(bytes(original.xml)).procedure_id
    assert {d.at.isoformat() for d in record.deadlines if d.kind == "tender" and d.lot == "LOT-0001"} == {iso(47)}
    assert validate.check_schema(bytes(correction.xml), "eu") == []

    officers.cancel(staff, ten_lots.notice_id, now=NOW)
    ten_lots.refresh_from_db()
    cancellation = service.export(ten_lots, "national")
    assert cancellation.change_reason == "cancel" and cancellation.notice_uuid not in (
        original.notice_uuid, correction.notice_uuid)
    record = read(bytes(cancellation.xml))
    assert record.status == "cancelled" and record.changes == str(original.notice_uuid)
    assert validate.check_schema(bytes(cancellation.xml), "national") == []
    assert service.officer_notice_for(f"{cancellation.notice_uuid}-01") == ten_lots.notice
    assert service.officer_notice_for(str(original.notice_uuid)) == ten_lots.notice
    assert service.officer_notice_for(str(uuid.uuid4())) is None


@time_machine.travel(NOW, tick=False)
def test_a_refused_submission_is_followed_by_the_next_version_and_an_accepted_one_is_kept(no_lots):
    first = service.export(no_lots, "eu")
    first.state = EformsNotice.State.VALIDATION_FAILED
    first.save()
    second = service.export(no_lots, "eu")
    assert (second.notice_uuid, second.version_id) == (first.notice_uuid, "02")
    assert b"<cbc:VersionID>02</cbc:VersionID>" in bytes(second.xml)
    second.state = EformsNotice.State.SUBMITTED
    second.save()
    assert service.export(no_lots, "eu").pk == second.pk


@time_machine.travel(NOW, tick=False)
def test_defaults_are_visible_and_derived_ones_say_from_what(no_lots):
    row = fields.of(no_lots)
    shown = fields.values(row, no_lots.payload)
    assert shown["procedure_type"].value == "open" and shown["procedure_type"].derived_from is None
    assert shown["contract_nature"].value == "services" and shown["contract_nature"].derived_from == "cpv"
    assert shown["performance_nuts"].value == "FI1C7" and shown["performance_nuts"].derived_from == "buyer_nuts"
    assert shown["submission_url"].value == "https://example.fi/tarjouspyynto.pdf"
    assert shown["review_body"].value["name"] == "Markkinaoikeus"
    assert shown["contract_start"].value.isoformat() == "2027-12-01"  # tender closes 16.10.; +30 days; 1st
    assert fields.nature_from_cpv("45233000") == "works" and fields.nature_from_cpv("30190000") == "supplies"


@time_machine.travel(NOW, tick=False)
def test_a_new_draft_proposes_the_buyers_nuts_code(no_lots, buyer, staff):
    from notices.models import Draft

    fresh = Draft.objects.create(buyer=buyer, payload=content(), created_by=staff)
    assert fields.of(fresh).buyer_nuts == "FI1C7"


@time_machine.travel(NOW, tick=False)
def test_eforms_fields_are_checked_field_by_field(no_lots):
    row = fields.of(no_lots)
    found = fields.update(row, {"procedure_type": "lottery", "buyer_nuts": "FI1C4",
                                "award_criteria": [{"type": "price", "weight": 60}, {"type": "beauty", "weight": 30}]})
    paths = {f.path for f in found}
    assert {("eforms", "procedure_type"), ("eforms", "buyer_nuts"), ("eforms", "award_criteria"),
            ("eforms", "award_criteria", 1, "type")} <= paths
    row.refresh_from_db()
    assert row.procedure_type == "open"  # nothing saved
    assert fields.update(row, {"award_criteria": [{"type": "price", "weight": 40}, {"type": "quality", "weight": 60}]}) == []
    assert fields.of(no_lots).award_criteria[1]["type"] == "quality"
    lots = content(lots=2)
    lots["lots"][1]["id"] = "LOT-2"
    (lot_id,) = [f for f in fields.problems(lots, row) if f.rule == "TRACKER-LOT-ID"]
    assert lot_id.path == ("lots", 1, "id") and "LOT-0001" in lot_id.message("fi")


def test_hilmas_schema_contradicts_its_own_e3_rules_so_three_blocks_are_loaded_as_optional():
    """NationalNoticeExtension.xsd requires TenderingProcess, NoticeResult and ReadOnlyFields; Hilma's E3
    example has none of them and its rules forbid their content in an E3. When Hilma fixes the schema,
    this test fails and _HILMA_OPTIONAL can go."""
    sample = etree.parse(str(corpus_path("hilma-sdk", "E3_minimum.xml")))

    class Plain(etree.Resolver):
        def resolve(self, url, pubid, context):
            marker = "/ted/sdk/schemas/"
            if marker in url:
                return self.resolve_filename(str(validate.sdk_dir() / "schemas" / url.split(marker, 1)[1]), context)
            return None

    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(Plain())
    strict = etree.XMLSchema(etree.parse(str(corpus_path("hilma-sdk", "schemas", "NationalContractNotice.xsd")), parser))
    assert not strict.validate(sample)
    assert "TenderingProcess" in str(strict.error_log.last_error)
    assert validate.schema("national").validate(sample), validate.schema("national").error_log
    rules = (corpus_path("hilma-sdk", "schematrons", "generated", "FI-Validation-E3.sch")).read_text()
    assert 'id="FI-E3-FI-70-1" role="ERROR" test="count(hilma:ContractValueAmount) = 0"' in rules


def test_the_builder_is_pure_and_keeps_offsets():
    notice = build.Notice(
        kind="eu", content=content(lots=3),
        buyer=build.Organisation(name="Kymenlaakson Liitto", company_id="0206714-5", city="Kotka", nuts="FI1C7"),
        fields=build.Fields(buyer_nuts="FI1C7"), notice_uuid=str(uuid.uuid4()), procedure_uuid=str(uuid.uuid4()),
        issued_at=NOW,
    )
    xml = build.build(notice)
    assert b"<cbc:EndDate>2027-11-05+02:00</cbc:EndDate>" in xml and b"<cbc:EndTime>10:00:00+02:00</cbc:EndTime>" in xml
    assert b"<cbc:IssueDate>2027-09-06+03:00</cbc:IssueDate>" in xml
    assert build.build(notice) == xml
