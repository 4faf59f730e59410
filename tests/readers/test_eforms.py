"""The eForms reader against the SDK and Hilma example notices, hostile input, and a mutation fuzz.

Expected values were read by hand from the corpus files named in each test. Mutated documents are built in
memory from corpus bytes; nothing from the corpus is copied into the project.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notices.readers import eforms, xmlsafe
from notices.records import IngestError, NoticeRecord
from tests.conftest import CORPUS, corpus_path

UTC = dt.UTC
PLUS_1 = dt.timezone(dt.timedelta(hours=1))
PLUS_2 = dt.timezone(dt.timedelta(hours=2))
SDK = "eforms-sdk-1.15.1"
HILMA = "hilma-sdk"


def _corpus_files() -> list[tuple[str, str]]:
    """(folder, file) for every notice at the top of both folders (translations/ and codelists/ are not
    notices). When the corpus is absent, one placeholder makes the test call ``corpus_path`` and fail in CI
    or skip elsewhere, instead of silently collecting nothing."""
    files = [
        (folder, path.name)
        for folder in (SDK, HILMA)
        if (CORPUS / folder).is_dir()
        for path in sorted((CORPUS / folder).glob("*.xml"))
    ]
    return files or [(SDK, "cn_24_open.xml")]


@cache
def _bytes(folder: str, name: str) -> bytes:
    return corpus_path(folder, name).read_bytes()


def _read(folder: str, name: str, data: bytes | None = None) -> NoticeRecord:
    records = eforms.read(_bytes(folder, name) if data is None else data, url=f"corpus:{folder}/{name}")
    assert len(records) == 1
    return records[0]


def _mutate(data: bytes, old: bytes, new: bytes, count: int = 1) -> bytes:
    """Replace ``old`` (which must be in ``data``) by ``new``: a controlled edit of a corpus notice."""
    assert old in data, old
    return data.replace(old, new, count)


def _deadlines(record: NoticeRecord) -> list[tuple[str, str | None, dt.datetime]]:
    return [(d.kind, d.lot, d.at) for d in record.deadlines]


# ---------------------------------------- every file


@pytest.mark.parametrize(("folder", "name"), _corpus_files())
def test_every_corpus_notice_reads(folder: str, name: str) -> None:
    data = _bytes(folder, name)
    assert eforms.looks_like(data)
    [record] = eforms.read(data, url=f"https://example.test/{name}")
    assert record.source == "eforms"
    assert record.source_id and record.notice_type and record.title
    assert re.fullmatch(r"[a-z]{2}", record.language)
    assert record.title == record.titles.get(record.language, record.title)
    assert record.source_url == f"https://example.test/{name}"
    assert record.published_at is not None and record.published_at.utcoffset() is not None
    assert all(d.at.utcoffset() is not None for d in record.deadlines)
    assert {d.lot for d in record.deadlines} <= {lot.id for lot in record.lots} | {None}
    assert record.buyers, "every corpus notice names its buyer"
    assert record.as_json()["source_id"] == record.source_id


def test_the_corpus_has_the_files_the_tests_expect() -> None:
    corpus_path(SDK)
    assert len([f for f in _corpus_files() if f[0] == SDK]) == 36
    assert sorted(f[1] for f in _corpus_files() if f[0] == HILMA) == [
        "E1_minimum.xml",
        "E3_minimum.xml",
        "E4_minimum.xml",
    ]


# ---------------------------------------- contract notices


def test_cn_24_open() -> None:
    record = _read(SDK, "cn_24_open.xml")
    assert record.source_id == "c4c415ee-ac08-4465-8fa6-57568cf69462"
    assert record.procedure_id == "31f258b6-5eb2-4875-8997-affa3cdce27c"
    assert record.version == "01"
    assert (record.notice_type, record.language, record.status, record.changes) == (
        "cn-standard",
        "en",
        "active",
        None,
    )
    assert record.published_at == dt.datetime(2020, 2, 28, 12, 32, 13, tzinfo=PLUS_1)
    assert record.published_at.utcoffset() == dt.timedelta(hours=1)  # the offset written is kept
    assert record.title == (
        "Term Contract for a Planned Programme of In-service Inspection and Testing of Electrical Equipment"
    )
    assert record.descriptions["en"].startswith("The purpose of this contract is to formalise")
    assert record.cpv == ("71630000", "71314100", "50300000", "31600000")
    assert (record.estimated_value, record.currency) == (Decimal("500000"), "EUR")
    assert record.links == (
        "https://www.publiccontractsscotland.gov.uk/search/Search_AuthProfile.aspx?ID=AA00400",
        "https://www.publictendersscotland.publiccontractsscotland.gov.uk",
    )

    [buyer] = record.buyers
    assert buyer.name == "Renfrewshire Council"
    assert buyer.identifiers == ()  # BT-501 is "not available"
    assert buyer.address.as_json() == {
        "street": "Renfrewshire House, Cotton Street",
        "po_box": None,
        "postal_code": "PA1 1JB",
        "city": "Paisley",
        "country": "GB",
    }
    assert buyer.email == "douglas.mcewan@renfrewshire.gov.uk"
    assert buyer.phone.as_written == "(+12)34567890"
    assert buyer.fax.as_written == "(+12)345678909"
    assert buyer.url == "http://www.renfrewshire.gov.uk"

    [lot] = record.lots
    assert (lot.id, lot.cpv, lot.estimated_value) == ("LOT-0000", record.cpv, None)
    assert lot.title == record.title
    # 2020-04-03+01:00 and 12:00:00+01:00 / 14:00:00+01:00
    assert _deadlines(record) == [
        ("tender", "LOT-0000", dt.datetime(2020, 4, 3, 11, 0, tzinfo=UTC)),
        ("opening", "LOT-0000", dt.datetime(2020, 4, 3, 13, 0, tzinfo=UTC)),
    ]
    assert all(d.at.utcoffset() == dt.timedelta(hours=1) and not d.needs_review for d in record.deadlines)


def test_cn_24_maximal() -> None:
    record = _read(SDK, "cn_24_maximal.xml")
    assert (record.source_id, record.version) == ("14549263-b47b-4e59-96a1-2d0d13e19343", "03")
    assert (record.estimated_value, record.currency) == (Decimal("9999999.99"), "EUR")
    assert record.cpv == ("79710000", "79720000")
    [buyer] = record.buyers
    assert buyer.name == "Financial Adinistration for ..."  # sic
    assert [i.as_json() for i in buyer.identifiers] == [{"scheme": None, "id": "998298", "valid": None}]
    assert buyer.address.street == "Bruce Wayne House, 2 Gotham Street"  # StreetName + AdditionalStreetName
    assert buyer.address.country == "LU"
    # The lots group GLO-0001 is not a lot.
    assert [(lot.id, lot.title, lot.estimated_value) for lot in record.lots] == [
        ("LOT-0001", "Title ---", Decimal("9999999.99")),
        ("LOT-0002", "Title Lot 2---", Decimal("9999999.99")),
    ]
    participation = dt.datetime(2023, 5, 22, 19, 59, 32, tzinfo=UTC)  # 2023-05-22+01:00 20:59:32+01:00
    questions = dt.datetime(2023, 5, 20, 19, 59, 32, tzinfo=UTC)
    assert _deadlines(record) == [
        ("participation", "LOT-0001", participation),
        ("questions", "LOT-0001", questions),
        ("participation", "LOT-0002", participation),
        ("questions", "LOT-0002", questions),
    ]
    assert record.links == (
        "https://profile.example.com",
        "http://nonrestricteddocuments.com",
        "http://accessto.com",
        "http://tender-submit.fin-adm.com/esubmission",
    )


def test_cn_24_multilingual() -> None:
    record = _read(SDK, "cn_24_multilingual.xml")
    assert record.language == "en"
    assert len(record.titles) == 24
    assert (
        record.title
        == record.titles["en"]
        == ("Provision of IT Services Related to OP IT Systems (EUR-Lex, N-Lex, Search Layer, and Others)")
    )
    assert record.titles["fi"].startswith("julkaisutoimiston tietoteknisiin järjestelmiin")
    assert record.titles["sv"].startswith("Tillhandahållande av IT-tjänster")
    assert record.titles["ga"].startswith("Soláthar Seirbhísí TF")  # GLE
    assert record.titles["el"].startswith("Παροχή υπηρεσιών")  # ELL
    assert len(record.descriptions) == 24
    [buyer] = record.buyers
    assert buyer.name == "Publications Office of the European Union"
    assert buyer.names["fi"] == "Euroopan unionin julkaisutoimisto"
    assert len(buyer.names) == 24
    assert [i.as_json() for i in buyer.identifiers] == [{"scheme": None, "id": "EU-PO", "valid": None}]
    assert buyer.phone.e164 == "+352292911111"
    [lot] = record.lots
    assert lot.titles["fi"] == record.titles["fi"]
    assert lot.cpv == ("72230000", "72260000")
    # 2020-02-03Z 13:00:00Z and 2020-02-04Z 09:00:00Z
    assert _deadlines(record) == [
        ("tender", "LOT-0000", dt.datetime(2020, 2, 3, 13, 0, tzinfo=UTC)),
        ("opening", "LOT-0000", dt.datetime(2020, 2, 4, 9, 0, tzinfo=UTC)),
    ]


def test_cn_24_fra_comments_zulu_deadlines_on_two_lots() -> None:
    record = _read(SDK, "cn_24_FRA_comments.xml")
    assert (record.language, record.buyers[0].name) == ("fr", "Rouen Habitat")
    tender, opening = dt.datetime(2019, 6, 24, 16, 0, tzinfo=UTC), dt.datetime(2019, 6, 25, 9, 0, tzinfo=UTC)
    assert _deadlines(record) == [
        ("tender", "LOT-0001", tender),
        ("opening", "LOT-0001", opening),
        ("tender", "LOT-0002", tender),
        ("opening", "LOT-0002", opening),
    ]


def test_cn_24_minimal_keeps_each_offset_as_written() -> None:
    """The file gives the tender deadline in +02:00 and the opening in +01:00 (odd for Luxembourg in
    February, but written so): each instant keeps its own offset, never a guessed one."""
    record = _read(SDK, "cn_24_minimal.xml")
    [tender, opening] = record.deadlines
    assert tender.at == dt.datetime(2020, 2, 4, 8, 0, tzinfo=UTC) and tender.at.utcoffset() == dt.timedelta(
        hours=2
    )
    assert opening.at == dt.datetime(2020, 2, 4, 9, 0, tzinfo=UTC)


def test_restricted_procedures_have_participation_and_question_deadlines() -> None:
    record = _read(SDK, "cn_81.xml")
    assert record.buyers[0].name == "Ministry of Defence"
    assert record.buyers[0].identifiers == ()
    assert _deadlines(record) == [
        ("participation", "LOT-0000", dt.datetime(2020, 5, 7, 22, 55, tzinfo=UTC)),
        ("questions", "LOT-0000", dt.datetime(2020, 4, 30, 11, 0, tzinfo=UTC)),
    ]
    assert _deadlines(_read(SDK, "cn-desg_24.xml")) == [
        ("participation", "LOT-0000", dt.datetime(2020, 6, 5, 11, 0, tzinfo=UTC)),
    ]


# ---------------------------------------- Hilma


def test_hilma_e3_national_notice() -> None:
    record = _read(HILMA, "E3_minimum.xml")
    assert record.source_id == "56077513-464c-430b-b196-37e75ba80649"
    assert record.procedure_id == "3d2d7ea6-5441-48ae-9cd2-c8afca3e6a0f"
    # BT-02 says cn-standard; "E3" is the notice subtype: the record has no field for it.
    assert (record.notice_type, record.language, record.title) == ("cn-standard", "fi", "E3_minimum")
    assert record.published_at == dt.datetime(2025, 3, 19, 15, 35, 3, tzinfo=PLUS_2)
    [buyer] = record.buyers
    assert buyer.name == "Hansel Oy"
    [identifier] = buyer.identifiers
    assert (identifier.scheme, identifier.id, identifier.valid) == ("FI-PRO", "0988084-1", True)
    assert buyer.address.as_json() == {
        "street": "Mannerheiminaukio 1 A",
        "po_box": None,
        "postal_code": "00101",
        "city": "HELSINKI",
        "country": "FI",
    }
    assert (buyer.phone.e164, buyer.phone.valid, buyer.fax) == ("+35866666666", True, None)
    assert (buyer.email, buyer.url) == ("hansel@mailinator.com", "http://www.hansel.fi")
    [lot] = record.lots
    assert (lot.id, lot.cpv) == ("LOT-0000", ("50000000",))
    # 2025-04-18+03:00 12:00:00+03:00 (Helsinki summer time)
    assert _deadlines(record) == [("tender", "LOT-0000", dt.datetime(2025, 4, 18, 9, 0, tzinfo=UTC))]
    assert record.links == (
        "https://testi.hankintailmoitukset.fi/fi/public/procedure/31231/enotice/33643",
        "https://testi.hankintailmoitukset.fi/fi/tendering/procedure/31231/call-for-tenders",
    )


def test_hilma_e1_market_consultation_answer_deadline_is_read_as_interest() -> None:
    """BT-800 (efac:AnswerReceptionPeriod) has no kind of its own; it is reported as ``interest``."""
    record = _read(HILMA, "E1_minimum.xml")
    assert (record.notice_type, record.buyers[0].identifiers[0].id) == ("pmc", "0988084-1")
    assert _deadlines(record) == [("interest", "LOT-0000", dt.datetime(2025, 3, 31, 9, 0, tzinfo=UTC))]


def test_hilma_e4_award() -> None:
    record = _read(HILMA, "E4_minimum.xml")
    assert (record.notice_type, record.title, record.deadlines) == ("can-standard", "E4-minimum", ())
    assert record.buyers[0].identifiers[0].valid is True


# ---------------------------------------- PINs and CANs


def test_pin_call_for_competition_interest_deadlines() -> None:
    record = _read(SDK, "pin-cfc_25.xml")
    assert (record.notice_type, record.language) == ("pin-cfc-standard", "de")
    assert record.buyers[0].name == "Flughafen Stuttgart GmbH"
    assert [i.as_json() for i in record.buyers[0].identifiers] == [
        {"scheme": None, "id": "123 456 789", "valid": None}
    ]
    interest = dt.datetime(2020, 5, 18, 22, 59, 59, tzinfo=UTC)  # 2020-05-18+01:00 23:59:59+01:00
    assert _deadlines(record) == [("interest", "LOT-0001", interest), ("interest", "LOT-0002", interest)]
    assert [lot.title for lot in record.lots] == ["Instandhaltung Brandschutztüren Terminals", "Lot No: 2"]


def test_pin_parts_are_read_as_lots() -> None:
    record = _read(SDK, "pin-only_24_lots.xml")
    assert [lot.id for lot in record.lots] == [f"PAR-{n:04d}" for n in range(1, 11)]
    assert record.lots[1].title == "Electrical Materials"
    assert (record.estimated_value, record.deadlines) == (Decimal("750000000"), ())
    assert "\x8d" not in record.title  # a stray C1 control character in the file is dropped


def test_pin_with_two_organisation_identifiers() -> None:
    record = _read(SDK, "pin-only_24.xml")
    assert [i.id for i in record.buyers[0].identifiers] == ["PartyLegalEntityCID1234", "OtherID 9876"]


def test_published_pin_uses_the_publication_date() -> None:
    record = _read(SDK, "pin-buyer_24_published.xml")
    assert record.published_at == dt.datetime(2025, 5, 22, tzinfo=PLUS_1)  # OPP-012, not the 2020 dispatch
    assert _read(SDK, "pin-buyer_24.xml").published_at == dt.datetime(2020, 4, 8, 3, 57, 7, tzinfo=PLUS_1)


def test_contract_award_notice() -> None:
    record = _read(SDK, "can_24_maximal.xml")
    assert (record.notice_type, record.version, record.status) == ("can-standard", "03", "active")
    assert record.buyers[0].name == "Financial Adinistration for ..."
    assert [lot.id for lot in record.lots] == ["LOT-0001", "LOT-0002"]
    assert record.lots[0].cpv == ("75121000", "33185200")
    assert record.deadlines == ()


def test_contract_modification_is_not_a_change_notice() -> None:
    """can-modif names an OJS number (BT-1501) it modifies, not a BT-701 this store could link."""
    record = _read(SDK, "can-modif_24_value.xml")
    assert (record.notice_type, record.changes, record.status) == ("can-modif", None, "active")


# ---------------------------------------- change notices


def test_change_notice_moves_the_deadline() -> None:
    original = _read(SDK, "cn_24_open.xml")
    change = _read(SDK, "change-cn_24_open_dates.xml")
    assert change.changes == "c4c415ee-ac08-4465-8fa6-57568cf69462" == original.source_id
    assert change.source_id != original.source_id
    assert change.procedure_id == original.procedure_id
    assert change.status == "active"
    tender = [d for d in change.deadlines if d.kind == "tender"]
    assert [(d.lot, d.at) for d in tender] == [("LOT-0000", dt.datetime(2020, 6, 12, 12, 0, tzinfo=PLUS_1))]
    assert tender[0].at == dt.datetime(2020, 6, 12, 11, 0, tzinfo=UTC)


def test_cancel_change_cancels() -> None:
    original = _read(SDK, "cn_24_minimal.xml")
    cancel = _read(SDK, "change-cn_24_void.xml")
    assert (cancel.status, cancel.changes) == ("cancelled", original.source_id)
    assert cancel.changes == "f42be27e-09cf-4f0e-a745-63ec689631e6"
    assert cancel.procedure_id == original.procedure_id
    assert original.status == "active"


def test_correction_change_is_not_a_cancellation() -> None:
    change = _read(SDK, "change-cn_24_cumbria_suppliers.xml")
    assert (change.status, change.changes) == ("active", _read(SDK, "cn_24_cumbria.xml").source_id)


def test_cancel_intention_is_not_a_cancellation() -> None:
    data = _mutate(
        _bytes(SDK, "change-cn_24_void.xml"), b">cancel</cbc:ReasonCode>", b">cancel-intent</cbc:ReasonCode>"
    )
    assert _read(SDK, "change-cn_24_void.xml", data).status == "active"


# ---------------------------------------- buyers


def _contracting_party_refers_to(data: bytes, *refs: str) -> bytes:
    """cn_24_open with its contracting parties pointing at ``refs`` (the corpus only ever uses ORG-0001)."""
    match = re.search(rb"<cac:ContractingParty>.*?</cac:ContractingParty>", data, re.S)
    assert match
    party = match.group(0)
    parties = b"".join(
        party.replace(
            b">ORG-0001</cbc:ID>\n\t\t\t</cac:PartyIdentification>\n\t\t\t<cac:ServiceProviderParty>",
            b">"
            + ref.encode()
            + b"</cbc:ID>\n\t\t\t</cac:PartyIdentification>\n\t\t\t<cac:ServiceProviderParty>",
        )
        for ref in refs
    )
    assert all(ref.encode() in parties for ref in refs)
    return data[: match.start()] + parties + data[match.end() :]


def test_buyer_that_is_not_org_0001() -> None:
    data = _contracting_party_refers_to(_bytes(SDK, "cn_24_open.xml"), "ORG-0003")
    [buyer] = _read(SDK, "cn_24_open.xml", data).buyers
    assert buyer.name == "Example Mediator"
    assert [i.as_json() for i in buyer.identifiers] == [{"scheme": None, "id": "111 111 111", "valid": None}]
    assert (buyer.email, buyer.url) == ("contact@example-mediator.com", "https://example-mediator.eu")
    assert buyer.address.street == "Some Street"


def test_several_buyers_in_document_order_and_unknown_references_skipped() -> None:
    data = _contracting_party_refers_to(
        _bytes(SDK, "cn_24_open.xml"), "ORG-0002", "ORG-0009", "ORG-0001", "ORG-0002"
    )
    assert [b.name for b in _read(SDK, "cn_24_open.xml", data).buyers] == [
        "Sheriff Court",
        "Renfrewshire Council",
    ]


# ---------------------------------------- dates


def _open_with_tender(date: str, time: str | None) -> NoticeRecord:
    data = _bytes(SDK, "cn_24_open.xml")
    end_time = f"<cbc:EndTime>{time}</cbc:EndTime>".encode() if time is not None else b""
    data = _mutate(
        data,
        b"<cbc:EndDate>2020-04-03+01:00</cbc:EndDate>\n\t\t\t\t<cbc:EndTime>12:00:00+01:00</cbc:EndTime>",
        f"<cbc:EndDate>{date}</cbc:EndDate>".encode() + end_time,
    )
    return _read(SDK, "cn_24_open.xml", data)


def test_deadline_date_without_time_is_end_of_that_day_for_review() -> None:
    [tender] = [d for d in _open_with_tender("2020-04-03+01:00", None).deadlines if d.kind == "tender"]
    assert tender.at == dt.datetime(2020, 4, 3, 23, 59, 59, tzinfo=PLUS_1)
    assert tender.at.utcoffset() == dt.timedelta(hours=1)
    assert tender.needs_review is True


def test_deadline_without_any_offset_is_utc_for_review() -> None:
    [tender] = [d for d in _open_with_tender("2020-04-03", "12:00:00").deadlines if d.kind == "tender"]
    assert (tender.at, tender.needs_review) == (dt.datetime(2020, 4, 3, 12, 0, tzinfo=UTC), True)


def test_time_offset_wins_over_date_offset() -> None:
    [tender] = [
        d for d in _open_with_tender("2020-04-03+01:00", "12:00:00+02:00").deadlines if d.kind == "tender"
    ]
    assert (tender.at, tender.needs_review) == (dt.datetime(2020, 4, 3, 10, 0, tzinfo=UTC), False)
    [tender] = [d for d in _open_with_tender("2020-04-03+03:00", "12:00:00").deadlines if d.kind == "tender"]
    assert tender.at == dt.datetime(2020, 4, 3, 9, 0, tzinfo=UTC)


def test_midnight_written_as_24_00() -> None:
    [tender] = [d for d in _open_with_tender("2020-04-03Z", "24:00:00Z").deadlines if d.kind == "tender"]
    assert tender.at == dt.datetime(2020, 4, 4, 0, 0, tzinfo=UTC)


def test_fractional_seconds_and_negative_offsets() -> None:
    [tender] = [
        d for d in _open_with_tender("2020-04-03-05:00", "12:00:00.250-05:00").deadlines if d.kind == "tender"
    ]
    assert tender.at == dt.datetime(2020, 4, 3, 17, 0, 0, 250000, tzinfo=UTC)


# ---------------------------------------- bad input


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<ContractNotice xmlns="urn:oasis:names:specification:ubl:schema:xsd:ContractNotice-2"
>&lol4;</ContractNotice>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE ContractNotice [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<ContractNotice xmlns="urn:oasis:names:specification:ubl:schema:xsd:ContractNotice-2">&x;</ContractNotice>"""


def _error(data: bytes, url: str | None = None) -> IngestError:
    with pytest.raises(IngestError) as caught:
        eforms.read(data, url)
    return caught.value


def test_billion_laughs_is_refused() -> None:
    assert "DOCTYPE" in str(_error(BILLION_LAUGHS))
    assert "entity" in str(_error(BILLION_LAUGHS))


def test_xxe_is_refused_without_reading_the_file() -> None:
    error = _error(XXE, "https://example.test/x.xml")
    assert "DOCTYPE" in str(error) and "XXE" in str(error)
    assert "root:" not in str(error)  # /etc/passwd never reached the message
    assert error.where == "https://example.test/x.xml"


def test_doctype_in_utf16_is_refused_after_parsing() -> None:
    """The byte check cannot see UTF-16; the parsed document's DTD is checked as well."""
    data = (
        XXE.decode()
        .replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
        .encode("utf-16")
    )
    assert "DOCTYPE" in str(_error(data))


def test_malformed_xml_names_line_and_column() -> None:
    data = _bytes(SDK, "cn_24_open.xml").replace(b"</cbc:VersionID>", b"</cbc:Version>", 1)
    message = str(_error(data))
    assert "malformed XML" in message
    assert re.search(r"line \d+, column \d+", message)
    assert "VersionID" in message


def test_empty_input() -> None:
    assert str(_error(b"")) == "empty file"
    assert "empty file" in str(_error(b"  \n\t", "a.xml"))


def test_random_binary() -> None:
    junk = bytes((i * 7919 + 13) % 256 for i in range(2048))
    assert "binary" in str(_error(junk))
    assert "binary" in str(_error(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))


def test_plain_text_and_json_are_not_xml() -> None:
    assert "not XML" in str(_error(b"hello world"))
    assert "not XML" in str(_error(b'{"ocid": "ocds-213czf-000-00001"}'))


def test_latin1_bytes_declared_utf8() -> None:
    text = '<?xml version="1.0" encoding="UTF-8"?>\n<ContractNotice>\n<a>Hämeenlinna</a></ContractNotice>'
    data = text.encode("latin-1")
    message = str(_error(data))
    assert "encoding" in message and "UTF-8" in message and "line 3" in message


def test_unknown_declared_encoding() -> None:
    assert "encoding" in str(_error(b'<?xml version="1.0" encoding="x-klingon"?><a/>'))


def test_xml_that_is_not_a_notice() -> None:
    message = str(_error(b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>'))
    root = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
    assert message == f"not an eForms notice: root element is {root}"
    assert "root element is ContractNotice" in str(_error(b"<ContractNotice/>"))  # right name, no namespace


def test_impossible_issue_date() -> None:
    data = _mutate(
        _bytes(SDK, "cn_24_open.xml"), b"<cbc:IssueDate>2020-02-28+01:00", b"<cbc:IssueDate>2020-02-30+01:00"
    )
    message = str(_error(data, "cn.xml"))
    assert "impossible date '2020-02-30+01:00'" in message
    assert "cbc:IssueDate" in message and "BT-05" in message and "line " in message
    assert message.startswith("cn.xml: ")


def test_impossible_deadline_names_the_lot() -> None:
    data = _mutate(
        _bytes(SDK, "cn_24_open.xml"), b"<cbc:EndDate>2020-04-03+01:00", b"<cbc:EndDate>2020-04-31+01:00"
    )
    message = str(_error(data))
    assert "impossible date" in message and "cbc:EndDate" in message
    assert "tender deadline (BT-131) of lot LOT-0000" in message


@pytest.mark.parametrize(
    ("date", "time", "words"),
    [
        ("2020-04-03+01:00", "25:00:00+01:00", "impossible time"),
        ("2020-04-03+01:00", "12:00+01:00", "not a time"),
        ("03.04.2020", "12:00:00+01:00", "not a date"),
        ("2020-04-03+15:00", "12:00:00", "impossible time zone offset"),
        ("２０２０-04-03+01:00", "12:00:00+01:00", "not a date"),
    ],
)
def test_bad_deadline_text(date: str, time: str, words: str) -> None:
    with pytest.raises(IngestError, match=words):
        _open_with_tender(date, time)


def test_bad_amount() -> None:
    data = _mutate(
        _bytes(SDK, "cn_24_open.xml"), b'currencyID="EUR">500000<', b'currencyID="EUR">500 000,00<'
    )
    message = str(_error(data))
    assert "not a number" in message and "BT-27" in message and "EstimatedOverallContractAmount" in message


def test_missing_notice_id() -> None:
    data = _mutate(_bytes(SDK, "cn_24_open.xml"), b'schemeName="notice-id"', b'schemeName="other"')
    assert "BT-701" in str(_error(data))


def test_hostile_links_are_dropped() -> None:
    data = _mutate(
        _bytes(SDK, "cn_24_open.xml"),
        # the document URL and the submission URL
        b">https://www.publictendersscotland.publiccontractsscotland.gov.uk<",
        b">javascript:alert(1)<",
        count=2,
    )
    assert _read(SDK, "cn_24_open.xml", data).links == (
        "https://www.publiccontractsscotland.gov.uk/search/Search_AuthProfile.aspx?ID=AA00400",
    )


def test_xmlsafe_parse_returns_the_root() -> None:
    root = xmlsafe.parse(b"<a><!-- dropped --><b>x</b></a>")
    assert root.tag == "a" and [c.tag for c in root] == ["b"]


# ---------------------------------------- sniffing


def test_looks_like() -> None:
    assert eforms.looks_like(_bytes(HILMA, "E3_minimum.xml"))  # no XML declaration, prefixes declared first
    assert eforms.looks_like(_bytes(SDK, "cn_24_open.xml"))  # comment before the root
    assert eforms.looks_like(
        b'\xef\xbb\xbf<?xml version="1.0"?>\n<pin:PriorInformationNotice '
        b'xmlns:pin="urn:oasis:names:specification:ubl:schema:xsd:PriorInformationNotice-2"/>'
    )
    award = (
        '<ContractAwardNotice xmlns="urn:oasis:names:specification:ubl:schema:xsd:ContractAwardNotice-2"/>'
    )
    assert eforms.looks_like(award.encode("utf-16"))
    assert not eforms.looks_like(b"<ContractNotice/>")
    assert not eforms.looks_like(b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>')
    assert not eforms.looks_like(b'{"releases": []}')
    assert not eforms.looks_like(b"<!DOCTYPE html><html><body>ContractNotice</body></html>")
    assert not eforms.looks_like(b"")
    assert not eforms.looks_like(bytes(range(256)))


# ---------------------------------------- fuzzing


FUZZ_FILES = [
    (SDK, "cn_24_open.xml"),
    (SDK, "cn_24_minimal.xml"),
    (SDK, "change-cn_24_void.xml"),
    (SDK, "pin-cfc_25.xml"),
    (SDK, "E1_minimal.xml"),
    (SDK, "can_24_minimal.xml"),
    (HILMA, "E3_minimum.xml"),
]
_DATE_ELEMENT = re.compile(rb"(<cbc:\w*(?:Date|Time)>)([^<]*)(<)")
FUZZ = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _assert_reads_or_refuses(data: bytes) -> None:
    """The contract: records (that serialise) or an IngestError that is not the reader's bug net."""
    try:
        records = eforms.read(data)
    except IngestError as error:
        assert str(error)
        assert "bug in the reader" not in str(error), str(error)
        return
    for record in records:
        record.as_json()
        assert all(d.at.utcoffset() is not None for d in record.deadlines)


_edits = st.lists(
    st.tuples(
        st.sampled_from(["flip", "delete", "insert", "truncate", "duplicate"]),
        st.floats(min_value=0, max_value=1, allow_nan=False),
        st.binary(min_size=1, max_size=6),
    ),
    min_size=1,
    max_size=6,
)


@FUZZ
@given(file=st.sampled_from(FUZZ_FILES), edits=_edits)
def test_fuzz_byte_mutations(file: tuple[str, str], edits: list[tuple[str, float, bytes]]) -> None:
    data = bytearray(_bytes(*file))
    for op, where, blob in edits:
        at = min(int(where * len(data)), max(len(data) - 1, 0))
        if op == "flip" and data:
            data[at] ^= blob[0] or 0xFF
        elif op == "delete":
            del data[at : at + len(blob)]
        elif op == "insert":
            data[at:at] = blob
        elif op == "truncate":
            del data[at:]
        elif op == "duplicate":
            data[at:at] = data[at : at + 64]
    _assert_reads_or_refuses(bytes(data))


_date_texts = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "2020-02-30+01:00",
            "2020-13-01Z",
            "0000-01-01Z",
            "9999-12-31-14:00",
            "9999-12-31+14:00",
            "0001-01-01+14:00",
            "24:00:00+01:00",
            "23:59:60Z",
            "12:00:00+14:01",
            "12:00:00-99:99",
            "2020-04-03T12:00:00+01:00",
            "12:00:00.9999999999+01:00",
            "۲۰۲۰-04-03Z",
            "2020-04-03+01:00 ",
        ]
    ),
    st.text(alphabet="0123456789-+:Z.T ", max_size=30),
)


@FUZZ
@given(
    file=st.sampled_from(FUZZ_FILES),
    picks=st.lists(st.tuples(st.integers(0, 50), _date_texts), min_size=1, max_size=4),
)
def test_fuzz_date_texts(file: tuple[str, str], picks: list[tuple[int, str]]) -> None:
    data = _bytes(*file)
    for index, text in picks:
        matches = list(_DATE_ELEMENT.finditer(data))
        match = matches[index % len(matches)]
        data = data[: match.start(2)] + text.encode() + data[match.end(2) :]
    _assert_reads_or_refuses(data)


@FUZZ
@given(data=st.binary(max_size=512))
def test_fuzz_arbitrary_bytes(data: bytes) -> None:
    _assert_reads_or_refuses(data)
    eforms.looks_like(data)
