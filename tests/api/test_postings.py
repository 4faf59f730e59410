"""Filters held in memory (notices.postings): the same notices, order and counts as the filters' own SQL,
kept current as notices are stored and changed, bounded in memory."""

import datetime as dt
import random

import pytest
import time_machine

from notices import postings, search
from notices.models import Notice
from tests.api.conftest import Api, buyer_record, in_days, save, use_search_path

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 4, 1, 9, 0, tzinfo=dt.UTC)
WORDS = ("siivous", "koulukuljetus", "tienhoito", "lumenaurausurakka", "kalusteet")
CPV = ("45233140", "90910000", "03111900")
BUYERS = ("0206714-5", "0201256-6", "1567535-0")


@pytest.fixture
def world():
    rng = random.Random(20261205)
    made = []
    with time_machine.travel(NOW, tick=False):
        for n in range(60):
            words = rng.sample(WORDS, 2)
            made.append(save(
                f"p{n}", title=f"{words[0].capitalize()} {n}", descriptions={"fi": f"{words[1]} ja muuta"},
                cpv=(rng.choice(CPV),), nuts=(rng.choice(("FI1B1", "FI197")),),
                buyers=(buyer_record(rng.choice(BUYERS), f"Ostaja {n % 3}"),),
                status="cancelled" if n % 17 == 0 else "active",
                deadlines=[("tender", NOW + dt.timedelta(days=rng.randint(-20, 40), hours=rng.randint(0, 23)))],
            ))
    return made


def listing(params) -> tuple[list[int], int, bool]:
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        body = Api().get("/api/notices", {"limit": 200, **params}).json()
    return [item["id"] for item in body["items"]], body["count"], body["count_exact"]


def combinations(rng: random.Random, n: int) -> list[dict]:
    found = []
    for _ in range(n):
        params = {}
        for name, values in (("q", ("siivous", "kuljetus", "aurausurakka", "tie")), ("cpv", ("45", "909", "0311")),
                             ("buyer", BUYERS), ("region", ("FI1B", "FI19"))):
            if rng.random() < 0.5:
                params[name] = rng.choice(values)
        if rng.random() < 0.3:
            params["deadline_after"] = (NOW + dt.timedelta(days=rng.randint(-10, 10))).isoformat()
            params["deadline_before"] = (NOW + dt.timedelta(days=rng.randint(11, 30))).isoformat()
        params["status"] = rng.choice(("open", "closed", "cancelled", "all"))
        found.append(params)
    return found


def test_held_filters_and_their_intersections_list_and_count_what_the_sql_does(world, monkeypatch):
    asked = combinations(random.Random(7), 60)
    use_search_path(monkeypatch, "probed")
    expected = [listing(params) for params in asked]
    assert sum(1 for ids, _c, _e in expected if ids) > 20  # most combinations find something
    for path in ("held", "lists"):
        use_search_path(monkeypatch, path)
        assert [listing(params) for params in asked] == expected, path


def test_counts_stop_at_the_cap_with_held_filters(world, monkeypatch, settings):
    settings.API_COUNT_CAP = 5
    use_search_path(monkeypatch, "probed")
    expected = {status: listing({"cpv": "45", "q": "siivous", "status": status}) for status in ("open", "closed", "all")}
    use_search_path(monkeypatch, "held")
    for status, (ids, count, exact) in expected.items():
        assert listing({"cpv": "45", "q": "siivous", "status": status}) == (ids, count, exact)
        assert (count, exact) == ((5, False) if len(ids) > 5 else (len(ids), True))


def test_a_notice_stored_or_changed_after_a_filter_was_held_is_seen_at_once(world, monkeypatch):
    use_search_path(monkeypatch, "held")
    before, count, _exact = listing({"cpv": "909", "status": "all"})
    assert postings._postings  # the filter is held now
    with time_machine.travel(NOW, tick=False):
        new = save("p-new", title="Uusi siivous", cpv=("90911000",), deadlines=[("tender", in_days(5, NOW))])
        moved = Notice.objects.get(pk=before[0])
        save(moved.source_id, title=moved.title, cpv=("45233140",),  # a corrigendum: another CPV code
             deadlines=[("tender", in_days(6, NOW))])
    after, count_after, _exact = listing({"cpv": "909", "status": "all"})
    assert new.pk in after and moved.pk not in after
    assert count_after == count  # one in, one out
    assert moved.pk in listing({"cpv": "452", "status": "all"})[0]


def test_a_change_without_a_version_shows_once_the_posting_is_read_again(world, monkeypatch):
    use_search_path(monkeypatch, "held")
    held, _count, _exact = listing({"region": "FI197", "status": "all"})
    target = next(n for n in world if n.pk not in held)
    Notice.objects.filter(pk=target.pk).update(nuts=["FI197"])  # an administrator's edit: no new version
    from notices.models import NoticeRegion

    NoticeRegion.objects.filter(notice_id=target.pk).update(code="FI197")
    assert target.pk not in listing({"region": "FI197", "status": "all"})[0]  # within TTL: as held
    monkeypatch.setattr(postings, "TTL", 0.0)
    assert target.pk in listing({"region": "FI197", "status": "all"})[0]


def test_memory_is_bounded_least_recently_used_first(world, monkeypatch):
    use_search_path(monkeypatch, "held")
    monkeypatch.setattr(postings, "BUDGET", 45)
    listing({"cpv": "45", "status": "all"})
    listing({"cpv": "909", "status": "all"})
    listing({"cpv": "0311", "status": "all"})
    held = sum(len(p) for p in postings._postings.values())
    assert held <= 45 or len(postings._postings) == 1
    assert len(postings._postings) < 3


def test_a_filter_too_broad_to_hold_is_checked_notice_by_notice(world, monkeypatch):
    use_search_path(monkeypatch, "lists")
    expected = listing({"q": "siivous", "status": "all"})
    monkeypatch.setattr(postings, "MAX_IDS", 3)
    postings.forget()
    assert listing({"q": "siivous", "status": "all"}) == expected
    assert not postings._postings and postings._too_broad


def test_the_bitmap_and_the_look_up_agree(monkeypatch):
    posting = postings.Posting({1, 8, 9, 700, 70_000})
    bits = posting.bits
    assert [pk for pk in range(len(bits) * 8) if bits[pk >> 3] >> (pk & 7) & 1] == [1, 8, 9, 700, 70_000]
    assert posting.ordered == [1, 8, 9, 700, 70_000]
    posting.changed(added=[3, 80_001], removed=[700, 5])  # 5 was never held
    assert posting.ordered == [1, 3, 8, 9, 70_000, 80_001]
    assert posting.bits == postings.Posting({1, 3, 8, 9, 70_000, 80_001}).bits  # followed, not rebuilt
    posting.changed(added=range(10_000, 12_000), removed=[])  # many: both made again when asked
    assert posting.ordered == sorted({1, 3, 8, 9, 70_000, 80_001, *range(10_000, 12_000)})
    assert posting.bits == postings.Posting(set(posting.ordered)).bits
    postings._publish(posting)
    assert postings.in_set(posting.token, 3) == 1 and postings.in_set(posting.token, 700) == 0


def test_only_the_lists_hold_filters(world, monkeypatch):
    """A saved search checked against a few notices (alerts, feeds) runs the filter's own SQL: holding
    every match of thousands of saved searches would cost more than it saves."""
    use_search_path(monkeypatch, "held")
    filters = search.Filters(q="siivous", cpv="45")
    assert set(search.notices(filters).values_list("pk", flat=True)) == set(
        listing({"q": "siivous", "cpv": "45", "status": "all"})[0])
    postings.forget()
    list(search.notices(filters).values_list("pk", flat=True))
    assert not postings._postings
    listing({"q": "siivous", "cpv": "45", "status": "all"})
    assert len(postings._postings) == 2
