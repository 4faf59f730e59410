"""The alert index a long-running matcher holds in memory (``scheduler.alert_index``): alerts made,
changed, stopped or deleted after it started are matched as the database says, not as it read them."""

import pytest
from django.db import connection

from scheduler import alerts
from scheduler.alert_index import HeldIndex
from scheduler.matching import Matcher
from scheduler.models import Alert, AlertItem, AlertKey
from tests.alerts.conftest import make_alert, save

pytestmark = pytest.mark.django_db
ON_POSTGRES = connection.vendor == "postgresql"


def announced(alert):
    return sorted(AlertItem.objects.filter(alert=alert, kind="new").values_list("notice__source_id", flat=True))


def test_alerts_made_changed_and_stopped_after_the_matcher_started_are_matched_as_they_are_now():
    matcher = Matcher("test-held")
    # The matcher reads its index with its first batch; this notice's words are worked out then, with no
    # alert having them: an alert made afterwards must still find the same word in later notices.
    save("before", title="Tienhoidon urakka")
    assert matcher.run_once().announced == 0
    assert matcher.index.loaded_at is not None

    alert = make_alert({"q": "urakka"})
    save("word", title="Katujen urakka")
    assert matcher.run_once().announced == 1
    assert announced(alert) == ["word"]

    alerts.update(alert, {"filters": {"cpv": "9091"}})
    save("old-filters", title="Toinen urakka")
    save("new-filters", title="Siivous", cpv=("90910000",))
    assert matcher.run_once().announced == 1
    assert announced(alert) == ["new-filters", "word"]

    other = make_alert({"cpv": "9091"}, email="other@example.fi")
    alerts.unsubscribe(alert)
    save("after-stop", title="Siivous 2", cpv=("90911000",))
    stats = matcher.run_once()
    assert announced(alert) == ["new-filters", "word"]
    assert announced(other) == ["after-stop"] and stats.announced == 1
    # The index read nothing twice: the alert stopped is out of it, the other one in.
    assert [c.id for c in matcher.index.candidates({"cpv": {"9091"}})] == [other.pk]


def test_an_alert_deleted_outright_gets_nothing_and_costs_the_batch_nothing():
    matcher = Matcher("test-held")
    gone = make_alert({"q": "urakka"}, email="gone@example.fi")
    kept = make_alert({"q": "urakka"}, email="kept@example.fi")
    save("first", title="Tienhoidon urakka")
    assert matcher.run_once().announced == 2
    Alert.objects.filter(pk=gone.pk).delete()  # as when its owner's account is removed: no "off" row
    save("second", title="Katujen urakka")
    stats = matcher.run_once()
    assert stats.changes == 1 and stats.announced == 1
    assert announced(kept) == ["first", "second"]
    assert not AlertItem.objects.filter(alert_id=gone.pk).exists()


def test_a_stopped_alert_leaves_one_off_row_and_no_keys():
    alert = make_alert({"cpv": "4523"})
    assert list(AlertKey.objects.filter(alert=alert).values_list("kind", "value")) == [("cpv", "4523")]
    alerts.unsubscribe(alert)
    assert list(AlertKey.objects.filter(alert=alert).values_list("kind", "value")) == [(alerts.OFF_KEY, "")]
    index = HeldIndex()
    index.refresh()
    assert len(index) == 0 and index.candidates({"cpv": {"4523"}}) == []


@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: run with DATABASE_URL=postgres://... (bin/test does)")
def test_postgresql_keys_committed_below_the_mark_are_still_read():
    """On PostgreSQL a transaction may commit an id lower than one another has committed already; the
    index looks again at the ids just below its mark."""
    spare = make_alert({"cpv": "3000"}, email="spare@example.fi")
    make_alert({"cpv": "4000"}, email="first@example.fi")
    low_id = AlertKey.objects.get(alert=spare).pk
    Alert.objects.filter(pk=spare.pk).delete()  # its key row's id is free again
    index = HeldIndex()
    index.refresh()
    late = make_alert({"cpv": "9091"}, email="late@example.fi")
    assert low_id < index.mark
    AlertKey.objects.filter(alert=late).update(id=low_id)  # as if it had committed late
    index.refresh()
    assert [c.id for c in index.candidates({"cpv": {"9091"}})] == [late.pk]


def test_runscheduler_s_matcher_lets_a_burst_of_stored_notices_end_first(settings):
    """While the store keeps queueing changes the matcher waits (the store keeps SQLite's write lock and
    the cores); it starts once nothing was queued for ``quiet`` seconds, or the oldest change has waited
    ``max_wait``."""
    import datetime as dt

    import time_machine

    from tests.alerts.conftest import utc

    start = utc(2027, 5, 3, 9, 0)
    alert = make_alert({"q": "urakka"}, now=start - dt.timedelta(days=1))
    matcher = Matcher("test-quiet", quiet=2, max_wait=60)
    for n in range(30):  # one stored every two seconds: never two quiet seconds
        with time_machine.travel(start + dt.timedelta(seconds=2 * n - 1), tick=False):
            save(f"n-{n}", title=f"Urakka {n}", now=start)
        with time_machine.travel(start + dt.timedelta(seconds=2 * n), tick=False):
            stats = matcher.run_once()
        assert stats.changes == 0, n  # within the burst, and the oldest under a minute old
    with time_machine.travel(start + dt.timedelta(seconds=60), tick=False):
        assert matcher.run_once().changes == 30  # the oldest has waited its minute
    with time_machine.travel(start + dt.timedelta(seconds=70), tick=False):
        save("late", title="Urakka myöhään", now=start)
    with time_machine.travel(start + dt.timedelta(seconds=71), tick=False):
        assert matcher.run_once().changes == 0
    with time_machine.travel(start + dt.timedelta(seconds=72), tick=False):
        assert matcher.run_once().announced == 1  # two quiet seconds
    assert len(announced(alert)) == 31


def test_runscheduler_configures_its_matcher_from_the_settings(settings):
    from apscheduler.schedulers.background import BackgroundScheduler

    from scheduler import jobs
    from scheduler.dispatch import Dispatcher

    settings.ALERTS_MATCH_QUIET, settings.ALERTS_MATCH_MAX_WAIT = 3, 45
    scheduler = BackgroundScheduler(timezone="UTC")
    jobs.configure(scheduler, [Dispatcher("test-jobs")])
    matcher = scheduler.get_job("match").args[0]
    assert (matcher.quiet, matcher.max_wait) == (3, 45)
