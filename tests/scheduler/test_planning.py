"""Due times (calendar days in Helsinki, exact hours) and how plans follow every change of a notice."""

import datetime as dt

import pytest
import time_machine

from notices.models import Notice
from scheduler import planning
from scheduler.models import Message, Reminder, State
from tests.scheduler.conftest import HELSINKI, UTC, save_notice, subscribe


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def local(*args, fold=0):
    return dt.datetime(*args, tzinfo=HELSINKI, fold=fold)


# -- durations --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, days, exact",
    [
        ("P7D", 7, dt.timedelta()),
        ("P1D", 1, dt.timedelta()),
        ("PT2H", 0, dt.timedelta(hours=2)),
        ("P1W", 7, dt.timedelta()),
        ("P1DT12H", 1, dt.timedelta(hours=12)),
        ("PT90M", 0, dt.timedelta(minutes=90)),
        ("pt30m", 0, dt.timedelta(minutes=30)),
    ],
)
def test_it_reads_iso_durations(text, days, exact):
    offset = planning.parse_offset(text)
    assert (offset.days, offset.exact) == (days, exact)


@pytest.mark.parametrize(
    "text", ["", "P", "PT", "7D", "P1M", "P1Y", "P-1D", "P0D", "PT0S", "P400D", "P1.5D", "P1DT"]
)
def test_it_refuses_what_is_not_a_usable_duration(text):
    with pytest.raises(ValueError):
        planning.parse_offset(text)


# -- due times across DST (Europe/Helsinki: EET +2 in winter, EEST +3 in summer) -----------------------
# The change happens at 03:00 local on the last Sunday of March (clocks forward to 04:00) and at 04:00
# local on the last Sunday of October (clocks back to 03:00). Expected instants below are written by hand.

MARCH = {2024: 31, 2025: 30, 2026: 29, 2027: 28}
OCTOBER = {2024: 27, 2025: 26, 2026: 25, 2027: 31}


@pytest.mark.parametrize("year", sorted(MARCH))
def test_days_are_calendar_days_across_the_march_change(year):
    sunday = dt.date(year, 3, MARCH[year])
    monday, saturday = sunday + dt.timedelta(days=1), sunday - dt.timedelta(days=1)
    deadline = local(monday.year, monday.month, monday.day, 12, 0)  # 12:00 EEST = 09:00Z
    assert deadline.astimezone(UTC) == utc(monday.year, monday.month, monday.day, 9, 0)
    # P1D: Sunday 12:00, already summer time: 09:00Z (24 hours before).
    assert planning.due_at(deadline, "P1D") == utc(sunday.year, sunday.month, sunday.day, 9, 0)
    # P2D: Saturday 12:00, still winter time: 10:00Z (47 hours before, not 48).
    assert planning.due_at(deadline, "P2D") == utc(saturday.year, saturday.month, saturday.day, 10, 0)
    # PT48H is exact: Saturday 09:00Z, which is 11:00 on Saturday's clock.
    assert planning.due_at(deadline, "PT48H") == utc(saturday.year, saturday.month, saturday.day, 9, 0)
    # PT2H before Sunday 05:00 EEST (02:00Z) is 00:00Z, 02:00 EET on the clock (three clock hours).
    early = local(sunday.year, sunday.month, sunday.day, 5, 0)
    assert planning.due_at(early, "PT2H") == utc(sunday.year, sunday.month, sunday.day, 0, 0)
    # Nonexistent: P1D before Monday 03:30 is Sunday 03:30, which the clock skips: shifted forward by
    # the gap to 04:30 EEST = 01:30Z.
    skipped = local(monday.year, monday.month, monday.day, 3, 30)
    assert planning.due_at(skipped, "P1D") == utc(sunday.year, sunday.month, sunday.day, 1, 30)
    assert planning.due_at(skipped, "P1D").astimezone(HELSINKI).hour == 4


@pytest.mark.parametrize("year", sorted(OCTOBER))
def test_days_are_calendar_days_across_the_october_change(year):
    sunday = dt.date(year, 10, OCTOBER[year])
    monday, saturday = sunday + dt.timedelta(days=1), sunday - dt.timedelta(days=1)
    deadline = local(monday.year, monday.month, monday.day, 12, 0)  # 12:00 EET = 10:00Z
    assert deadline.astimezone(UTC) == utc(monday.year, monday.month, monday.day, 10, 0)
    assert planning.due_at(deadline, "P1D") == utc(sunday.year, sunday.month, sunday.day, 10, 0)
    # P2D: Saturday 12:00 EEST = 09:00Z (49 hours before).
    assert planning.due_at(deadline, "P2D") == utc(saturday.year, saturday.month, saturday.day, 9, 0)
    assert planning.due_at(deadline, "PT48H") == utc(saturday.year, saturday.month, saturday.day, 10, 0)
    week = monday - dt.timedelta(days=7)  # still summer time
    assert planning.due_at(deadline, "P1W") == utc(week.year, week.month, week.day, 9, 0)
    # PT2H before Sunday 05:00 EET (03:00Z) is 01:00Z, 04:00 EEST on the clock (one clock hour).
    early = local(sunday.year, sunday.month, sunday.day, 5, 0)
    assert planning.due_at(early, "PT2H") == utc(sunday.year, sunday.month, sunday.day, 1, 0)
    # Ambiguous: Sunday 03:30 happens twice; fold=0 takes the first (EEST) = 00:30Z.
    twice = local(monday.year, monday.month, monday.day, 3, 30)
    assert planning.due_at(twice, "P1D") == utc(sunday.year, sunday.month, sunday.day, 0, 30)


def test_days_then_exact_hours():
    deadline = local(2025, 3, 31, 12, 0)
    # P1DT2H: one calendar day (Sunday 12:00 EEST = 09:00Z), then two exact hours.
    assert planning.due_at(deadline, "P1DT2H") == utc(2025, 3, 30, 7, 0)


def test_a_deadline_given_in_another_offset_is_the_same_instant():
    deadline = dt.datetime(2025, 3, 31, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))  # = 12:00 EEST
    assert planning.due_at(deadline, "P1D") == utc(2025, 3, 30, 9, 0)


# -- plans ------------------------------------------------------------------------------------------

NOW = utc(2027, 5, 3, 9, 0)
DEADLINE = local(2027, 5, 20, 12, 0)  # 09:00Z


def states(subscription):
    return sorted((r.offset, r.due_at, r.state) for r in Reminder.objects.filter(subscription=subscription))


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_confirmed_subscription_gets_one_row_per_deadline_and_offset():
    notice = save_notice([("tender", DEADLINE), ("questions", local(2027, 5, 10, 16, 0))]).notice
    sub = subscribe(notice, deadlines=("tender", "questions"), before=("P7D", "PT2H"))
    rows = {(r.deadline.kind, r.offset): r for r in Reminder.objects.select_related("deadline")}
    assert set(rows) == {("tender", "P7D"), ("tender", "PT2H"), ("questions", "P7D"), ("questions", "PT2H")}
    assert rows["tender", "P7D"].due_at == utc(2027, 5, 13, 9, 0)
    assert rows["tender", "PT2H"].due_at == utc(2027, 5, 20, 7, 0)
    assert rows["questions", "P7D"].due_at == utc(2027, 5, 3, 13, 0)
    assert {r.state for r in rows.values()} == {State.SCHEDULED}
    assert all(r.next_attempt_at == r.due_at and r.deadline_at == r.deadline.at for r in rows.values())
    assert planning.plan(sub) == planning.Planned()  # idempotent


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_an_offset_already_past_when_subscribing_is_skipped_visibly():
    notice = save_notice([("tender", local(2027, 5, 6, 12, 0))]).notice
    sub = subscribe(notice)
    assert states(sub) == [
        ("P1D", utc(2027, 5, 5, 9, 0), State.SCHEDULED),
        ("P7D", utc(2027, 4, 29, 9, 0), State.SKIPPED),
        ("PT2H", utc(2027, 5, 6, 7, 0), State.SCHEDULED),
    ]


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_an_unconfirmed_subscription_has_no_reminders():
    notice = save_notice([("tender", DEADLINE)]).notice
    sub = subscribe(notice, active=False)
    assert not Reminder.objects.filter(subscription=sub).exists()
    save_notice([("tender", DEADLINE + dt.timedelta(days=2))])
    assert not Reminder.objects.exists() and not Message.objects.filter(kind="moved").exists()


@pytest.mark.django_db
def test_a_later_deadline_moves_the_waiting_reminders_and_queues_one_moved_mail():
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE), ("questions", local(2027, 5, 11, 12, 0))]).notice
        sub = subscribe(notice, deadlines=("tender", "questions"))
        later = local(2027, 5, 27, 12, 0)
        change = save_notice([("tender", later), ("questions", local(2027, 5, 12, 12, 0))])
    assert sorted(m.kind for m in change.moved) == ["questions", "tender"]
    tender = {r.offset: r for r in Reminder.objects.filter(deadline__kind="tender")}
    assert tender["P7D"].due_at == utc(2027, 5, 20, 9, 0) and tender["P7D"].deadline_at == later
    assert tender["PT2H"].due_at == utc(2027, 5, 27, 7, 0)
    assert Reminder.objects.count() == 6 and set(Reminder.objects.values_list("state", flat=True)) == {
        "scheduled"
    }
    (moved,) = Message.objects.filter(subscription=sub, kind="moved")
    assert moved.expires_at == later
    assert {(m["kind"], m["old"], m["new"]) for m in moved.payload["moves"]} == {
        ("tender", "2027-05-20T09:00:00+00:00", "2027-05-27T09:00:00+00:00"),
        ("questions", "2027-05-11T09:00:00+00:00", "2027-05-12T09:00:00+00:00"),
    }


@pytest.mark.django_db
def test_an_earlier_deadline_skips_the_offsets_that_are_now_past():
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        sub = subscribe(notice)
    with time_machine.travel(utc(2027, 5, 8, 9, 0), tick=False):
        save_notice([("tender", local(2027, 5, 12, 12, 0))])
    assert states(sub) == [
        ("P1D", utc(2027, 5, 11, 9, 0), State.SCHEDULED),
        ("P7D", utc(2027, 5, 5, 9, 0), State.SKIPPED),
        ("PT2H", utc(2027, 5, 12, 7, 0), State.SCHEDULED),
    ]
    assert Message.objects.filter(subscription=sub, kind="moved").count() == 1


@pytest.mark.django_db
def test_a_deadline_moved_past_a_sent_reminder_gets_a_new_one_if_its_time_is_ahead():
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        sub = subscribe(notice)
    # The P7D reminder (due 13 May 09:00Z) has gone out.
    Reminder.objects.filter(offset="P7D").update(state=State.SENT, sent_at=utc(2027, 5, 13, 9, 0))
    with time_machine.travel(utc(2027, 5, 14, 9, 0), tick=False):
        save_notice([("tender", local(2027, 5, 24, 12, 0))])  # four days later: P7D is due 17 May, ahead
        save_notice([("tender", local(2027, 5, 25, 12, 0))], title="Tienhoidon urakka 2027 (korjattu)")
    assert states(sub) == [
        ("P1D", utc(2027, 5, 24, 9, 0), State.SCHEDULED),
        ("P7D", utc(2027, 5, 13, 9, 0), State.SENT),  # history stays
        ("P7D", utc(2027, 5, 18, 9, 0), State.SCHEDULED),  # the new one, re-planned by the second move
        ("PT2H", utc(2027, 5, 25, 7, 0), State.SCHEDULED),
    ]
    # Moved twice before the dispatcher ran: one mail, from the first old time to the last new one.
    (moved,) = Message.objects.filter(subscription=sub, kind="moved", state__in=["scheduled", "retry"])
    assert moved.payload["moves"] == [
        {"kind": "tender", "lot": "", "old": "2027-05-20T09:00:00+00:00", "new": "2027-05-25T09:00:00+00:00"}
    ]
    # Moved past the sent one again, to a time whose P7D has passed: recorded as skipped, not sent.
    with time_machine.travel(utc(2027, 5, 19, 9, 0), tick=False):
        save_notice([("tender", local(2027, 5, 21, 12, 0))])
    assert [s for o, _, s in states(sub) if o == "P7D"] == [State.SENT, State.SKIPPED]


@pytest.mark.django_db
def test_a_cancellation_cancels_reminders_and_tells_each_follower_once():
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        a = subscribe(notice, email="a@example.fi")
        b = subscribe(notice, email="b@example.fi", language="sv")
        subscribe(notice, email="pending@example.fi", active=False)
        save_notice([("tender", DEADLINE + dt.timedelta(days=1))])  # a moved mail is waiting...
        change = save_notice([("tender", DEADLINE + dt.timedelta(days=1))], status="cancelled")
        assert change.cancelled
        save_notice([("tender", DEADLINE + dt.timedelta(days=1))], status="cancelled")  # unchanged
    assert set(Reminder.objects.values_list("state", flat=True)) == {State.CANCELLED}
    cancels = Message.objects.filter(kind="cancelled")
    assert sorted(m.subscription_id for m in cancels) == [a.pk, b.pk]
    # ...and is cancelled with the notice: the cancellation says it all.
    assert set(Message.objects.filter(kind="moved").values_list("state", flat=True)) == {State.CANCELLED}
    assert Notice.objects.get().status == "cancelled"


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_removed_deadline_cancels_its_reminders_and_a_returning_one_plans_them_again():
    notice = save_notice([("tender", DEADLINE), ("questions", local(2027, 5, 10, 12, 0))]).notice
    sub = subscribe(notice, deadlines=("tender", "questions"), before=("P1D",))
    save_notice([("tender", DEADLINE)])
    assert dict(Reminder.objects.values_list("deadline__kind", "state")) == {
        "tender": "scheduled",
        "questions": "cancelled",
    }
    # (another title: the store ignores a record identical to an earlier version)
    save_notice(
        [("tender", DEADLINE), ("questions", local(2027, 5, 10, 12, 0))], title="Tienhoito, korjaus 2"
    )
    assert sorted(Reminder.objects.filter(subscription=sub).values_list("deadline__kind", "state")) == [
        ("questions", "cancelled"),
        ("questions", "scheduled"),
        ("tender", "scheduled"),
    ]


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_lots_a_lot_follows_its_own_deadline_or_the_procedures():
    notice = save_notice(
        [
            ("tender", DEADLINE),
            ("tender", local(2027, 5, 25, 12, 0), "LOT-0002"),
            ("questions", local(2027, 5, 9, 12, 0)),
        ],
        lots=("LOT-0001", "LOT-0002"),
    ).notice
    whole = subscribe(notice, email="all@example.fi", deadlines=("tender",), before=("P1D",))
    lot1 = subscribe(
        notice, email="one@example.fi", lot="LOT-0001", deadlines=("tender", "questions"), before=("P1D",)
    )
    lot2 = subscribe(notice, email="two@example.fi", lot="LOT-0002", before=("P1D",))

    def followed(sub):
        return sorted((r.deadline.kind, r.deadline.lot) for r in Reminder.objects.filter(subscription=sub))

    assert followed(whole) == [("tender", ""), ("tender", "LOT-0002")]
    assert followed(lot1) == [("questions", ""), ("tender", "")]
    assert followed(lot2) == [("tender", "LOT-0002")]
