"""The exports pass the publishers' own rules (XML Schema and Schematron, run by Saxon-HE through
SchXslt2), and a broken draft shows each failed rule beside its field, in the officer's language."""

from __future__ import annotations

import time

import pytest
import time_machine

from notices import officers
from notices.export import fields, service, validate
from tests.export.conftest import NOW, content, iso, make_draft

pytestmark = [pytest.mark.django_db, pytest.mark.schematron]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("kind", ["national", "eu"])
@pytest.mark.parametrize("draft_name", ["no_lots", "ten_lots"])
def test_the_exports_of_both_fixture_drafts_pass_schema_and_schematron(rules, kind, draft_name, request):
    draft = request.getfixturevalue(draft_name)
    report = service.check(draft, kind)
    blocking = [(f.rule, f.field, f.location) for f in report.findings if f.blocking]
    assert report.ok and blocking == []
    # What the export leaves out is said beside its field: E3 has no tender opening.
    assert {f.rule for f in report.findings} == ({"TRACKER-E3-OPENING"} if kind == "national" else set())
    notice = service.export(draft, kind)
    exported = validate.check(bytes(notice.xml), kind, context=draft.payload)
    assert exported.ok and exported.findings == []


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("kind", ["national", "eu"])
def test_change_notices_for_a_correction_and_a_cancellation_pass_too(rules, ten_lots, staff, kind):
    officers.publish(staff, ten_lots.pk, now=NOW)
    ten_lots.refresh_from_db()
    moved = content(lots=10)
    moved["deadlines"][1]["at"] = iso(47)
    moved["deadlines"][2]["at"] = iso(47, 13)
    officers.correct(staff, ten_lots.notice_id, {"deadlines": moved["deadlines"]}, now=NOW)
    ten_lots.refresh_from_db()
    correction = service.export(ten_lots, kind)
    assert correction.change_reason == "update-add"
    assert validate.check(bytes(correction.xml), kind).findings == []
    officers.cancel(staff, ten_lots.notice_id, now=NOW)
    ten_lots.refresh_from_db()
    cancellation = service.export(ten_lots, kind)
    assert cancellation.change_reason == "cancel"
    assert validate.check(bytes(cancellation.xml), kind).findings == []


@time_machine.travel(NOW, tick=False)
def test_a_broken_draft_shows_each_failed_rule_beside_its_field(rules, buyer, staff):
    body = content(lots=2, descriptions={})
    body["lots"][1]["title"] = ""
    body["lots"][1]["titles"] = {}
    draft = make_draft(buyer, staff, body, nuts="")
    row = fields.of(draft)
    row.local_legal_basis = ""
    row.save()

    report = service.check(draft, "national")
    assert not report.ok
    by_path = {}
    for finding in report.findings:
        by_path.setdefault(finding.path, []).append(finding)
    # Each concerns a field the officer can change, with the rule's id, the SDK's label and what it requires.
    expected = {
        ("descriptions", "fi"): "BT-24-Procedure",
        ("lots", 1, "title"): "BT-21-Lot",
        ("eforms", "buyer_nuts"): "BT-507-Organization-Company",
        ("eforms", "local_legal_basis"): "BT-01(f)-Procedure",
    }
    for path, field_id in expected.items():
        assert path in by_path, (path, sorted(map(str, by_path)))
        finding = next(f for f in by_path[path] if f.field == field_id)
        assert finding.rule.startswith(("BR-", "FI-")) and finding.blocking
        assert finding.labels["fi"] and finding.labels["sv"] and finding.labels["en"]
        assert finding.message("fi") and finding.message("sv") and finding.message("en")
    nuts = next(f for f in by_path[("eforms", "buyer_nuts")])
    assert nuts.label("fi") == "Maaryhmittely (NUTS)" and nuts.label("en") == "Country subdivision (NUTS)"
    as_json = nuts.as_json("sv")
    assert as_json["path"] == ["eforms", "buyer_nuts"] and as_json["label"] and as_json["text"]

    eu = service.check(draft, "eu")
    assert ("descriptions", "fi") in {f.path for f in eu.findings}
    assert ("eforms", "buyer_nuts") in {f.path for f in eu.findings}


def test_a_rule_that_concerns_no_field_is_listed_as_such(rules):
    svrl = b"""<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl">
      <svrl:failed-assert id="BR-XX-99999-0001" role="ERROR" test="false()" location="/Q{x}ContractNotice[1]">
        <svrl:text>rule|text|BR-XX-99999-0001</svrl:text></svrl:failed-assert>
      <svrl:failed-assert id="BR-BT-00758-0001" role="WARN" test="count(x) &gt; 0" location="/Q{x}ContractNotice[1]">
        <svrl:diagnostic-reference diagnostic="BT-758-notice"><svrl:text see="field:BT-758-notice">x</svrl:text>
        </svrl:diagnostic-reference><svrl:text>t</svrl:text></svrl:failed-assert>
    </svrl:schematron-output>"""
    unknown, export_only = validate.read_svrl([svrl], "eu")
    assert unknown.path is None and unknown.field is None and unknown.rule == "BR-XX-99999-0001"
    assert "false()" in unknown.message("en")
    assert export_only.field == "BT-758-notice" and export_only.path is None and not export_only.blocking
    assert export_only.message("fi") == "Tieto puuttuu, mutta se on pakollinen."


@time_machine.travel(NOW, tick=False)
def test_a_ten_lot_notice_validates_well_within_five_seconds(rules, ten_lots):
    for kind in ("eu", "national"):
        timings = []
        for _ in range(3):
            started = time.monotonic()
            report = service.check(ten_lots, kind)
            timings.append(time.monotonic() - started)
        assert report.ok
        print(f"\n10-lot {kind} check (build + schema + rules): {[round(t, 3) for t in timings]} s")
        assert max(timings) < 5
