"""Hilma's API in its documented shapes, fed with the Hilma national notices of ../shared/corpus/hilma-sdk:
the eForms search index (``value[]`` with ``noticeId``, ``datePublished``, ``isEForms``, ``isPlan``;
``@odata.count``), each eForms notice as JSON with ``eForm`` (Base64 of the XML), the subscription key on
every request, plans and pre-eForms notices skipped and counted by kind, and a 429 whose body is a plain
string."""

import datetime as dt
import json

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.utils import timezone

from notices.models import Notice, Rejection, Source
from notices.tokens import create_token
from tests.conftest import corpus_path
from tests.httpserver import Response
from tests.polling.conftest import make_source, poll_now
from tests.polling.fakes import KEY_HEADER

pytestmark = pytest.mark.django_db

E1, E3, E4 = "a104a8d6-0de8-4cfc-9905-285cdc265aa1", "56077513-464c-430b-b196-37e75ba80649", "13e6bd2f-56e8-4d60-b09e-a685b74dd4ee"


def national(name: str) -> bytes:
    return corpus_path("hilma-sdk", name).read_bytes()


def hilma_source(hilma, **fields) -> Source:
    fields.setdefault("watermark", "2025-03-01T00:00:00.000Z")
    return make_source(hilma.server.base, kind=Source.Kind.HILMA, **fields)


def test_hilma_searches_then_reads_each_national_notice_with_the_subscription_key(hilma):
    e3 = hilma.add_eforms(101, "2025-03-19T13:35:03Z", national("E3_minimum.xml"))
    e1 = hilma.add_eforms(102, "2025-03-19T15:28:53+02:00", national("E1_minimum.xml"))
    e4 = hilma.add_eforms(103, "2025-03-20T08:00:00Z", national("E4_minimum.xml"))
    query = json.dumps({"search": "*", "filter": "mainType eq 'ContractNotices'"})
    source = hilma_source(hilma, query=query)
    result = poll_now(source)
    assert (result.status, result.counts["new"]) == ("ok", 3)
    assert {r.headers[KEY_HEADER] for r in hilma.server.log} == {"test-key"}
    assert {r.headers["Accept"] for r in hilma.server.log} == {"application/json"}
    (search,) = hilma.searches
    assert search.method == "POST" and search.json() == {
        "search": "*",
        "filter": "(mainType eq 'ContractNotices') and datePublished ge 2025-03-01T00:00:00.000Z",
        "orderby": "datePublished asc",
        "top": 100,
        "skip": 0,
        "count": True,
        "select": "noticeId,datePublished,isEForms,isPlan",
    }
    assert Notice.objects.get(source_id=E3).title == "E3_minimum"
    assert {n.notice_type for n in Notice.objects.all()} == {"pmc", "cn-standard", "can-standard"}
    assert Notice.objects.get(source_id=E1).current_version.origin.endswith(e1)
    assert (source.watermark, source.cursor["seen"]) == ("2025-03-20T08:00:00.000Z", ["103"])

    # The next poll asks from the watermark and skips the notice already read there.
    assert poll_now(source).counts["new"] == 0
    assert "datePublished ge 2025-03-20T08:00:00.000Z" in hilma.searches[-1].json()["filter"]
    assert [hilma.server.hits(p) for p in (e3, e1, e4)] == [1, 1, 1]


def test_plans_and_pre_eforms_notices_are_skipped_and_counted_by_kind(hilma):
    """They are in the same index, but the eForms endpoint cannot give them (404 here, as on Hilma): fetched
    as eForms notices they failed three times and ended as rejections."""
    hilma.add_plan(201, "2025-03-18T10:00:00Z")
    hilma.add_pre_eforms(202, "2025-03-18T11:00:00Z")
    hilma.add_plan(203, "2025-03-19T09:00:00Z")
    hilma.add_eforms(101, "2025-03-19T13:35:03Z", national("E3_minimum.xml"))
    # An eForms notice the endpoint cannot give yet: the watermark stays and the next poll lists all again.
    hilma.documents.append({"noticeId": 105, "datePublished": "2025-03-20T09:00:00Z", "isEForms": True, "isPlan": False})
    source = hilma_source(hilma, name="Hilma")
    result = poll_now(source)
    assert result.status == "ok" and result.counts["new"] == 1 and result.counts["rejected"] == 0
    assert result.summary() == (
        "new: 1, updated: 0, unchanged: 0, rejected: 0, skipped: 3 (plan: 2, pre-eForms: 1); 1 item(s) failed: "
        f"{hilma.server.base}/avp-eforms/external-read/v1/notice/105: the server answered HTTP 404"
    )
    fetched = [r.path.rsplit("/", 1)[1] for r in hilma.server.log if "/notice/" in r.path]
    assert fetched == ["101", "105"]  # never 201, 202, 203
    assert source.skipped == {"plan": 2, "pre-eForms": 1} and source.watermark == "2025-03-01T00:00:00.000Z"
    assert Rejection.objects.count() == 0

    # Listed again with the watermark unmoved: what was skipped is not counted twice.
    hilma.add_plan(204, "2025-03-21T09:00:00Z")
    assert poll_now(source).skipped == {"plan": 1}
    assert source.skipped == {"plan": 3, "pre-eForms": 1}

    # Shown with the source's health: the API for operators, and the admin.
    staff = User.objects.create_user("operator", password="x", is_staff=True)
    _, secret = create_token(staff, "monitoring")
    (shown,) = Client().get("/api/sources", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert (shown["skipped"], shown["healthy"], shown["empty_polls"]) == ({"plan": 3, "pre-eForms": 1}, True, 0)
    client = Client()
    client.force_login(User.objects.create_superuser("admin", "admin@example.fi", "x"))
    page = client.get(f"/admin/notices/source/{source.pk}/change/").content.decode()
    assert "pre-eForms" in page and "Hilma: search hits not fetched" in page


def test_a_429_says_what_hilma_said_and_pushes_the_next_poll(hilma):
    hilma.add_eforms(101, "2025-03-19T13:35:03Z", national("E3_minimum.xml"))
    hilma.throttled = 1
    source = hilma_source(hilma)
    result = poll_now(source)
    assert result.status == "rate-limited"
    assert "Rate limit is exceeded. Try again in 60 seconds." in source.last_error
    assert source.next_poll_at >= timezone.now() + dt.timedelta(seconds=55)
    assert Notice.objects.count() == 0


def test_hilma_without_a_key_asks_nothing(http_server):
    source = make_source(http_server.base, kind=Source.Kind.HILMA)
    with override_settings(HILMA_API_KEY=""):
        assert poll_now(source).status == "error"
    assert "HILMA_API_KEY is not set" in source.last_error and http_server.log == []


def test_a_wrong_key_is_an_error_that_says_so(hilma):
    source = hilma_source(hilma)
    with override_settings(HILMA_API_KEY="not-my-key"):
        assert poll_now(source).status == "error"
    assert source.last_error == "Hilma refused the subscription key (HTTP 401): check HILMA_API_KEY"


def test_a_hilma_notice_without_its_eform_is_retried_next_poll(hilma):
    hilma.documents.append({"noticeId": 7, "datePublished": "2025-03-19T10:00:00Z", "isEForms": True, "isPlan": False})
    hilma.server.serve("/avp-eforms/external-read/v1/notice/7", Response(200, b'{"id": 7, "eForm": "not base64!"}'))
    source = hilma_source(hilma)
    poll_now(source)
    assert "is not Base64" in source.last_error
    assert source.cursor["failed"] == {"7": 1} and source.watermark == "2025-03-01T00:00:00.000Z"


def test_a_hit_without_the_kind_flags_is_read_as_an_eforms_notice(hilma):
    hilma.add_eforms(101, "2025-03-19T13:35:03Z", national("E3_minimum.xml"))
    for document in hilma.documents:
        del document["isEForms"], document["isPlan"]
    assert poll_now(hilma_source(hilma)).counts["new"] == 1
