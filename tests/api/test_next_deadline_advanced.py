"""The stored next deadline moves past passed lots (runscheduler's job), and the list means the same before
and after it moved: the earliest tender or participation deadline still ahead decides a notice's place."""

import datetime as dt

import pytest
import time_machine
from django.db import connection

from notices import clock, store
from notices.models import Notice
from tests.api.conftest import UTC, Api, save

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
NOW = T0 + dt.timedelta(days=5)


def days(n, hour=12):
    return (T0 + dt.timedelta(days=n)).replace(hour=hour)


@pytest.fixture
def world():
    """Saved at T0, looked at five days later: lots closing on days 2 and 12 (partly closed by then),
    a notice whose lots closed on days 1 and 3 (closed), and plain ones on days 6, 9 and 20."""
    with time_machine.travel(T0, tick=False):
        return {
            "lots": save("lots", title="Kalusteet", deadlines=[("tender", days(2), "LOT-1"),
                                                                 ("tender", days(12), "LOT-2")]),
            "closed": save("closed", title="Vanhat", deadlines=[("tender", days(1), "LOT-1"),
                                                                ("participation", days(3), "LOT-2")]),
            "six": save("six", title="Kuusi", deadlines=[("tender", days(6))]),
            "nine": save("nine", title="Yhdeksän", deadlines=[("tender", days(9)), ("questions", days(7))]),
            "twenty": save("twenty", title="Kaksikymmentä", deadlines=[("tender", days(20))]),
        }


def listing():
    body = Api().get("/api/notices", {"status": "open"}).json()
    return [(item["id"], item["next_deadline"]) for item in body["items"]], body["count"]


def z(value: dt.datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_the_list_is_the_same_before_and_after_the_job_moved_the_next_deadline(world):
    expected = [
        (world["six"].pk, z(days(6))),
        (world["nine"].pk, z(days(9))),
        (world["lots"].pk, z(days(12))),  # LOT-1 passed on day 2: LOT-2 decides
        (world["twenty"].pk, z(days(20))),
    ]
    with time_machine.travel(NOW, tick=False):
        before = listing()
        assert Notice.objects.get(pk=world["lots"].pk).next_deadline == days(2)  # as the store wrote it
        moved = store.advance_next_deadlines()
        after = listing()
    assert before == (expected, 4)
    assert after == before
    assert moved == 2  # "lots" to its LOT-2, "closed" to its last deadline
    assert Notice.objects.get(pk=world["lots"].pk).next_deadline == days(12)
    assert Notice.objects.get(pk=world["closed"].pk).next_deadline == days(3)  # = closes_at: out of the index
    assert Notice.objects.get(pk=world["nine"].pk).next_deadline == days(9)  # not a closing kind: questions
    with time_machine.travel(NOW, tick=False):
        assert store.advance_next_deadlines() == 0  # nothing more to move


def test_a_deadline_that_passes_after_the_job_is_still_looked_up(world):
    with time_machine.travel(NOW, tick=False):
        store.advance_next_deadlines()
    later = days(10)  # "six" and "nine" have closed; nothing else passed
    with time_machine.travel(later, tick=False):
        got, count = listing()
    assert got == [(world["lots"].pk, z(days(12))), (world["twenty"].pk, z(days(20)))] and count == 2


def test_a_corrigendum_writes_the_earliest_again_and_the_job_moves_it_again(world):
    with time_machine.travel(NOW, tick=False):
        save("lots", title="Kalusteet", deadlines=[("tender", days(2), "LOT-1"), ("tender", days(14), "LOT-2")])
        assert Notice.objects.get(pk=world["lots"].pk).next_deadline == days(2)  # earliest, as always
        store.advance_next_deadlines()
        assert Notice.objects.get(pk=world["lots"].pk).next_deadline == days(14)
        got, _count = listing()
    assert (world["lots"].pk, z(days(14))) in got


def test_runscheduler_runs_the_job_every_minute():
    job = next(job for job in clock.jobs() if job.id == "advance-next-deadlines")
    assert job.seconds() == 60


def test_the_planner_statistics_are_made_where_a_table_has_none(world):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner statistics (PostgreSQL's autovacuum keeps its own)")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sqlite_stat1")
        store.refresh_statistics()
        cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'notices_notice'")
        indexes = {row[0] for row in cursor.fetchall()}
    assert {"notices_not_status_52d021_idx", "notices_not_status_35f6bd_idx", "notices_partly_closed"} <= indexes


def test_runscheduler_refreshes_the_statistics_hourly():
    job = next(job for job in clock.jobs() if job.id == "planner-statistics")
    assert job.seconds() == 3600
