"""The facts about TED's search API the poller relies on, read from its published OpenAPI description
(../shared/realapi/ted-api-v3.yaml), and the corrections tests/polling/contract.py applies to that file, each
shown to be still needed: when TED fixes its file, a test here fails and says which to drop."""

import json

import pytest
from django.test import override_settings

from notices.polling import ted
from tests.polling.contract import ERROR_SCHEMAS, TedContract, Violation, contract, corrected, published

SEARCH = "/v3/notices/search"


def body(**kw) -> bytes:
    return json.dumps(kw).encode()


def test_every_request_the_poller_makes_is_valid():
    check = contract().check_request
    with override_settings(TED_SCOPE="ALL", POLL_PAGE_SIZE=100):
        check("POST", SEARCH, json.dumps(ted.search_body("buyer-country = FIN")).encode(), "application/json")
        check("POST", SEARCH, json.dumps(ted.search_body("q", "it-100")).encode(), "application/json")
    for scope in ("ALL", "ACTIVE", "LATEST"):
        with override_settings(TED_SCOPE=scope):
            check("POST", SEARCH, json.dumps(ted.search_body("q")).encode(), "application/json")


def test_what_the_poller_reads_is_what_the_specification_says():
    schemas = published()["components"]["schemas"]
    request = schemas["PublicExpertSearchRequestV1"]
    assert set(request["required"]) == {"query", "fields"}
    assert set(ted.TED_FIELDS) <= set(contract().field_names())
    props = request["properties"]
    assert props["scope"]["default"] == "ACTIVE" and props["scope"]["enum"] == ["LATEST", "ACTIVE", "ALL"]
    assert "ACTIVE: only active notices" in props["scope"]["description"]
    assert props["paginationMode"]["enum"] == ["PAGE_NUMBER", "ITERATION"]
    assert "up to 250 notices per page" in props["limit"]["description"] and ted.TED_MAX_LIMIT == 250
    assert props["checkQuerySyntax"]["type"] == "boolean"
    answer = schemas["ExpertSearchResponse"]["properties"]
    assert {"notices", "totalNoticeCount", "iterationNextToken"} <= set(answer)
    assert "timedOut" not in answer  # seen in live answers only: see README, "TED"
    notice = schemas["NoticeResponse"]["properties"]
    assert notice["publication-number"] == {"type": "string"}
    assert notice["publication-date"] == {"type": "array", "items": {"type": "string"}}
    assert notice["links"]["properties"]["xml"] == {"type": "object", "additionalProperties": {"type": "string"}}


def test_v3_search_is_deprecated_in_favour_of_v4_which_the_file_does_not_describe():
    paths = published()["paths"]
    operation = paths[SEARCH]["post"]
    assert operation["deprecated"] is True and "/v4/notices/search" in operation["summary"]
    assert not [p for p in paths if p.startswith("/v4/")]


def test_each_error_type_of_the_specification_has_its_message():
    schemas = published()["components"]["schemas"]
    types = {schemas[name]["properties"]["type"]["enum"][0] for name in ERROR_SCHEMAS}
    assert types == ted.QUERY_ERRORS | ted.TOKEN_ERRORS | {"UNSUPPORTED_VALUE"}
    four_hundred = published()["paths"][SEARCH]["post"]["responses"]["400"]["content"]["*/*"]["schema"]["oneOf"]
    assert len(four_hundred) == 8
    for kind in types:
        message = str(ted.refusal({"type": kind}))
        assert kind in message and not message.startswith("TED answered HTTP 400")


def test_correction_1_the_field_list_belongs_to_the_items():
    valid = body(query="q", fields=["publication-number"])
    with pytest.raises(Violation, match="is not one of"):
        TedContract(corrected(which=(2, 3))).check_request("POST", SEARCH, valid, "application/json")
    contract().check_request("POST", SEARCH, valid, "application/json")


def test_correction_2_the_limit_of_250_is_enforced():
    too_many = body(query="q", fields=["publication-number"], limit=251)
    TedContract(corrected(which=(1, 3))).check_request("POST", SEARCH, too_many, "application/json")  # passes
    with pytest.raises(Violation, match="greater than the maximum of 250"):
        contract().check_request("POST", SEARCH, too_many, "application/json")


def test_correction_3_each_error_matches_one_schema_only():
    syntax = body(type="QUERY_SYNTAX_ERROR", location={"beginLine": 1, "beginColumn": 3})
    with pytest.raises(Violation):
        TedContract(corrected(which=(1, 2))).check_answer(SEARCH, 400, syntax)
    contract().check_answer(SEARCH, 400, syntax)
    with pytest.raises(Violation):
        contract().check_answer(SEARCH, 400, body(type="NO_SUCH_ERROR"))


def test_the_contract_refuses_answers_ted_would_not_give():
    with pytest.raises(Violation):
        contract().check_answer(SEARCH, 200, body(notices="none"))
    with pytest.raises(Violation):
        contract().check_answer(SEARCH, 200, body(notices=[{"publication-number": 479730}]))
    contract().check_answer(SEARCH, 200, body(notices=[], totalNoticeCount=0, timedOut=True))
