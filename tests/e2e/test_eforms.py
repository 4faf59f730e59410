"""An officer, in a real browser, checks a deliberately broken draft against Hilma's rules and sees each
failed rule beside its field (the rule's id, the field's label from the SDK, what it requires), mends
it until the rules pass, and downloads the eForms XML. The rules are the publishers' own, run by a real
validator (the scheduler's job, here a thread of the test process) that compiled them once this session."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from lxml import etree

from notices.export import fields
from notices.models import Buyer, OfficerMembership
from tests.e2e.conftest import expect, look
from tests.export.conftest import buyer, content, make_draft, rules, validator  # noqa: F401 - fixtures
from tests.export.tedserver import Answer, FakeTed

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.schematron]
PASSWORD = "a-long-enough-password-1"


def test_an_officer_sees_each_failed_rule_beside_its_field_then_downloads_the_xml(
        page, live_server, validator, buyer, settings):  # noqa: F811 - the fixtures imported above
    officer = User.objects.create_user("olli", "olli@example.fi", PASSWORD)
    OfficerMembership.objects.create(user=officer, buyer=Buyer.objects.get(pk=buyer.pk))
    body = content(lots=2, descriptions={})  # no description
    body["lots"][1]["title"] = ""  # lot 2 has no title
    body["lots"][1]["titles"] = {}
    draft = make_draft(buyer, officer, body, nuts="")  # the buyer's region (NUTS) is not known yet
    assert fields.of(draft).buyer_nuts == ""

    page.goto(live_server.url + "/officer/login/")
    page.fill("#id_username", "olli")
    page.fill("#id_password", PASSWORD)
    page.click("form.panel button[type=submit]")
    page.goto(f"{live_server.url}/officer/drafts/{draft.pk}/")
    page.click("button[value=eforms-check-national]")

    assert page.locator(".error-summary").is_visible()
    assert "Hilma (kansallinen ilmoitus)" in page.locator(".error-summary").inner_text()
    beside = {
        "#id_description_error": "Kuvaus",
        "#id_lots-1-title_error": "Ilmoituksen nimi",  # the SDK's Finnish label of BT-21
        "#id_eforms-buyer_nuts_error": "Maaryhmittely (NUTS)",
    }
    for selector, label in beside.items():
        text = page.locator(selector).inner_text()
        assert f" · {label}: " in text, (selector, text)
        assert text.lstrip("⚠ ").startswith(("BR-", "FI-")), text  # the rule's id first
        assert "pakollinen" in text, text  # what it requires, in Finnish
        assert page.locator(selector).is_visible()
    look(page, "officer-eforms-check-failed")

    page.fill("#id_description", "Koulujen ja päiväkotien siivous.")
    page.fill("#id_lots-1-title", "Alue 2")
    page.select_option("#id_eforms-buyer_nuts", "FI1C7")
    page.click("button[value=eforms-check-national]")
    assert "Ilmoitus läpäisee Hilman säännöt" in page.locator(".messages").inner_text()
    assert not page.locator(".error-summary").is_visible()

    with page.expect_download() as download:
        page.click("text=Lataa eForms XML Hilmaan")
    assert download.value.suggested_filename.startswith("national-") and download.value.suggested_filename.endswith("-01.xml")
    xml = open(download.value.path(), "rb").read()
    root = etree.fromstring(xml)
    assert root.findtext(".//{*}SubTypeCode") == "E3"
    assert root.findtext(".//{*}ProcurementProject/{*}Description") == "Koulujen ja päiväkotien siivous."
    assert root.findtext(".//{*}Company/{*}PostalAddress/{*}CountrySubentityCode") == "FI1C7"
    look(page, "officer-eforms-check-passed")

    # Published here, then sent to (a fake) TED: the page shows the submission's state.
    page.click("button[value=publish]")
    assert page.locator("h1").inner_text() == "Korjaa ilmoitusta"
    with FakeTed() as ted:
        settings.TED_ESENDER_URL, settings.TED_ESENDER_TOKEN = ted.url, ted.token
        ted.answers = {("POST", "/v3/notices/submit"): Answer(201, {"success": True, "validationReportUrl": "r"})}
        page.reload()
        page.click("text=Lähetä TEDiin")
        assert "Lähetetty TEDiin" in page.locator(".messages").inner_text()
        states = page.locator(".eforms-status table").inner_text()
        assert "TED (EU-ilmoitus)" in states and "lähetetty TEDiin, odottaa julkaisua" in states
        assert ted.errors == []
    page.locator(".eforms-status").scroll_into_view_if_needed()
    look(page, "officer-eforms-submitted")

    page.click("text=Näin lataat sen Hilmaan")
    assert page.locator("h1").inner_text() == "Ilmoituksen lataaminen Hilmaan"
    expect(page.locator("ol.steps li")).to_have_count(5)
    look(page, "officer-eforms-hilma")
