"""The OCDS reader: corpus files, decisions documented in ``notices/readers/ocds.py``, bad input, fuzzing.

Pure tests (no database). Corpus files are read at test time and never copied into the project.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notices.readers import ocds
from notices.records import Identifier, IngestError, NoticeRecord
from tests.conftest import CORPUS, corpus_path

UTC = dt.timezone.utc
SAMPLE = "sample-data"
REAL = "ocdskit-realdata"
OCID = "ocds-213czf-000-00001"


def _corpus_files() -> list[str]:
    """Corpus JSON files relative to corpus/ocds; a placeholder when the corpus is absent, so that the
    test reaches ``corpus_path`` and skips (or fails in CI) with its clear message."""
    directory = CORPUS / "ocds"
    files = sorted(directory.glob("*/*.json")) if directory.is_dir() else []
    return [f.relative_to(directory).as_posix() for f in files] or ["corpus-missing.json"]


def _bytes(*parts: str) -> bytes:
    return corpus_path("ocds", *parts).read_bytes()


def _json(*parts: str) -> Any:
    return json.loads(_bytes(*parts))


def _read_one(*parts: str) -> NoticeRecord:
    notices = ocds.read(_bytes(*parts))
    assert len(notices) == 1
    return notices[0]


def _utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def _deadline(notice: NoticeRecord, kind: str, lot: str | None = None) -> dt.datetime:
    [found] = [d.at for d in notice.deadlines if d.kind == kind and d.lot == lot]
    return found


def _release(**tender: Any) -> dict:
    """A small synthetic release (not corpus data) for testing one decision at a time."""
    return {
        "ocid": "ocds-test-1",
        "id": "r1",
        "date": "2024-01-10T10:00:00Z",
        "tag": ["tender"],
        "tender": {"title": "Test tender", **tender},
    }


def _read_release(release: dict) -> NoticeRecord:
    [notice] = ocds.read(json.dumps({"releases": [release]}).encode())
    return notice


def _error(data: bytes, url: str | None = None) -> str:
    with pytest.raises(IngestError) as caught:
        ocds.read(data, url)
    return str(caught.value)


# --- every corpus file ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", _corpus_files())
def test_every_corpus_file_reads(name: str) -> None:
    data = _bytes(*name.split("/"))
    assert ocds.looks_like(data)
    for notice in ocds.read(data, f"https://example.test/{name}"):
        assert notice.source == "ocds"
        assert notice.source_id and notice.title and notice.language
        assert notice.published_at is not None and notice.published_at.utcoffset() == dt.timedelta(0)
        assert notice.source_url == f"https://example.test/{name}"
        json.dumps(notice.as_json())  # the dry-run contract serialises


def test_corpus_is_all_there() -> None:
    """Guards the parametrized test against silently testing nothing."""
    corpus_path("ocds")  # skips (or fails in CI) when the corpus is absent
    names = _corpus_files()
    assert len([n for n in names if n.startswith(SAMPLE)]) == 7
    assert len([n for n in names if n.startswith(REAL)]) == 3


# --- sample data: one fictional procedure ---------------------------------------------------------


def test_sample_tender_release() -> None:
    notice = _read_one(SAMPLE, f"{OCID}-02-tender.json")
    assert notice.source_id == notice.procedure_id == OCID
    assert notice.version == f"{OCID}-02-tender"
    assert notice.notice_type == "tender"
    assert notice.status == "active"
    assert notice.changes is None
    assert notice.title == "Planned cycle lane improvements"
    assert notice.language == "en"
    assert notice.titles == {"en": "Planned cycle lane improvements"}
    description = "Tenders solicited for work to build new cycle lanes in the centre of town."
    assert notice.descriptions == {"en": description}
    assert notice.published_at == _utc(2010, 3, 15, 9, 30)
    assert _deadline(notice, "tender") == _utc(2010, 4, 1, 18, 0)
    assert _deadline(notice, "questions") == _utc(2010, 3, 14, 17, 30)
    assert len(notice.deadlines) == 2 and not any(d.needs_review for d in notice.deadlines)
    assert notice.estimated_value == Decimal("1100000") and notice.currency == "GBP"
    # "45233130.0" (a spreadsheet artefact) and "45233162-2" both normalise to 8 digits.
    assert notice.cpv == ("45233130", "45233162")
    assert notice.links == ("http://example.com/tender-notices/ocds-213czf-000-00001-01.html",)

    [buyer] = notice.buyers
    assert buyer.name == "London Borough of Barnet"
    assert buyer.identifiers == (Identifier("GB-LAC", "E09000003", None, "E09000003"),)
    assert buyer.address.street == "4, North London Business Park, Oakleigh Rd S"
    assert buyer.address.postal_code == "N11 1NP"
    assert buyer.address.city == "London"
    assert buyer.address.country == "GB"  # from countryName "United Kingdom"
    assert buyer.email == "procurement-team@example.com"
    assert buyer.phone is not None and buyer.phone.e164 == "+441234345346"
    assert buyer.fax is not None and buyer.fax.e164 == "+441234345345"
    assert buyer.url == "http://example.com/contact/"


def test_sample_amendment_moves_the_tender_deadline() -> None:
    before = _read_one(SAMPLE, f"{OCID}-02-tender.json")
    after = _read_one(SAMPLE, f"{OCID}-03-tenderAmendment.json")
    assert _deadline(before, "tender") == _utc(2010, 4, 1, 18, 0)
    assert _deadline(after, "tender") == _utc(2010, 4, 8, 18, 0)
    assert _deadline(after, "questions") == _deadline(before, "questions")
    assert after.notice_type == "tenderAmendment"
    assert after.changes == OCID and before.changes is None
    assert after.source_id == before.source_id
    assert after.links[-1] == "http://example.com/enquiry-response/ocds-213czf-000-00001-01.html"


def test_sample_planning_release_keeps_its_planned_tender() -> None:
    notice = _read_one(SAMPLE, f"{OCID}-01-planning.json")
    assert notice.notice_type == "planning"
    assert notice.deadlines == ()  # tenderPeriod has a start and a duration, no end
    assert notice.estimated_value == Decimal("1000000")


def test_sample_releases_without_tender_are_skipped() -> None:
    assert ocds.read(_bytes(SAMPLE, f"{OCID}-05-contract.json")) == []
    assert ocds.read(_bytes(SAMPLE, f"{OCID}-06-implementation.json")) == []


def test_sample_package_of_every_release() -> None:
    notices = ocds.read(_bytes(SAMPLE, f"{OCID}.json"))
    assert [n.notice_type for n in notices] == ["planning", "tender", "tenderAmendment", "award"]
    assert {n.source_id for n in notices} == {OCID}
    assert notices[-1].status == "active"  # tender.status "complete" is not a cancellation


def test_record_package_without_compiled_release_uses_latest_release_with_tender() -> None:
    releases = _json(SAMPLE, f"{OCID}.json")["releases"]
    shuffled = [releases[i] for i in (3, 5, 0, 2, 4, 1)]
    package = {"records": [{"ocid": OCID, "releases": shuffled}]}
    [notice] = ocds.read(json.dumps(package).encode())
    assert notice.version == f"{OCID}-04-award"  # the contract and implementation releases have no tender
    assert notice.published_at == _utc(2010, 5, 10, 9, 30)


def test_record_package_prefers_the_compiled_release() -> None:
    releases = _json(SAMPLE, f"{OCID}.json")["releases"]
    compiled = copy.deepcopy(releases[2]) | {"id": f"{OCID}-compiled", "tag": ["compiled"]}
    linked = [{"url": f"https://example.test/{r['id']}", "date": r["date"]} for r in releases]
    package = {
        "records": [
            {"ocid": OCID, "releases": linked, "compiledRelease": compiled},
            {"ocid": "ocds-213czf-000-00002", "releases": [releases[4]]},  # contract only: no notice
        ]
    }
    [notice] = ocds.read(json.dumps(package).encode())
    assert notice.version == f"{OCID}-compiled"
    assert notice.notice_type == "compiled"
    assert _deadline(notice, "tender") == _utc(2010, 4, 8, 18, 0)
    assert notice.buyers[0].name == "London Borough of Barnet"


def test_record_package_from_real_compiled_release() -> None:
    """The Paraguay file is a release package holding a compiled release taken from a record package."""
    compiled = _json(REAL, "release-package_1.1-1.json")["releases"][0]
    record = {"ocid": compiled["ocid"], "releases": [], "compiledRelease": compiled}
    [notice] = ocds.read(json.dumps({"records": [record]}).encode())
    assert notice.source_id == "ocds-03ad3f-193399"
    assert notice.title == "Adquisición de Scanner"
    assert notice.language == "es"
    assert notice.deadlines == ()  # tenderPeriod.endDate is null
    assert notice.estimated_value is None and notice.currency == "PYG"  # amount is null
    [buyer] = notice.buyers
    assert buyer.name == "Dirección Nacional de Contrataciones Públicas (DNCP)"
    assert buyer.email == "uoc@contrataciones.gov.py"
    assert buyer.phone is not None and buyer.phone.as_written == "415-4000"
    assert buyer.phone.e164 is None  # no country to place a national number in


# --- real data ------------------------------------------------------------------------------------


def test_real_mexico_release_package_buyer_and_procuring_entity() -> None:
    notices = ocds.read(_bytes(REAL, "release-package_record-package.json"))
    assert [n.source_id for n in notices] == ["ocds-07smqs-993235", "ocds-07smqs-1542970"]
    notice = notices[0]
    assert notice.notice_type == "tender,award"
    assert notice.title == "SERVICIO DE ASESORÍA EXTERNA DE SEGUROS PARA EL INAH"
    assert notice.published_at == _utc(2016, 2, 4, 11, 2, 19)
    assert notice.estimated_value is None  # "value": {"amount": 0}
    buyer, entity = notice.buyers
    assert buyer.name == "Instituto Nacional de Antropología e Historia"
    assert buyer.identifiers == ()
    assert entity.name == "INAH-Dirección de Recursos Materiales y Servicios #048D00001"
    # Free-text schemes ("Identificador único en Compranet") are not org-id codes: scheme None.
    assert [(i.scheme, i.id) for i in entity.identifiers] == [
        (None, "INA450815GV1-048D00001"),
        (None, "048D00001"),
    ]
    assert entity.address.country == "MX"
    assert entity.address.postal_code == "6100"
    assert entity.email == "jesus_cuevas@inah.gob.mx"
    assert entity.phone is not None and entity.phone.as_written == "4040-4300 ext 416069"


def test_real_mexico_city_ocds_1_0_embedded_buyer() -> None:
    first, second = ocds.read(_bytes(REAL, "release-package-1.json"))
    assert (first.version, second.version) == ("01", "02")
    # The buyer and tender.procuringEntity embed the same organisation: one buyer.
    [buyer] = first.buyers
    assert buyer.name == "SECRETARÍA DE FINANZAS"
    assert [(i.scheme, i.id) for i in buyer.identifiers] == [(None, "GDF9712054NA")]
    assert buyer.address.country == "MX"
    assert buyer.email == "mvidal@finanzas.df.gob.mx"
    assert buyer.url == "http://WWW.FINANZAS.DF.GOB.MX"
    # -06:00 offsets become UTC instants.
    assert _deadline(first, "tender") == _utc(2015, 12, 22, 6, 0)
    assert second.published_at == _utc(2017, 6, 5, 6, 0)
    assert first.estimated_value == Decimal("1311264.00") and first.currency == "MXN"


# --- decisions, on synthetic releases -------------------------------------------------------------


def test_bare_release() -> None:
    [notice] = ocds.read(json.dumps(_release()).encode())
    assert notice.source_id == "ocds-test-1" and notice.title == "Test tender"


def test_package_of_planning_only_releases_is_empty() -> None:
    release = _release()
    del release["tender"]
    release["planning"] = {"budget": {"project": "A plan"}}
    assert ocds.read(json.dumps({"releases": [release, release]}).encode()) == []
    assert ocds.read(b'{"releases": []}') == []


@pytest.mark.parametrize(("status", "expected"), [("cancelled", "cancelled"), ("withdrawn", "cancelled"),
                                                  ("unsuccessful", "active"), (None, "active")])
def test_status(status: str | None, expected: str) -> None:
    assert _read_release(_release(status=status)).status == expected


def test_date_without_offset_is_utc_and_needs_review() -> None:
    notice = _read_release(_release(tenderPeriod={"endDate": "2024-02-01T12:00:00"},
                                    enquiryPeriod={"endDate": "2024-01-20T12:00:00+02:00"}))
    tender, questions = notice.deadlines
    assert (tender.at, tender.needs_review) == (_utc(2024, 2, 1, 12), True)
    assert (questions.at, questions.needs_review) == (_utc(2024, 1, 20, 10), False)


def test_lots_cpv_and_lot_deadlines() -> None:
    notice = _read_release(_release(
        tenderPeriod={"endDate": "2024-02-01T12:00:00Z"},
        lots=[
            {"id": "LOT-1", "title": "Roads", "value": {"amount": 1000, "currency": "EUR"},
             "tenderPeriod": {"endDate": "2024-02-05T12:00:00Z"}},
            {"id": 2, "title": "Bridges"},
        ],
        items=[
            {"id": "1", "relatedLot": "LOT-1", "classification": {"scheme": "CPV", "id": "45233130-9"}},
            {"id": "2", "relatedLot": "2", "classification": {"scheme": "UNSPSC", "id": "72141000"},
             "additionalClassifications": [{"scheme": "cpv", "id": "45221100"},
                                           {"scheme": "CPV", "id": "x"}]},
        ],
    ))
    roads, bridges = notice.lots
    assert (roads.id, roads.title, roads.cpv) == ("LOT-1", "Roads", ("45233130",))
    assert roads.estimated_value == Decimal(1000)
    assert (bridges.id, bridges.cpv) == ("2", ("45221100",))
    assert notice.cpv == ("45233130", "45221100")
    assert _deadline(notice, "tender") == _utc(2024, 2, 1, 12)
    assert _deadline(notice, "tender", "LOT-1") == _utc(2024, 2, 5, 12)


def test_language_variants_and_fallback_title() -> None:
    notice = _read_release(_release(title_fi="Testitarjous", description="Words", description_sv="Ord"))
    assert notice.titles == {"en": "Test tender", "fi": "Testitarjous"}
    assert notice.descriptions == {"en": "Words", "sv": "Ord"}
    untitled = _release()
    untitled["tender"] = {"status": "active"}
    untitled["language"] = "spa"
    notice = _read_release(untitled)
    assert (notice.title, notice.language, notice.titles) == ("ocds-test-1", "es", {})


def test_buyer_identifier_goes_through_identify() -> None:
    release = _release()
    release["parties"] = [
        {"id": "p1", "name": "Valtiokonttori", "roles": ["buyer"],
         "identifier": {"scheme": "FI-PRO", "id": "0245437-2"}, "address": {"countryName": "Finland"}},
        {"id": "p2", "name": "Hankintayksikkö", "roles": ["procuringEntity"],
         "identifier": {"scheme": "FI-PRO", "id": "0245437-3"}},
    ]
    release["buyer"] = {"id": "p1", "name": "Valtiokonttori"}
    buyer, entity = _read_release(release).buyers
    assert buyer.identifiers == (Identifier("FI-PRO", "0245437-2", True, "0245437-2"),)
    assert buyer.address.country == "FI"
    assert entity.identifiers[0].valid is False


def test_an_amendment_release_changes_its_own_contracting_process() -> None:
    release = _release(amendments=[{"id": "1", "description": "Extended"}])
    release["tag"] = ["tenderAmendment"]
    record = _read_release(release)
    assert record.changes == record.source_id


def test_looks_like() -> None:
    assert ocds.looks_like(b'{"releases": []}')
    assert ocds.looks_like(b'\xef\xbb\xbf {"records": []}')
    assert ocds.looks_like(b'{"ocid": "ocds-x-1"}')
    assert not ocds.looks_like(b'{"notice": 1}')
    assert not ocds.looks_like(b"[]")
    assert not ocds.looks_like(b"<xml/>")
    assert not ocds.looks_like(b"")
    assert not ocds.looks_like(b'{"releases": [')
    assert not ocds.looks_like(b"\xff\xfe{")


# --- bad input ------------------------------------------------------------------------------------


def test_empty_input() -> None:
    assert "empty" in _error(b"")
    assert "empty" in _error(b" \n\t ")


def test_invalid_json_says_line_and_column() -> None:
    message = _error(b'{"releases": [\n  {"ocid": "x",}\n]}')
    assert "not valid JSON" in message and "line 2, column 16" in message


def test_not_utf8() -> None:
    message = _error('{"releases": [{"ocid": "ä"}]}'.encode("latin-1"))
    assert "not UTF-8" in message and "0xe4" in message


def test_not_ocds() -> None:
    assert "not OCDS" in _error(b'{"notices": []}')
    assert "top level is a list" in _error(b"[1, 2]")
    assert "top level is the number 42" in _error(b"42")


def test_wrong_types_name_their_path() -> None:
    release = _release()
    release["tender"] = "not an object"
    message = _error(json.dumps({"releases": [{"ocid": "x"}, release]}).encode())
    assert message == "releases[1].tender: expected an object, found a string ('not an object')"
    assert _error(b'{"releases": {"ocid": "x"}}') == "releases: expected a list, found an object"
    message = _error(json.dumps(_release(title=["a"])).encode())
    assert message == "tender.title: expected text, found a list"
    message = _error(json.dumps(_release(value={"amount": "lots"})).encode())
    assert message == "tender.value.amount: 'lots' is not a number"


def test_impossible_date_names_its_path() -> None:
    releases = [_release(), _release(), _release(tenderPeriod={"endDate": "2019-02-30T12:00:00Z"})]
    message = _error(json.dumps({"releases": releases}).encode())
    assert message.startswith(
        "releases[2].tender.tenderPeriod.endDate: '2019-02-30T12:00:00Z' is not a valid date"
    )
    for impossible in ("0000-01-01T00:00:00Z", "9999-12-31T23:59:59-01:00", "2024-01-01T24:00:00Z"):
        message = _error(json.dumps(_release(tenderPeriod={"endDate": impossible})).encode())
        assert message.startswith(f"tender.tenderPeriod.endDate: '{impossible}' is not a valid date")
    message = _error(json.dumps(_release(enquiryPeriod={"endDate": "next Tuesday"})).encode())
    assert message.startswith("tender.enquiryPeriod.endDate: 'next Tuesday' is not a valid date")


def test_missing_ocid_and_lot_id() -> None:
    release = _release()
    del release["ocid"]
    assert "releases[0]: the release has no 'ocid'" in _error(json.dumps({"releases": [release]}).encode())
    message = _error(json.dumps({"releases": [_release(lots=[{"title": "No id"}])]}).encode())
    assert message == "releases[0].tender.lots[0]: the lot has no 'id'"


def test_non_json_numbers_and_nesting() -> None:
    assert "NaN is not a JSON value" in _error(b'{"releases": [], "x": NaN}')
    assert "out of range" in _error(b'{"releases": [], "x": 1e999999999999999999999}')
    assert "nested too deeply" in _error(b'{"releases": ' + b"[" * 100_000)


def test_error_names_the_url() -> None:
    with pytest.raises(IngestError) as caught:
        ocds.read(b"{", "https://example.test/ocds.json")
    assert caught.value.where == "https://example.test/ocds.json"
    assert str(caught.value).startswith("https://example.test/ocds.json: the file is not valid JSON")


# --- fuzzing --------------------------------------------------------------------------------------

_SEEDS = ["sample-data/ocds-213czf-000-00001.json", "ocdskit-realdata/release-package_record-package.json",
          "ocdskit-realdata/release-package-1.json", "ocdskit-realdata/release-package_1.1-1.json"]

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["2019-02-30T12:00:00Z", "2024-01-01T00:00:00", "2024-01-01", "CPV", "buyer", ""]),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


def _reads_or_ingest_error(data: bytes) -> None:
    """The contract under fuzzing: a list of notices, or IngestError, and nothing else."""
    try:
        notices = ocds.read(data)
    except IngestError as error:
        assert str(error)
        return
    for notice in notices:
        json.dumps(notice.as_json())
    ocds.looks_like(data)


def _paths(value: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*path, index))
    return found


def _replace(document: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return document


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_mutated_corpus_bytes(data: st.DataObject) -> None:
    raw = bytearray(_bytes(*data.draw(st.sampled_from(_SEEDS)).split("/")))
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(raw)))
        action = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if action == "flip" and position < len(raw):
            raw[position] = data.draw(st.integers(0, 255))
        elif action == "insert":
            raw[position:position] = data.draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del raw[position : position + data.draw(st.integers(1, 16))]
        elif action == "truncate":
            del raw[position:]
    _reads_or_ingest_error(bytes(raw))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_mutated_json_structure(data: st.DataObject) -> None:
    document = _json(*data.draw(st.sampled_from(_SEEDS)).split("/"))
    for _ in range(data.draw(st.integers(1, 4))):
        path = data.draw(st.sampled_from(_paths(document)))
        document = _replace(document, path, data.draw(_JSON))
    _reads_or_ingest_error(json.dumps(document).encode())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_fuzz_arbitrary_bytes(data: bytes) -> None:
    _reads_or_ingest_error(data)
