"""One definition of "matches": over the real corpus and random filters, an alert matches exactly the
notices that ``GET /api/notices`` with the same filters lists (every status). The index may only narrow
what is asked of the search, never lose a match."""

from __future__ import annotations

import itertools
import re

import pytest
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notices.models import BuyerIdentifier, Notice, NoticeRegion
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


def text_of(notice: Notice) -> str:
    return " ".join([notice.title, *notice.titles.values(), *notice.descriptions.values()])


def values():
    notices = list(Notice.objects.all())
    words, codes = set(), set()
    for n in notices:
        text = text_of(n)
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
        "regions": sorted({c[:n] for c in NoticeRegion.objects.values_list("code", flat=True) for n in range(2, len(c) + 1)}),
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
        "region": st.sampled_from(v["regions"] or ["FI1B"]),
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


def more_values(v):
    """Values of every other filter ``notices.search.conditions`` knows, taken from the stored corpus."""
    from notices.models import Deadline

    pairs = set()
    for n in Notice.objects.all():
        found = WORD.findall(text_of(n))
        pairs.update(f'"{a} {b}"' for a, b in itertools.pairwise(found))
    values_ = sorted(int(x) for x in Notice.objects.exclude(estimated_value=None).values_list("estimated_value", flat=True))
    instants = sorted(Deadline.objects.values_list("at", flat=True))
    return {
        **v,
        "phrases": sorted(pairs) or ['"a b"'],
        "subtypes": sorted(set(Notice.objects.values_list("subtype", flat=True)) - {""}) + ["national", "eu"],
        "procedures": sorted(set(Notice.objects.values_list("procedure_type", flat=True)) - {""}) or ["open"],
        "languages": sorted(set(Notice.objects.values_list("language", flat=True)) - {""}) or ["fi"],
        "values": values_ or [0],
        "buyer_ids": sorted(set(Notice.buyers.through.objects.values_list("buyer_id", flat=True))) or [1],
        "instants": instants,
    }


def every_filter(v):
    word = st.one_of(
        st.sampled_from(v["words"]),
        st.sampled_from(v["words"]).map(lambda w: w[: max(1, len(w) // 2)]),
        st.sampled_from(v["words"]).map(str.upper),
        st.sampled_from(v["phrases"]),
        st.text(alphabet="aeiknorstuväö", min_size=1, max_size=8),
        st.text(alphabet="abdeghijklmnoprstuvyäö", min_size=2, max_size=2),
    )
    value = st.one_of(st.sampled_from(v["values"]), st.sampled_from(v["values"]).map(lambda x: x + 1),
                      st.integers(0, 10**8))
    instant = st.sampled_from(v["instants"]) if v["instants"] else st.none()
    fields = {
        "q": st.lists(word, min_size=1, max_size=3).map(" ".join),
        "cpv": st.sampled_from(v["codes"]).flatmap(lambda c: st.integers(1, min(8, len(c))).map(lambda n: c[:n])),
        "buyer": st.sampled_from(v["buyers"]) if v["buyers"] else st.just("0206714-5"),
        "buyer_id": st.sampled_from(v["buyer_ids"]),
        "country": st.sampled_from([*v["countries"], "fi", "SE"]),
        "source": st.sampled_from(v["sources"]),
        "notice_type": st.sampled_from(v["types"]),
        "region": st.sampled_from(v["regions"] or ["FI1B"]),
        "subtype": st.sampled_from(v["subtypes"]),
        "procedure_type": st.sampled_from(v["procedures"]),
        "language": st.sampled_from(v["languages"]),
        "value_min": value,
        "value_max": value,
        "deadline_after": instant,
        "deadline_before": instant,
    }
    any_filters = st.dictionaries(st.sampled_from(sorted(fields)), st.none(), min_size=1, max_size=3).flatmap(
        lambda chosen: st.fixed_dictionaries({k: fields[k] for k in chosen})
    )
    return st.one_of(any_filters, st.fixed_dictionaries({"q": fields["q"]}))  # words are the subtle part


@pytest.mark.parametrize("broad", [False, True], ids=["narrow", "broad"])
def test_the_python_check_of_a_notice_says_what_the_search_says(broad, monkeypatch):
    """``search.notice_check`` (the matcher's test of one notice) agrees with ``search.notices`` for every
    notice of the corpus and random filters of every kind; where it cannot tell (phrases, PostgreSQL's
    short words) it says None, never a wrong answer. ``broad``: every filter taken as broad, so the
    search probes each notice (SQLite: ``text_match``) instead of collecting ids from its indexes."""
    from django.db import connection

    from notices import search

    if broad:
        monkeypatch.setattr(search, "BROAD", 1)
    ingest_corpus()
    ids = sorted(Notice.objects.values_list("pk", flat=True))
    facts = search.notice_facts(ids)
    assert sorted(facts) == ids
    v = more_values(values())
    seen = {"decided": 0, "undecided": 0, "matches": 0}

    @given(data=every_filter(v))
    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(data):
        filters = search.Filters(**data)
        expected = set(search.notices(filters).values_list("pk", flat=True))
        test = search.notice_check(filters)
        words = search.parse_words(data.get("q"))
        may_not_tell = bool(words.phrases) or (
            connection.vendor == "postgresql" and any(len(w) < search.COMPOUND_MIN for w in words.words)
        )
        for pk in ids:
            verdict = test(facts[pk])
            if verdict is None:
                assert may_not_tell, data  # only phrases, and PostgreSQL's short words, are left to SQL
                seen["undecided"] += 1
                continue
            seen["decided"] += 1
            assert verdict == (pk in expected), (data, pk)
        seen["matches"] += len(expected)

    check()
    assert seen["matches"] >= 200  # the examples were not all empty
    assert seen["decided"] > 2 * seen["undecided"]


def test_a_filter_the_python_check_does_not_know_leaves_it_undecided(monkeypatch):
    """A field added to ``Filters`` later, before the check learns it, sends every notice to SQL."""
    from notices import search

    monkeypatch.setattr(search, "_CHECKED", search._CHECKED - {"language"})
    search._unchecked.cache_clear()
    try:
        facts = search.NoticeFacts(1, "tienhoito", (), (), frozenset(), (), frozenset(), "eforms", "cn-standard",
                                   "16", "open", "fi", None, "active", None, ())
        assert search.notice_check(search.Filters(q="tienhoito"))(facts) is True
        assert search.notice_check(search.Filters(q="tienhoito", language="fi"))(facts) is None
    finally:
        search._unchecked.cache_clear()
