"""TED's search API v3 and Hilma's API, served on 127.0.0.1 in the shapes their documentation gives:
iteration with ``iterationNextToken``, each notice's XML from its link, Hilma's Base64 eForms in JSON
behind the subscription key; a restart resumes from the saved watermark without refetching."""

import base64
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from notices.models import Notice, Rejection, Source
from tests.conftest import corpus_path
from tests.httpserver import Response
from tests.polling.conftest import make_source, poll_now

pytestmark = pytest.mark.django_db

SEARCH = "/v3/notices/search"
EFORMS = {
    "00100001-2024": "cn_24_open.xml",
    "00100002-2024": "cn_24_minimal.xml",
    "00100003-2024": "pin-only_24.xml",
    "00100004-2024": "cn_25.xml",
}


def ted_notice(server, number: str, published: str) -> dict:
    """One search result with the fields we ask for (TED Search API v3, ExpertSearchResponse.notices)."""
    xml = f"/en/notice/{number}/xml"
    server.serve(xml, Response(200, corpus_path("eforms-sdk-1.15.1", EFORMS[number]).read_bytes()))
    return {
        "publication-number": number,
        "publication-date": published,
        "links": {
            "xml": {"MUL": server.base + xml},
            "pdf": {"ENG": server.base + f"/en/notice/{number}/pdf"},
            "html": {"ENG": server.base + f"/en/notice/-/detail/{number}"},
        },
    }


def ted_page(notices: list, token: str | None, total: int) -> Response:
    body = {"notices": notices, "totalNoticeCount": total, "iterationNextToken": token, "timedOut": False}
    return Response(200, json.dumps(body).encode(), {"Content-Type": "application/json"})


def test_ted_iterates_then_a_restart_resumes_from_the_saved_watermark(http_server):
    n1 = ted_notice(http_server, "00100001-2024", "2024-03-01+01:00")
    n2 = ted_notice(http_server, "00100002-2024", "2024-03-01+01:00")
    n3 = ted_notice(http_server, "00100003-2024", "2024-03-04+01:00")
    http_server.serve(
        SEARCH,
        ted_page([n1, n2], "tok-1", 3),
        ted_page([n3], "tok-2", 3),
        ted_page([], "tok-3", 3),  # the API still sends a token with its last, empty page
    )
    source = make_source(http_server.base, kind=Source.Kind.TED, name="TED Finland", watermark="20240301")
    result = poll_now(source)
    assert (result.status, result.counts["new"], result.seen) == ("ok", 3, 3)

    searches = [r.json() for r in http_server.requests_to(SEARCH)]
    assert [r.method for r in http_server.requests_to(SEARCH)] == ["POST"] * 3
    assert searches[0] == {
        "query": "buyer-country = FIN AND publication-date >= 20240301",
        "fields": ["publication-number", "publication-date", "links"],
        "limit": 100,
        "paginationMode": "ITERATION",
    }
    assert [s.get("iterationNextToken") for s in searches] == [None, "tok-1", "tok-2"]
    assert Notice.objects.count() == 3
    assert Notice.objects.get(source_id="c4c415ee-ac08-4465-8fa6-57568cf69462").current_version.origin == (
        n1["links"]["xml"]["MUL"]
    )
    assert (source.watermark, source.cursor) == ("20240304", {"seen": ["00100003-2024"], "failed": {}})

    # A restart: a new process knows only the database. TED lists the watermark day again (with the
    # notice already fetched) and a newer notice; only the newer one is fetched.
    n4 = ted_notice(http_server, "00100004-2024", "2024-03-05+01:00")
    http_server.serve(SEARCH, ted_page([n3, n4], "tok-a", 2), ted_page([], None, 2))
    out = StringIO()
    call_command("poll", "TED Finland", stdout=out)
    assert out.getvalue() == "TED Finland: new: 1, updated: 0, unchanged: 0, rejected: 0\n"

    (restarted, _) = [r.json() for r in http_server.requests_to(SEARCH)[3:]]
    assert restarted["query"] == "buyer-country = FIN AND publication-date >= 20240304"
    assert "iterationNextToken" not in restarted
    assert http_server.hits("/en/notice/00100003-2024/xml") == 1  # not refetched
    assert http_server.hits("/en/notice/00100001-2024/xml") == 1
    assert http_server.hits("/en/notice/00100004-2024/xml") == 1
    source.refresh_from_db()
    assert (source.watermark, source.cursor["seen"], Notice.objects.count()) == ("20240305", ["00100004-2024"], 4)


def test_ted_query_without_since_runs_from_the_watermark_and_a_first_poll_looks_back(http_server):
    http_server.serve(SEARCH, ted_page([], None, 0))
    source = make_source(http_server.base, kind=Source.Kind.TED, query="classification-cpv = 72000000")
    assert poll_now(source).status == "ok"
    query = http_server.requests_to(SEARCH)[0].json()["query"]
    assert query.startswith("(classification-cpv = 72000000) AND publication-date >= 20")
    assert source.watermark == query[-8:]  # nothing found: the watermark is where it started


def test_a_ted_notice_that_cannot_be_fetched_is_retried_then_given_up(http_server):
    good = ted_notice(http_server, "00100001-2024", "2024-03-01+01:00")
    gone = {"publication-number": "00999999-2024", "publication-date": "2024-03-02+01:00",
            "links": {"xml": {"MUL": http_server.base + "/en/notice/00999999-2024/xml"}}}
    http_server.serve(SEARCH, ted_page([good, gone], None, 2))
    source = make_source(http_server.base, kind=Source.Kind.TED, watermark="20240301")

    first = poll_now(source)
    assert first.status == "ok" and first.counts["new"] == 1
    assert "HTTP 404" in source.last_error and source.watermark == "20240301"  # not moved past the gap
    assert source.cursor == {"seen": ["00100001-2024"], "failed": {"00999999-2024": 1}}
    poll_now(source)
    poll_now(source)  # the third attempt gives up: rejected, kept for an operator, and the watermark moves
    assert http_server.hits("/en/notice/00999999-2024/xml") == 3
    assert http_server.hits("/en/notice/00100001-2024/xml") == 1
    assert Rejection.objects.filter(origin__endswith="/00999999-2024/xml").count() == 1
    assert (source.watermark, source.cursor["failed"]) == ("20240302", {})


def test_a_ted_answer_not_shaped_as_documented_is_an_error(http_server):
    http_server.serve(SEARCH, Response(200, b'{"results": []}'))
    source = make_source(http_server.base, kind=Source.Kind.TED)
    assert poll_now(source).status == "error"
    assert "no 'notices' list" in source.last_error


HILMA_SEARCH = "/avp/eformnotices/docs/search"


def hilma_notice(server, notice_id: int, filename: str) -> str:
    path = f"/avp-eforms/external-read/v1/notice/{notice_id}"
    xml = corpus_path("hilma-sdk", filename).read_bytes()
    body = {"id": notice_id, "procedureId": 9000 + notice_id, "eForm": base64.b64encode(xml).decode()}
    server.serve(path, Response(200, json.dumps(body).encode(), {"Content-Type": "application/json"}))
    return path


def hilma_search(*documents: dict) -> Response:
    body = {"@odata.count": len(documents), "value": list(documents)}
    return Response(200, json.dumps(body).encode(), {"Content-Type": "application/json"})


def test_hilma_searches_then_reads_each_notice_with_the_subscription_key(http_server):
    e3 = hilma_notice(http_server, 101, "E3_minimum.xml")
    e1 = hilma_notice(http_server, 102, "E1_minimum.xml")
    http_server.serve(
        HILMA_SEARCH,
        hilma_search(
            {"noticeId": 101, "datePublished": "2024-05-02T10:00:00Z"},
            {"noticeId": 102, "datePublished": "2024-05-03T08:30:00+03:00"},
        ),
    )
    query = json.dumps({"search": "*", "filter": "mainType eq 'ContractNotices'"})
    source = make_source(http_server.base, kind=Source.Kind.HILMA, query=query, watermark="2024-05-01T00:00:00.000Z")
    result = poll_now(source)
    assert (result.status, result.counts["new"]) == ("ok", 2)
    assert {r.headers["Ocp-Apim-Subscription-Key"] for r in http_server.log} == {"test-key"}
    (search,) = http_server.requests_to(HILMA_SEARCH)
    assert search.method == "POST" and search.json() == {
        "search": "*",
        "filter": "(mainType eq 'ContractNotices') and datePublished ge 2024-05-01T00:00:00.000Z",
        "orderby": "datePublished asc",
        "top": 100,
        "skip": 0,
        "count": True,
        "select": "noticeId,datePublished",
    }
    assert Notice.objects.get(source_id="56077513-464c-430b-b196-37e75ba80649").title == "E3_minimum"
    assert Notice.objects.get(source_id="a104a8d6-0de8-4cfc-9905-285cdc265aa1").current_version.origin.endswith(e1)
    assert (source.watermark, source.cursor["seen"]) == ("2024-05-03T05:30:00.000Z", ["102"])

    # The next poll asks from the watermark and skips the notice already read there.
    http_server.serve(HILMA_SEARCH, hilma_search({"noticeId": 102, "datePublished": "2024-05-03T05:30:00Z"}))
    assert poll_now(source).counts["new"] == 0
    assert "datePublished ge 2024-05-03T05:30:00.000Z" in http_server.requests_to(HILMA_SEARCH)[-1].json()["filter"]
    assert (http_server.hits(e3), http_server.hits(e1)) == (1, 1)


def test_hilma_without_a_key_asks_nothing(http_server):
    source = make_source(http_server.base, kind=Source.Kind.HILMA)
    with override_settings(HILMA_API_KEY=""):
        assert poll_now(source).status == "error"
    assert "HILMA_API_KEY is not set" in source.last_error and http_server.log == []


def test_a_hilma_notice_without_its_eform_is_retried_next_poll(http_server):
    http_server.serve(
        "/avp-eforms/external-read/v1/notice/7", Response(200, b'{"id": 7, "eForm": "not base64!"}')
    )
    http_server.serve(HILMA_SEARCH, hilma_search({"noticeId": 7, "datePublished": "2024-05-02T10:00:00Z"}))
    source = make_source(http_server.base, kind=Source.Kind.HILMA, watermark="2024-05-01T00:00:00.000Z")
    poll_now(source)
    assert "is not Base64" in source.last_error
    assert source.cursor["failed"] == {"7": 1} and source.watermark == "2024-05-01T00:00:00.000Z"


def test_a_ted_poll_stopped_by_a_shutdown_resumes_where_it_stopped(http_server):
    from django.utils import timezone

    from notices import polling

    n1 = ted_notice(http_server, "00100001-2024", "2024-03-01+01:00")
    n2 = ted_notice(http_server, "00100002-2024", "2024-03-01+01:00")
    n3 = ted_notice(http_server, "00100003-2024", "2024-03-04+01:00")
    pages = (ted_page([n1, n2], "tok-1", 3), ted_page([n3], "tok-2", 3), ted_page([], None, 3))
    http_server.serve(SEARCH, *pages)
    source = make_source(http_server.base, kind=Source.Kind.TED, watermark="20240301")
    claimed = polling.claim(source.pk, "w")
    polling.poll(claimed, "w", stop=lambda: True)  # SIGTERM arrived: stop after the page in hand
    source.refresh_from_db()
    assert source.cursor["seen"] == ["00100001-2024", "00100002-2024"] and source.watermark == "20240301"
    assert source.next_poll_at <= timezone.now() and source.lease_until is None  # due again at once

    http_server.serve(SEARCH, *pages)
    assert poll_now(source).counts["new"] == 1
    assert [http_server.hits(f"/en/notice/0010000{n}-2024/xml") for n in (1, 2, 3)] == [1, 1, 1]
    assert source.watermark == "20240304"
