"""Issue 15: search that finds what a Finn or a Swede types, and filters with one definition of what
matches, on SQLite and PostgreSQL alike (the suite runs on both)."""

from __future__ import annotations

import datetime as dt

import pytest

from notices import search
from notices.records import Address, BuyerRecord, Identifier, LotRecord
from tests.api.conftest import Api, in_days, save, use_search_path

pytestmark = pytest.mark.django_db


def ids(params):
    response = Api().get("/api/notices", params)
    assert response.status_code == 200, response.content
    return [i["id"] for i in response.json()["items"]]


def problems(params, url="/api/notices"):
    response = Api().get(url, params)
    assert response.status_code == 422, response.content
    body = response.json()["error"]
    assert body["code"] == "validation_error"
    return {tuple(f["path"]): f["message"] for f in body["fields"]}


@pytest.fixture
def schools(db):
    fi = save("k1", title="Alakoulun siivous", titles={"fi": "Alakoulun siivous"}, deadlines=[("tender", in_days(3))])
    sv = save("k2", title="Renovering av Sjöstrands lågstadieskola", titles={"sv": "Renovering av Sjöstrands lågstadieskola"},
              language="sv", deadlines=[("tender", in_days(4))])
    word = save("k3", title="Koulu ja kirjasto", titles={"fi": "Koulu ja kirjasto"}, deadlines=[("tender", in_days(5))])
    skola = save("k4", title="Skolan i Närpes", titles={"sv": "Skolan i Närpes"}, language="sv",
                 deadlines=[("tender", in_days(6))])
    other = save("k5", title="Tienhoidon urakka", deadlines=[("tender", in_days(7))])
    return fi, sv, word, skola, other


@pytest.mark.parametrize("path", ("lists", "held", "probed"))
def test_relevance_finds_a_word_found_only_inside_compounds(schools, path, monkeypatch):
    """No notice has the word at word level: the first tier is empty, the second holds them all."""
    fi, sv, word, skola, other = schools
    use_search_path(monkeypatch, path)
    assert ids({"q": "hoido", "sort": "relevance"}) == [other.pk]
    assert ids({"q": "kirjast", "sort": "relevance"}) == [word.pk]  # at word level: a word it begins
    assert ids({"q": "stadieskola", "sort": "relevance"}) == [sv.pk]


def test_a_word_is_found_inside_compounds(schools):
    fi, sv, word, skola, other = schools
    assert ids({"q": "koulu"}) == [fi.pk, word.pk]  # "alakoulun", "Koulu"
    assert ids({"q": "skola"}) == [sv.pk, skola.pk]  # "lågstadieskola", "Skolan"
    assert ids({"q": "hoido"}) == [other.pk]  # inside "Tienhoidon"


def test_inflected_forms_find_their_base_word(schools):
    fi, sv, word, skola, other = schools
    assert ids({"q": "koulun"}) == [fi.pk, word.pk]  # genitive: stem koulu
    assert ids({"q": "kouluille"}) == [fi.pk, word.pk]  # allative plural
    assert ids({"q": "skolan"}) == [sv.pk, skola.pk]  # definite form finds skola and the compound
    assert ids({"q": "urakan"}) == [other.pk]


def test_every_word_must_match_and_quotes_give_a_phrase(schools):
    fi, sv, word, skola, other = schools
    assert ids({"q": "koulu siivous"}) == [fi.pk]
    assert ids({"q": "koulu kirjasto"}) == [word.pk]
    assert ids({"q": '"koulu ja kirjasto"'}) == [word.pk]
    assert ids({"q": '"kirjasto ja koulu"'}) == []
    assert ids({"q": '"alakoulun siivous" koulu'}) == [fi.pk]


def test_relevance_puts_word_level_matches_before_compounds(schools):
    fi, sv, word, skola, other = schools
    # Default order stays next deadline first: the compound match (fi, 3 days) before the word (5 days).
    assert ids({"q": "koulu"}) == [fi.pk, word.pk]
    assert ids({"q": "koulu", "sort": "relevance"}) == [word.pk, fi.pk]
    assert ids({"q": "skola", "sort": "relevance"}) == [skola.pk, sv.pk]


def test_the_sqlite_probe_agrees_with_the_index(schools, monkeypatch):
    """A broad search is checked notice by notice (SQLite: a function over the notice's columns): the same
    notices in the same order as the narrow path through the FTS5 tables."""
    queries = ["koulu", "koulun", "skolan", "koulu siivous", '"koulu ja kirjasto"', "ja", "i", "hoido"]
    narrow = {(q, sort): ids({"q": q, "sort": sort}) for q in queries for sort in ("deadline", "relevance")}
    for path in ("held", "probed"):
        use_search_path(monkeypatch, path)
        assert {(q, sort): ids({"q": q, "sort": sort}) for q in queries for sort in ("deadline", "relevance")} == narrow
    assert narrow[("koulu", "relevance")] == [schools[2].pk, schools[0].pk]


def test_sort_newest_and_status_all(db):
    old = save("s1", title="Vanha", published_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC), deadlines=[("tender", in_days(-3))])
    new = save("s2", title="Uusi", published_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), deadlines=[("tender", in_days(9))])
    assert ids({"sort": "newest"}) == [new.pk, old.pk]
    assert ids({"status": "all"}) == [new.pk, old.pk]
    assert ids({"status": "closed"}) == [old.pk]
    page = Api().get("/api/notices", {"sort": "newest", "limit": 1}).json()
    assert [i["id"] for i in page["items"]] == [new.pk]
    assert ids({"sort": "newest", "limit": 1, "cursor": page["next_cursor"]}) == [old.pk]


def test_region_subtype_procedure_value_and_language_filters(db):
    uusimaa = save("r1", nuts=("FI1B1",), subtype="E3", procedure_type="open", estimated_value=50_000,
                   currency="EUR", deadlines=[("tender", in_days(3))])
    pirkanmaa = save("r2", nuts=("FI197",), subtype="16", procedure_type="restricted", estimated_value=500_000,
                     currency="EUR", language="sv", deadlines=[("tender", in_days(4))])
    assert ids({"region": "FI1B"}) == [uusimaa.pk]
    assert ids({"region": "fi1"}) == [uusimaa.pk, pirkanmaa.pk]
    assert ids({"subtype": "national"}) == [uusimaa.pk]
    assert ids({"subtype": "eu"}) == [pirkanmaa.pk]
    assert ids({"subtype": "16"}) == [pirkanmaa.pk]
    assert ids({"procedure_type": "restricted"}) == [pirkanmaa.pk]
    assert ids({"value_min": 100_000}) == [pirkanmaa.pk]
    assert ids({"value_max": 100_000}) == [uusimaa.pk]
    assert ids({"language": "sv"}) == [pirkanmaa.pk]
    item = Api().get("/api/notices", {"region": "FI1B1"}).json()["items"][0]
    assert item["nuts"] == ["FI1B1"] and item["subtype"] == "E3" and item["procedure_type"] == "open"


def test_broad_filters_find_the_same_notices_as_narrow_ones(db, monkeypatch):
    made = [
        save(f"b{n}", title=f"Koulukuljetus {n}" if n % 2 else f"Siivous {n}", nuts=("FI1B1",) if n % 3 else ("FI197",),
             procedure_type="open" if n % 2 else "restricted", language="fi",
             deadlines=[("tender", in_days(n + 1))])
        for n in range(6)
    ]
    queries = [{"q": "koulu"}, {"region": "FI1B"}, {"procedure_type": "open"}, {"q": "koulu", "region": "FI19"},
               {"language": "fi", "q": "siivous"}, {"deadline_after": in_days(2.5).isoformat(), "q": "kuljetus"}]
    narrow = [(ids(q), Api().get("/api/notices", q).json()["count"]) for q in queries]
    for path in ("held", "probed"):
        use_search_path(monkeypatch, path)
        assert [(ids(q), Api().get("/api/notices", q).json()["count"]) for q in queries] == narrow, path
    assert narrow[0] == ([made[n].pk for n in (1, 3, 5)], 3)


def test_invalid_filters_say_what_is_wrong_with_the_parameter_path(db):
    save("v1", deadlines=[("tender", in_days(3))])
    found = problems({"buyer": "2345678-1"})
    assert "check digit" in found[("query", "buyer")] and "2345678-0" in found[("query", "buyer")]
    assert "not a business ID" in problems({"buyer": "123"})[("query", "buyer")]
    found = problems({"deadline_after": in_days(5).isoformat(), "deadline_before": in_days(1).isoformat()})
    assert "inverted" in found[("query", "deadline_before")]
    assert "inverted" in problems({"value_min": 10, "value_max": 5})[("query", "value_max")]
    assert ("query", "region") in problems({"region": "Uusimaa"})
    assert ("query", "cpv") in problems({"cpv": "45x"})
    assert ("query", "before") in problems({"after": in_days(5).isoformat(), "before": in_days(1).isoformat()},
                                           "/api/deadlines")


def test_a_stored_identifier_written_so_is_no_error(db):
    bad = BuyerRecord("Vanha kunta", identifiers=(Identifier("FI-PRO", "2345678-1", False, "2345678-1"),),
                      address=Address(country="FI"))
    notice = save("v2", buyers=(bad,), deadlines=[("tender", in_days(3))])
    assert ids({"buyer": "2345678-1"}) == [notice.pk]
    assert ids({"buyer": "0206714-5"}) == []  # a valid ID that no stored buyer has: no error, no match


def test_filters_serialise_for_a_saved_search(schools):
    fi, sv, word, skola, other = schools
    filters = search.Filters(q="koulu", status="open", deadline_after=in_days(-1), region="FI1B", value_min=5)
    again = search.Filters.from_dict(filters.as_dict())
    assert again == filters
    assert list(search.notices(search.Filters(q="koulu")).filter(pk=fi.pk).values_list("pk", flat=True)) == [fi.pk]
    assert not search.notices(search.Filters(q="koulu")).filter(pk=other.pk).exists()


def test_lots_and_codes_are_stored_for_the_cpv_filter(db):
    n = save("c1", cpv=("45233000",), lots=(LotRecord("1", "a", ("90910000",)),), deadlines=[("tender", in_days(3))])
    assert ids({"cpv": "9091"}) == [n.pk]


def test_a_stored_notice_read_again_gets_its_region_without_a_new_version(db):
    from notices import store
    from tests.api.conftest import notice_record

    at = in_days(3)
    before = notice_record("u1", deadlines=[("tender", at)])
    notice = store.save(before, raw=b"v1", origin="test", fmt="eforms").notice
    after = notice_record("u1", deadlines=[("tender", at)], nuts=("FI1B1",), subtype="16", procedure_type="open")
    change = store.save(after, raw=b"v1 again", origin="test", fmt="eforms")
    assert change.outcome == store.UNCHANGED
    notice.refresh_from_db()
    assert (notice.nuts, notice.subtype, notice.procedure_type, notice.versions.count()) == (["FI1B1"], "16", "open", 1)
    assert ids({"region": "FI1B1"}) == [notice.pk]
