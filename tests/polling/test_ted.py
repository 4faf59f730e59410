"""TED's search API as its published specification describes it (the fake checks every request and answer
against ../shared/realapi/ted-api-v3.yaml): iteration, scope ALL, timedOut pages, the Accept header,
unpadded publication numbers, the specification's errors as source-health messages, a query that finds
nothing while TED has notices, and a restart that resumes from the saved watermark."""

import datetime as dt
import json
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import override_settings

from notices.models import Notice, Rejection, Source
from scheduler.models import Message, Reminder, State
from tests.conftest import corpus_path
from tests.httpserver import Response
from tests.polling.conftest import UTC, make_source, poll_now
from tests.polling.fakes import SEARCH
from tests.polling.test_pages import subscribe

pytestmark = pytest.mark.django_db


def sdk(name: str) -> bytes:
    return corpus_path("eforms-sdk-1.15.1", name).read_bytes()


def ted_source(ted, **fields) -> Source:
    fields.setdefault("watermark", "20240301")
    return make_source(ted.server.base, kind=Source.Kind.TED, **fields)


def test_ted_iterates_then_a_restart_resumes_from_the_saved_watermark(ted):
    ted.add("141590-2024", "2024-03-01+01:00", sdk("cn_24_open.xml"))
    ted.add("141591-2024", "2024-03-01+01:00", sdk("cn_24_minimal.xml"))
    ted.add("148811-2024", "2024-03-04+01:00", sdk("pin-only_24.xml"))
    source = ted_source(ted, name="TED Finland")
    with override_settings(POLL_PAGE_SIZE=2):
        result = poll_now(source)
    assert (result.status, result.counts["new"], result.seen) == ("ok", 3, 3)

    assert [r.method for r in ted.searches] == ["POST"] * 3
    assert ted.bodies[0] == {
        "query": "buyer-country = FIN AND publication-date >= 20240301",
        "fields": ["publication-number", "publication-date", "links"],
        "limit": 2,
        "scope": "ALL",
        "paginationMode": "ITERATION",
    }
    # TED sends a token with its last page too: the empty page after it ends the iteration.
    assert [b.get("iterationNextToken") for b in ted.bodies] == [None, "it-2", "it-3"]
    assert Notice.objects.count() == 3
    origin = Notice.objects.get(source_id="c4c415ee-ac08-4465-8fa6-57568cf69462").current_version.origin
    assert origin == f"{ted.server.base}/en/notice/141590-2024/xml"
    assert (source.watermark, source.cursor) == ("20240304", {"seen": ["148811-2024"], "failed": {}})

    # A restart: a new process knows only the database. TED lists the watermark day again (with the
    # notice already fetched) and a newer notice; only the newer one is fetched.
    newer = ted.add("150230-2024", "2024-03-05+01:00", sdk("cn_25.xml"))
    out = StringIO()
    call_command("poll", "TED Finland", stdout=out)
    assert out.getvalue() == "TED Finland: new: 1, updated: 0, unchanged: 0, rejected: 0\n"
    restarted = ted.bodies[3]
    assert restarted["query"] == "buyer-country = FIN AND publication-date >= 20240304"
    assert "iterationNextToken" not in restarted
    assert [n.xml_hits for n in ted.notices] == [1, 1, 1, 1] and newer.xml_hits == 1
    source.refresh_from_db()
    assert (source.watermark, source.cursor["seen"], Notice.objects.count()) == ("20240305", ["150230-2024"], 4)


def test_json_is_asked_of_the_search_and_xml_of_a_notice(ted):
    ted.add("141590-2024", "2024-03-01+01:00", sdk("cn_24_open.xml"))
    poll_now(ted_source(ted))
    assert {r.headers["Accept"] for r in ted.searches} == {"application/json"}
    assert {r.headers["Content-Type"] for r in ted.searches} == {"application/json"}
    assert [r.headers["Accept"] for r in ted.xml_requests()] == ["application/xml"]


def test_publication_numbers_are_used_as_ted_writes_them_never_padded(ted):
    ted.add("9-2024", "2024-03-01+01:00", sdk("cn_24_open.xml"))
    ted.add("479730-2024", "2024-03-01+01:00", sdk("cn_24_minimal.xml"))
    ted.omit_links = True  # no links.xml: the poller builds the address from TED_NOTICE_XML_URL
    source = ted_source(ted)
    with override_settings(TED_NOTICE_XML_URL=ted.server.base + "/en/notice/{publication_number}/xml"):
        assert poll_now(source).counts["new"] == 2
    assert [r.path for r in ted.xml_requests()] == ["/en/notice/479730-2024/xml", "/en/notice/9-2024/xml"]
    assert sorted(source.cursor["seen"]) == ["479730-2024", "9-2024"]


def test_cancellations_and_results_of_closed_calls_are_listed_with_scope_all(ted):
    """TED's own default scope, ACTIVE, lists only active notices: the cancellation of a call, or its
    result, may never be listed, and the tracker would go on reminding its followers."""
    ted.add("600001-2019", "2019-11-21+01:00", sdk("cn_24_minimal.xml"))
    with time_machine.travel(dt.datetime(2019, 11, 22, 9, 0, tzinfo=UTC), tick=False):
        source = ted_source(ted, watermark="20191121")
        poll_now(source)
        notice = Notice.objects.get()
        subscription = subscribe(notice)
        assert Reminder.objects.filter(subscription=subscription, state=State.SCHEDULED).exists()

    ted.notices[0].active = False  # the call has closed for new notices: TED no longer counts it active
    ted.add("700001-2019", "2019-12-21+01:00", sdk("change-cn_24_void.xml"), active=False)
    ted.add("700002-2019", "2019-12-21+01:00", sdk("can_24_minimal.xml"), active=False)
    with time_machine.travel(dt.datetime(2019, 12, 22, 9, 0, tzinfo=UTC), tick=False):
        with override_settings(TED_SCOPE="ACTIVE"):  # what the poller sent before: nothing is listed
            assert poll_now(source).counts["new"] == 0
        assert ted.bodies[-1]["scope"] == "ACTIVE"
        notice.refresh_from_db()
        assert notice.status == "active"

        result = poll_now(source)  # scope ALL, the default
    assert ted.bodies[-1]["scope"] == "ALL"
    assert (result.counts["new"], result.counts["updated"]) == (1, 1)  # the result; the cancellation
    notice.refresh_from_db()
    assert notice.status == "cancelled"
    assert Notice.objects.get(source_id="65667997-031a-4198-bd25-7225449ef479").notice_type == "can-standard"
    assert not Reminder.objects.filter(subscription=subscription, state=State.SCHEDULED).exists()
    assert Message.objects.filter(subscription=subscription, kind=Message.Kind.CANCELLED).count() == 1


def test_a_timed_out_page_is_asked_for_again_and_the_watermark_never_passes_it(ted):
    for n, (number, name) in enumerate([("141590-2024", "cn_24_open.xml"), ("141591-2024", "cn_24_minimal.xml")]):
        ted.add(number, f"2024-03-0{n + 2}+01:00", sdk(name))
    source = ted_source(ted)
    ted.timed_out(times=1)
    result = poll_now(source)
    assert result.status == "ok" and result.counts["new"] == 2
    assert [b.get("iterationNextToken") for b in ted.bodies] == [None, None, "it-2"]  # the same page again
    assert source.watermark == "20240303"

    # TED keeps timing out: the poll ends at that page with an error, and the watermark stays.
    ted.add("150230-2024", "2024-03-05+01:00", sdk("cn_25.xml"))
    ted.timed_out(times=3)
    result = poll_now(source)
    assert result.status == "error" and "timedOut: true 3 times for page 1" in source.last_error
    assert "watermark stays" in source.last_error
    assert (source.watermark, ted.notices[2].xml_hits) == ("20240303", 0)  # nothing on it taken as complete
    assert poll_now(source).counts["new"] == 1  # the next poll asks again
    assert source.watermark == "20240305"


def test_a_ted_notice_that_cannot_be_fetched_is_retried_then_given_up(ted):
    ted.add("141590-2024", "2024-03-01+01:00", sdk("cn_24_open.xml"))
    gone = ted.add("999999-2024", "2024-03-02+01:00", b"")
    ted.server.serve("/en/notice/999999-2024/xml", Response(404, b"not found"))
    source = ted_source(ted)

    first = poll_now(source)
    assert first.status == "ok" and first.counts["new"] == 1
    assert "HTTP 404" in source.last_error and source.watermark == "20240301"  # not moved past the gap
    assert source.cursor == {"seen": ["141590-2024"], "failed": {"999999-2024": 1}}
    poll_now(source)
    poll_now(source)  # the third attempt gives up: rejected, kept for an operator, and the watermark moves
    assert ted.server.hits("/en/notice/999999-2024/xml") == 3 and gone.xml_hits == 0
    assert ted.notices[0].xml_hits == 1
    assert Rejection.objects.filter(origin__endswith="/999999-2024/xml").count() == 1
    assert (source.watermark, source.cursor["failed"]) == ("20240302", {})


def test_a_ted_answer_not_shaped_as_specified_is_an_error(http_server):
    http_server.serve(SEARCH, Response(200, b'{"results": []}'))
    source = make_source(http_server.base, kind=Source.Kind.TED)
    assert poll_now(source).status == "error"
    assert "no 'notices' list" in source.last_error


def test_the_api_version_is_one_setting(http_server):
    """v4 is not described by the published file, so this only shows where the version goes."""
    http_server.serve("/v4/notices/search", Response(200, b'{"notices": [], "totalNoticeCount": 0}'))
    with override_settings(TED_API_VERSION="v4"):
        assert poll_now(make_source(http_server.base, kind=Source.Kind.TED)).status == "ok"
    assert [r.path for r in http_server.log] == ["/v4/notices/search"]


def test_a_page_size_above_what_ted_allows_is_capped(ted):
    with override_settings(POLL_PAGE_SIZE=1000):
        poll_now(ted_source(ted))
    assert ted.bodies[0]["limit"] == 250


# --- the specification's errors, each with a message an operator can act on ------------------------------

LOCATION = {"beginLine": 1, "beginColumn": 17, "endLine": 1, "endColumn": 20}
REFUSALS = [
    (
        {"type": "QUERY_SYNTAX_ERROR", "location": LOCATION},
        "TED cannot read the source's query at line 1, column 17 (QUERY_SYNTAX_ERROR): correct the source's "
        "query (admin, Sources)",
    ),
    (
        {"type": "QUERY_UNKNOWN_FIELD", "location": LOCATION, "fieldName": "buyer-countri"},
        "TED has no field 'buyer-countri' in the source's query at line 1, column 17 (QUERY_UNKNOWN_FIELD)",
    ),
    (
        {"type": "QUERY_INVALID_FIELD_FORMAT", "location": LOCATION, "fieldName": "publication-date",
         "allowedPattern": "yyyyMMdd"},
        "the value of 'publication-date' in the source's query is not in a form TED reads at line 1, column 17; "
        "it must match yyyyMMdd (QUERY_INVALID_FIELD_FORMAT)",
    ),
    (
        {"type": "QUERY_UNSUPPORTED_FIELD_OPERATION", "location": LOCATION, "operation": "WILDCARD",
         "fieldName": "publication-date"},
        "TED cannot apply WILDCARD to the field 'publication-date' at line 1, column 17 "
        "(QUERY_UNSUPPORTED_FIELD_OPERATION)",
    ),
    (
        {"type": "QUERY_UNSUPPORTED_FIELD_VALUE", "location": LOCATION, "fieldName": "buyer-country",
         "fieldValue": "FINLAND"},
        "TED does not accept 'FINLAND' for the field 'buyer-country' at line 1, column 17 "
        "(QUERY_UNSUPPORTED_FIELD_VALUE)",
    ),
    (
        {"message": "Unsupported value", "error": {"type": "UNSUPPORTED_VALUE", "parameterName": "scope",
                                                    "unsupportedValue": "EVERYTHING"}},
        "TED refused the request's scope = 'EVERYTHING' (UNSUPPORTED_VALUE): check TED_SCOPE, POLL_PAGE_SIZE "
        "and TED_API_VERSION",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("answer", "message"), REFUSALS, ids=[a.get("type", "UNSUPPORTED_VALUE") for a, _ in REFUSALS])
def test_a_refused_query_or_parameter_flags_the_source_at_once_with_what_to_do(ted, answer, message):
    source = ted_source(ted, name="TED Finland")
    ted.refuse(answer)
    result = poll_now(source)
    assert result.status == "error" and message in source.last_error
    assert not source.healthy and message in source.problem  # flagged now, not after 3 intervals
    assert len(mail.outbox) == 1 and "TED Finland" in mail.outbox[0].subject

    # The operator corrected it: TED takes it, and the flag ends even though a notice cannot be had yet.
    ted.add("999999-2024", "2024-03-02+01:00", b"")
    ted.server.serve("/en/notice/999999-2024/xml", Response(404, b"not found"))
    assert poll_now(source).status == "ok" and source.cursor["failed"] == {"999999-2024": 1}
    assert source.healthy and source.problem == "" and source.broken == ""


@pytest.mark.parametrize("kind", ["EXPIRED_ITERATION_TOKEN", "INVALID_ITERATION_TOKEN"])
def test_an_iteration_token_refused_mid_poll_lists_again_from_the_first_page(ted, kind):
    ted.add("141590-2024", "2024-03-01+01:00", sdk("cn_24_open.xml"))
    ted.add("141591-2024", "2024-03-02+01:00", sdk("cn_24_minimal.xml"))
    ted.add("148811-2024", "2024-03-04+01:00", sdk("pin-only_24.xml"))
    source = ted_source(ted)
    ted.scripted.extend(["ok", (400, {"type": kind})])  # the first page as usual; then the token is refused
    with override_settings(POLL_PAGE_SIZE=2):
        result = poll_now(source)
    assert result.status == "ok" and result.counts["new"] == 3
    assert [b.get("iterationNextToken") for b in ted.bodies] == [None, "it-2", None, "it-2", "it-3"]
    assert [n.xml_hits for n in ted.notices] == [1, 1, 1]  # nothing fetched twice
    assert f"({kind}) on page 2: listed again from the first page" in source.last_error
    assert source.healthy and source.watermark == "20240304"


def test_a_token_refused_again_after_the_new_start_is_an_error_and_keeps_the_watermark(ted):
    ted.add("141590-2024", "2024-03-01+01:00", sdk("cn_24_open.xml"))
    ted.add("141591-2024", "2024-03-02+01:00", sdk("cn_24_minimal.xml"))
    ted.add("148811-2024", "2024-03-04+01:00", sdk("pin-only_24.xml"))
    ted.expired = {"it-2"}
    source = ted_source(ted)
    with override_settings(POLL_PAGE_SIZE=2):
        result = poll_now(source)
    assert result.status == "error"
    assert source.last_error == "TED's iteration token expired (EXPIRED_ITERATION_TOKEN)"
    assert source.watermark == "20240301" and source.cursor["seen"] == ["141590-2024", "141591-2024"]


def test_a_server_error_says_what_ted_said(ted):
    ted.scripted.extend([(500, {"message": "Search engine unavailable", "error": {}})] * 3)
    source = ted_source(ted)
    with override_settings(INGEST_RETRIES=1):
        assert poll_now(source).status == "error"
    assert source.last_error.endswith("the server answered HTTP 500: Search engine unavailable")


# --- a query that finds nothing while TED has notices ------------------------------------------------------


def test_a_query_that_finds_nothing_for_3_polls_while_ted_has_notices_for_its_country_is_flagged(ted):
    ted.add("141590-2024", "2024-03-02+01:00", sdk("cn_24_open.xml"))
    # A date in the wrong form: TED answers 200 with no notices, not an error.
    source = ted_source(ted, name="TED typo", query="buyer-country = FIN AND publication-date >= 2024-03-01")
    for n in (1, 2):
        assert poll_now(source).status == "ok"
        assert (source.empty_polls, source.healthy) == (n, True)
    assert len(ted.bodies) == 2  # no extra question before the third empty poll

    poll_now(source)
    probe = ted.bodies[-1]
    assert probe == {
        "query": "buyer-country = FIN AND publication-date >= 20240301",
        "fields": ["publication-number"],
        "limit": 1,
        "scope": "ALL",
    }
    assert source.empty_polls == 3 and not source.healthy
    assert source.problem.startswith(
        "the query has listed no notice for 3 polls in a row, while TED has notices for buyer-country FIN "
        "published since 20240301: check the query"
    )
    assert len(mail.outbox) == 1

    Source.objects.filter(pk=source.pk).update(query="buyer-country = FIN AND publication-date >= {since}")
    source.refresh_from_db()
    assert poll_now(source).counts["new"] == 1
    assert (source.empty_polls, source.healthy, source.broken) == (0, True, "")


def test_a_quiet_country_is_no_problem(ted):
    source = ted_source(ted)
    for _ in range(4):
        poll_now(source)
    assert source.empty_polls == 4 and source.healthy
    assert [b["limit"] for b in ted.bodies] == [100, 100, 100, 1, 100, 1]  # asked after the 3rd and 4th


def test_the_search_requests_follow_the_published_specification(ted):
    """The fake validated each request (the ``ted`` fixture fails the test otherwise); here the
    requests of a dry run as well, which adds TED's own syntax check."""
    ted.add("141590-2024", "2024-03-01+01:00", sdk("cn_24_open.xml"))
    source = ted_source(ted, query="buyer-country IN (FIN SWE) AND publication-date >= {since}")
    out = StringIO()
    call_command("poll", "--dry-run", str(source.pk), stdout=out)
    assert ted.bodies[0] == {
        "query": "buyer-country IN (FIN SWE) AND publication-date >= 20240301",
        "fields": ["publication-number", "publication-date", "links"],
        "checkQuerySyntax": True,
    }
    assert json.loads(ted.searches[1].body)["scope"] == "ALL"


def test_a_ted_poll_stopped_by_a_shutdown_resumes_where_it_stopped(ted):
    from django.utils import timezone

    from notices import polling

    ted.add("141590-2024", "2024-03-01+01:00", sdk("cn_24_open.xml"))
    ted.add("141591-2024", "2024-03-01+01:00", sdk("cn_24_minimal.xml"))
    ted.add("148811-2024", "2024-03-04+01:00", sdk("pin-only_24.xml"))
    source = ted_source(ted)
    claimed = polling.claim(source.pk, "w")
    with override_settings(POLL_PAGE_SIZE=2):
        polling.poll(claimed, "w", stop=lambda: True)  # SIGTERM arrived: stop after the page in hand
    source.refresh_from_db()
    assert source.cursor["seen"] == ["141590-2024", "141591-2024"] and source.watermark == "20240301"
    assert source.next_poll_at <= timezone.now() and source.lease_until is None  # due again at once

    with override_settings(POLL_PAGE_SIZE=2):
        assert poll_now(source).counts["new"] == 1
    assert [n.xml_hits for n in ted.notices] == [1, 1, 1]
    assert source.watermark == "20240304"


def test_a_query_without_since_runs_from_the_watermark_and_a_first_poll_looks_back(ted):
    source = make_source(ted.server.base, kind=Source.Kind.TED, query="classification-cpv = 72000000")
    assert poll_now(source).status == "ok"
    query = ted.bodies[0]["query"]
    assert query.startswith("(classification-cpv = 72000000) AND publication-date >= 20")
    assert source.watermark == query[-8:]  # nothing found: the watermark is where it started
