"""One definition of "matches": over the real corpus and random filters, an alert matches exactly the
notices that ``GET /api/notices`` with the same filters lists (every status). The index may only narrow
what is asked of the search, never lose a match."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notices.models import BuyerIdentifier, Notice
from scheduler import alerts, matching
from tests.conftest import corpus_path

pytestmark = pytest.mark.django_db

WORD = re.compile(r"[^\W_]+")


def ingest_corpus():
    root = corpus_path()
    paths = [
        *sorted((root / "eforms-sdk-1.15.1").glob("*.xml")),
        *sorted((root / "hilma-sdk").glob("*.xml")),
        *sorted((root / "fi-web").glob("*.html")),
        *sorted((root / "ocds").rglob("*.json")),
    ]
    try:
        call_command("ingest", *map(str, paths), verbosity=0)
    except SystemExit:
        pass  # some corpus files are not notices (rejections are kept); the rest is stored


def values():
    notices = list(Notice.objects.all())
    words, codes = set(), set()
    for n in notices:
        text = alerts.text_of(n.title, n.titles, n.descriptions)
        words.update(w for w in WORD.findall(text) if len(w) >= 2)
        codes.update(n.all_cpv or [])
    idents = list(BuyerIdentifier.objects.values_list("scheme", "value", "as_written"))
    return {
        "words": sorted(words),
        "codes": sorted(codes),
        "buyers": sorted({v for s, v, w in idents} | {w for s, v, w in idents} | {f"{s}:{v}" for s, v, w in idents if s}),
        "countries": sorted({c for c in Notice.objects.values_list("buyers__country", flat=True) if c}),
        "sources": sorted(set(Notice.objects.values_list("source", flat=True))),
        "types": sorted(set(Notice.objects.values_list("notice_type", flat=True))),
    }


def strategy(v):
    word = st.one_of(
        st.sampled_from(v["words"]),
        st.sampled_from(v["words"]).map(lambda w: w[: max(2, len(w) // 2)]),  # a word begun
        st.sampled_from(v["words"]).map(str.upper),
        st.text(alphabet="aeiknorstuväö", min_size=2, max_size=8),
    )
    q = st.lists(word, min_size=1, max_size=2).map(" ".join)
    cpv = st.one_of(
        st.sampled_from(v["codes"]).flatmap(lambda c: st.integers(1, min(8, len(c))).map(lambda n: c[:n])),
        st.text(alphabet="0123456789", min_size=1, max_size=6),
    )
    fields = {
        "q": q,
        "cpv": cpv,
        "buyer": st.sampled_from(v["buyers"]) if v["buyers"] else st.just("0206714-5"),
        "country": st.sampled_from(v["countries"] or ["FI"]),
        "source": st.sampled_from(v["sources"]),
        "notice_type": st.sampled_from(v["types"]),
    }
    return st.dictionaries(st.sampled_from(sorted(fields)), st.none(), min_size=1, max_size=3).flatmap(
        lambda chosen: st.fixed_dictionaries({k: fields[k] for k in chosen})
    )


def listed(client: Client, filters: dict) -> set[int]:
    answer = client.get("/api/notices", {**filters, "limit": 200})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["count"] < 200
    return {item["id"] for item in body["items"]}


def test_an_alert_matches_exactly_what_the_list_with_the_same_filters_shows():
    ingest_corpus()
    ids = list(Notice.objects.values_list("pk", flat=True))
    assert len(ids) >= 30
    client = Client()
    v = values()
    seen = {"nonempty": 0}

    @given(filters=strategy(v))
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(filters):
        alert, _token = alerts.create(email="p@example.fi", user=None, filters=filters, confirmed=True)
        try:
            found = {n for n, matched in matching.matches(ids).items() if alert.pk in matched}
            expected = listed(client, alert.filters)
            assert found == expected, (alert.filters, alert.requirements)
            seen["nonempty"] += bool(expected)
        finally:
            alert.delete()

    check()
    assert seen["nonempty"] >= 20  # the examples were not all empty lists
