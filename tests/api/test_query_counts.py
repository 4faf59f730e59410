"""The busiest reads cost the same number of queries for a page of 3 as for a page of 30: no query per row
(a deferred field read row by row once made the calendar list ten times slower at a million notices)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notices import search
from tests.api.conftest import Api, in_days, save

pytestmark = pytest.mark.django_db


@pytest.fixture
def many():
    for i in range(40):  # more than a page of 30 + 1: every page stays among the open notices
        save(f"q-{i}", title=f"Siivous {i}", deadlines=[("tender", in_days(2 + i)), ("questions", in_days(1 + i))])


def queries(url, params) -> tuple[int, dict]:
    api = Api()
    api.get(url, params)  # caches (labels, broad verdicts) filled first
    search.forget_broad()
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url, params)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries), response.json()


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/deadlines", {}),
        ("/api/notices", {}),
        ("/api/notices", {"status": "open", "q": "siivous"}),
    ],
)
def test_a_page_costs_the_same_queries_whatever_its_length(many, url, params):
    small, small_body = queries(url, {**params, "limit": 3})
    large, large_body = queries(url, {**params, "limit": 30})
    assert len(small_body["items"]) == 3 and len(large_body["items"]) == 30
    assert large == small, f"{url}: {small} queries for 3 rows, {large} for 30"


def test_the_calendar_list_carries_each_deadlines_review_reasons(many):
    _n, body = queries("/api/deadlines", {"limit": 5})
    assert [set(item) >= {"review_reasons", "needs_review", "at_helsinki"} for item in body["items"]] == [True] * 5
    assert all(item["review_reasons"] == [] for item in body["items"])
    assert dt.datetime.fromisoformat(body["items"][0]["at"]) < dt.datetime.fromisoformat(body["items"][-1]["at"])
