"""Daily and weekly digests leave at the chosen hour in Finnish time, across both DST changes, to a real
SMTP server; the schedule arithmetic itself around the skipped and the repeated hour."""

import datetime as dt

import pytest
import time_machine

from scheduler import alerts
from tests.alerts.conftest import digests, local, make_alert, match, save, send, text_of, utc

# 2027: summer time starts Sunday 28 March 03:00 EET (-> 04:00 EEST), ends Sunday 31 October 04:00 EEST
# (-> 03:00 EET).
CASES = [
    # (frequency, hour, weekday, stored at, due (UTC))
    ("daily", 7, 0, local(2027, 3, 26, 12, 0), utc(2027, 3, 27, 5, 0)),  # winter: 07:00 EET
    ("daily", 7, 0, local(2027, 3, 27, 12, 0), utc(2027, 3, 28, 4, 0)),  # the first summer morning
    ("daily", 7, 0, local(2027, 3, 28, 8, 0), utc(2027, 3, 29, 4, 0)),
    ("daily", 3, 0, local(2027, 3, 27, 12, 0), utc(2027, 3, 28, 1, 0)),  # 03:00 does not exist: 04:00 EEST
    ("daily", 7, 0, local(2027, 10, 30, 12, 0), utc(2027, 10, 31, 5, 0)),  # the first winter morning
    ("daily", 3, 0, local(2027, 10, 30, 12, 0), utc(2027, 10, 31, 0, 0)),  # 03:00 twice: the first (EEST)
    ("daily", 7, 0, local(2027, 5, 3, 6, 59), utc(2027, 5, 3, 4, 0)),  # the same morning when still ahead
    ("daily", 7, 0, local(2027, 5, 3, 7, 0), utc(2027, 5, 4, 4, 0)),  # else the next
    ("weekly", 7, 6, local(2027, 3, 22, 12, 0), utc(2027, 3, 28, 4, 0)),  # Sunday of the change
    ("weekly", 7, 6, local(2027, 10, 25, 12, 0), utc(2027, 10, 31, 5, 0)),
    ("weekly", 7, 0, local(2027, 10, 25, 12, 0), utc(2027, 11, 1, 5, 0)),  # Monday 25th 12:00: next Monday
]


@pytest.mark.parametrize("frequency, hour, weekday, stored, due", CASES)
def test_the_schedule(frequency, hour, weekday, stored, due):
    assert alerts.next_due(frequency, hour, weekday, stored.astimezone(dt.UTC)) == due


def test_immediately_is_now():
    now = utc(2027, 3, 28, 1, 30)
    assert alerts.next_due("immediate", 7, 0, now) == now


@pytest.mark.django_db
@pytest.mark.parametrize("frequency, hour, weekday, stored, due", [c for c in CASES if c[1] == 7])
def test_a_digest_leaves_at_its_hour_across_dst(smtp, frequency, hour, weekday, stored, due):
    with time_machine.travel(stored - dt.timedelta(hours=1), tick=False):
        make_alert({"q": "tienhoito"}, frequency=frequency, hour=hour, weekday=weekday)
    with time_machine.travel(stored, tick=False):
        save("n-1", title="Tienhoito", now=stored, deadlines=[("tender", stored + dt.timedelta(days=40))])
    match(stored + dt.timedelta(seconds=30))
    send(due - dt.timedelta(seconds=1))
    assert digests(smtp) == []
    send(due)
    (mail,) = digests(smtp)
    assert "Tienhoito" in text_of(mail)


@pytest.mark.django_db
def test_a_week_of_daily_digests_over_the_spring_change_sends_one_a_day_and_nothing_on_empty_days(smtp):
    start = local(2027, 3, 25, 6, 0)
    with time_machine.travel(start, tick=False):
        make_alert({"cpv": "45"}, frequency="daily", hour=7)
    sent_at = []
    for day in range(7):
        date = dt.date(2027, 3, 25) + dt.timedelta(days=day)
        noon = local(date.year, date.month, date.day, 12, 0)
        if day != 3:  # 28 March: nothing stored that day
            with time_machine.travel(noon, tick=False):
                save(f"n-{day}", title=f"Urakka {day}", now=noon, deadlines=[("tender", noon + dt.timedelta(days=30))])
            match(noon + dt.timedelta(seconds=10))
        tomorrow = date + dt.timedelta(days=1)
        before = len(digests(smtp))
        send(local(tomorrow.year, tomorrow.month, tomorrow.day, 7, 0))
        if len(digests(smtp)) > before:
            sent_at.append(tomorrow.day)
    mails = digests(smtp)
    assert sent_at == [26, 27, 28, 30, 31, 1]  # nothing on the 29th: the 28th stored nothing
    assert [[d for d in range(7) if f"Urakka {d}" in text_of(m)] for m in mails] == [[0], [1], [2], [4], [5], [6]]
