"""Full text and CPV rows are kept by the database (triggers, expression index), per vendor."""


import pytest
from django.db import connection

from notices import search
from notices.models import Notice, NoticeCpv
from notices.records import LotRecord
from tests.api.conftest import SEARCH_PATHS, Api, in_days, save, use_search_path

pytestmark = pytest.mark.django_db
postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL text search")
sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite FTS5")


def found(q):
    return [i["id"] for i in Api().get("/api/notices", {"q": q}).json()["items"]]


def test_cpv_rows_follow_every_change_of_a_notice():
    notice = save("c1", cpv=("45233000",), lots=(LotRecord("1", "a", ("45233140-2",)),),
                  deadlines=[("tender", in_days(3))])
    assert sorted(NoticeCpv.objects.filter(notice=notice).values_list("code", flat=True)) == ["45233000", "45233140-2"]
    save("c1", cpv=("71000000",), deadlines=[("tender", in_days(3))])
    assert list(NoticeCpv.objects.filter(notice=notice).values_list("code", flat=True)) == ["71000000"]
    Notice.objects.filter(pk=notice.pk).delete()
    assert not NoticeCpv.objects.exists()


@pytest.mark.parametrize("prefix, low, high", [("45", "45", "46"), ("4529", "4529", "453"), ("99", "99", None), ("459", "459", "46")])
def test_a_cpv_prefix_is_an_index_range(prefix, low, high):
    assert search.cpv_range(prefix) == (low, high)


def test_finnish_and_swedish_text_in_titles_and_descriptions():
    a = save("t1", title="Tienhoidon urakka", titles={"fi": "Tienhoidon urakka", "sv": "Vägunderhållsupphandling"},
             descriptions={"en": "Road maintenance contract"}, deadlines=[("tender", in_days(3))])
    b = save("t2", title="Siivous", descriptions={"fi": "Koulujen siivous"}, deadlines=[("tender", in_days(4))])
    assert found("urakka") == [a.pk]
    assert found("maintenance") == [a.pk]
    assert found("koulujen") == [b.pk]
    assert found("siivous") == [b.pk]
    assert found("nothing-like-this") == []


@postgres
def test_postgres_stems_finnish_and_swedish_words():
    a = save("p1", title="Tienhoidon urakka", titles={"sv": "Upphandling av vägunderhåll"}, deadlines=[("tender", in_days(3))])
    assert found("urakan") == [a.pk]  # genitive of urakka
    assert found("urakat") == [a.pk]  # plural
    assert found("upphandlingen") == [a.pk]  # Swedish definite form


def test_a_word_begun_finds_the_words_it_begins():
    """"tie" finds "Tienhoidon urakka" on PostgreSQL as on SQLite; every word must still match."""
    a = save("w1", title="Tienhoidon urakka", deadlines=[("tender", in_days(3))])
    b = save("w2", title="Tiedotuspalvelut", deadlines=[("tender", in_days(4))])
    assert found("tie") == [a.pk, b.pk]
    assert found("tie urak") == [a.pk]
    assert found("TIENHOIDON") == [a.pk]
    assert found("tie_urak") == [a.pk]  # an underscore separates words, it is no syntax
    assert found("tie & !urakka | (urak:*") == [a.pk]  # tsquery and FTS5 syntax are only words


@postgres
@pytest.mark.parametrize("q, index", [("urakka", "notices_notice_trigram"), ('"tienhoidon urakka"', "notices_notice_fulltext")])
def test_postgres_uses_the_gin_indexes(q, index, monkeypatch):
    """Words are looked for in the trigram index (inside compounds too), phrases in the text vector's:
    the filter's own SQL, as it reads the matches to hold them (or checks them when too many to hold)."""
    save("p2", title="Tienhoidon urakka", deadlines=[("tender", in_days(3))])
    use_search_path(monkeypatch, "probed")
    sql, params = search.text_ids(q).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan


@sqlite
def test_sqlite_fts_follows_updates_and_deletes_and_matches_stems():
    a = save("s1", title="Tienhoidon urakka", deadlines=[("tender", in_days(3))])
    assert found("urakan") == [a.pk]  # its Finnish stem "urak" (snowball, as on PostgreSQL)
    save("s1", title="Katujen kunnossapito", deadlines=[("tender", in_days(3))])
    assert found("urakka") == [] and found("kunnossapito") == [a.pk] and found("nossa") == [a.pk]
    Notice.objects.filter(pk=a.pk).delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM notices_notice_fts")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM notices_notice_trigram WHERE notices_notice_trigram MATCH 'nossa'")
        assert cursor.fetchone()[0] == 0
    # Quotes make a phrase; a quoted single word is a word; nothing else is syntax.
    assert search.fts_query('"x" OR (y') == '("x"*) AND ("or"*) AND ("y"*)'


@pytest.mark.parametrize("path", SEARCH_PATHS)
def test_broad_and_narrow_filters_find_the_same_notices_in_the_same_order(path, monkeypatch):
    use_search_path(monkeypatch, path)
    made = [
        save(f"b{n}", title=f"Siivous {n}", cpv=("90910000" if n % 2 else "45233000",),
             deadlines=[("tender", in_days(n + 1))])
        for n in range(6)
    ]
    assert found("siivous") == [n.pk for n in made]
    api = Api()
    assert [i["id"] for i in api.get("/api/notices", {"cpv": "909"}).json()["items"]] == [made[n].pk for n in (1, 3, 5)]
    both = api.get("/api/notices", {"cpv": "45", "q": "siivous", "limit": 2}).json()
    assert [i["id"] for i in both["items"]] == [made[0].pk, made[2].pk] and both["count"] == 3
    assert [d["notice"] for d in api.get("/api/deadlines", {"cpv": "4523"}).json()["items"]] == [made[n].pk for n in (0, 2, 4)]
