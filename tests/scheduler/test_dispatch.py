"""Reminders delivered to a real SMTP server: on time, never after the deadline, following every change."""

import datetime as dt

import pytest
import time_machine
from icalendar import Calendar

from scheduler.dispatch import Dispatcher
from scheduler.models import Message, Reminder, State, Subscription
from tests.scheduler.conftest import HELSINKI, UTC, save_notice, subscribe
from tests.smtpserver import header, raw_header

pytestmark = pytest.mark.django_db


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def local(*args):
    return dt.datetime(*args, tzinfo=HELSINKI)


NOW = utc(2027, 5, 3, 9, 0)
DEADLINE = local(2027, 5, 20, 12, 0)  # 09:00Z


def run(at, **kw):
    with time_machine.travel(at, tick=False):
        return Dispatcher("test", retry_base=60, **kw).run_once()


def ics_of(message):
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return Calendar.from_ical(parts[0].get_content())


def text_of(message):
    return message.get_body(("plain",)).get_content()


def html_of(message):
    return message.get_body(("html",)).get_content()


def test_a_reminder_leaves_when_due_with_everything_a_bidder_needs(smtp, settings):
    settings.SITE_URL = "https://vahti.example.fi"
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        sub = subscribe(notice, before=("P1D",))
    assert not run(utc(2027, 5, 19, 8, 59, 59)).sent
    stats = run(utc(2027, 5, 19, 9, 0, 0))
    assert stats.sent == 1
    (mail,) = smtp.messages
    reminder = Reminder.objects.get()
    assert reminder.state == State.SENT and reminder.sent_at == utc(2027, 5, 19, 9, 0)
    assert mail.envelope_to == ["bidder@example.fi"]
    assert mail["X-Reminder-ID"] == str(reminder.pk)
    assert header(mail, "Subject") == (
        "Muistutus: tarjousten määräaika 20. toukokuuta 2027 kello 12.00 – Tienhoidon urakka 2027"
    )
    text = text_of(mail)
    assert "Tienhoidon urakka 2027" in text and "Kymenlaakson Liitto" in text
    assert "20. toukokuuta 2027 kello 12.00 (Helsingin aikaa)" in text and "2027-05-20 09:00 UTC" in text
    assert "Aikaa jäljellä: 1 päivä" in text
    assert f"https://vahti.example.fi/notices/{notice.pk}/" in text
    assert "Tienhoidon urakka 2027" in html_of(mail) and "Aikaa jäljellä" in html_of(mail)
    # One-click unsubscribe (RFC 8058), also in the body; on the wire as a plain <URI>, not encoded.
    assert raw_header(mail, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    link = raw_header(mail, "List-Unsubscribe")
    assert link.startswith("<https://vahti.example.fi/subscriptions/unsubscribe/") and link.endswith("/>")
    assert link.strip("<>") in text and link.strip("<>") in html_of(mail)
    assert raw_header(mail, "Message-ID") == f"<reminder-{reminder.pk}@vahti.example.fi>"
    # The calendar entry.
    cal = ics_of(mail)
    (event,) = cal.walk("VEVENT")
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(event["UID"]) == f"deadline-{notice.pk}-all-tender@vahti.example.fi"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == utc(2027, 5, 20, 9, 0)
    assert sub.pk  # (kept for readability)


@pytest.mark.parametrize(
    "language, subject, left",
    [
        ("sv", "Påminnelse: sista dag för anbud 20 maj 2027 12:00 – Vägunderhåll 2027", "Tid kvar: 2 timmar"),
        ("en", "Reminder: tender deadline 20 May 2027, 12:00 – Road maintenance 2027", "Time left: 2 hours"),
    ],
)
def test_a_reminder_is_in_the_subscribers_language(smtp, language, subject, left):
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        subscribe(notice, before=("PT2H",), language=language)
    run(utc(2027, 5, 20, 7, 0))
    (mail,) = smtp.messages
    assert header(mail, "Subject") == subject
    assert left in text_of(mail)


def test_the_calendar_entry_keeps_its_uid_and_raises_its_sequence_after_a_move(smtp):
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)], lots=("LOT-7",)).notice
        subscribe(notice, lot="LOT-7", before=("P7D", "P1D"))
    run(utc(2027, 5, 13, 9, 0))  # P7D
    with time_machine.travel(utc(2027, 5, 14, 9, 0), tick=False):
        save_notice([("tender", local(2027, 5, 24, 12, 0))], lots=("LOT-7",))
    run(utc(2027, 5, 14, 9, 0))  # the moved mail
    run(utc(2027, 5, 23, 9, 0))  # P1D before the new time
    # P7D, the moved mail, then P7D again (its new time, 17 May, was still ahead) and P1D.
    assert smtp.kinds() == ["reminder", "moved", "reminder", "reminder"]
    events = [ics_of(m).walk("VEVENT")[0] for m in smtp.messages]
    assert {str(e["UID"]) for e in events} == {f"deadline-{notice.pk}-all-tender@127.0.0.1"}
    assert [int(e["SEQUENCE"]) for e in events] == [0, 1, 1, 1]
    assert [e.decoded("DTSTART") for e in events] == [utc(2027, 5, 20, 9, 0)] + [utc(2027, 5, 24, 9, 0)] * 3


def test_a_moved_deadline_is_told_once_with_old_and_new_time(smtp):
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        subscribe(notice, email="a@example.fi")
        subscribe(notice, email="b@example.fi", language="en")
        save_notice([("tender", local(2027, 5, 27, 12, 0))])
    run(utc(2027, 5, 3, 9, 0, 1))
    run(utc(2027, 5, 3, 9, 5))
    assert sorted(smtp.kinds("a@example.fi") + smtp.kinds("b@example.fi")) == ["moved", "moved"]
    text = text_of(smtp.to("b@example.fi")[0])
    assert "was: 20 May 2027, 12:00 (2027-05-20 09:00 UTC)" in text
    assert "now: 27 May 2027, 12:00 (2027-05-27 09:00 UTC)" in text
    assert header(smtp.to("a@example.fi")[0], "Subject") == "Määräaika muuttui: Tienhoidon urakka 2027"


def test_a_cancelled_notice_sends_one_cancel_mail_and_no_reminder(smtp):
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        subscribe(notice)
        save_notice([("tender", DEADLINE)], status="cancelled")
    for day in (3, 13, 19, 20):
        run(utc(2027, 5, day, 9, 0, 1))
    assert smtp.kinds() == ["cancelled"]
    assert header(smtp.messages[0], "Subject") == "Hankinta peruttu: Tienhoidon urakka 2027"
    assert set(Reminder.objects.values_list("state", flat=True)) == {State.CANCELLED}


def test_the_cancel_mail_takes_the_deadline_out_of_the_calendar(smtp):
    """The reminder put the deadline in the subscriber's calendar; the cancellation's METHOD:CANCEL
    (same UID, a higher SEQUENCE) takes it out again, even when the cancelling version lists no deadline."""
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        subscribe(notice, before=("P7D",))
    run(utc(2027, 5, 13, 9, 0, 1))  # the reminder, with its .ics
    with time_machine.travel(utc(2027, 5, 14, 9, 0), tick=False):
        save_notice([], status="cancelled")
    run(utc(2027, 5, 14, 9, 0, 1))
    assert smtp.kinds() == ["reminder", "cancelled"]
    published, cancelled = (ics_of(m) for m in smtp.messages)
    assert str(published["METHOD"]) == "PUBLISH" and str(cancelled["METHOD"]) == "CANCEL"
    (before,), (after,) = published.walk("VEVENT"), cancelled.walk("VEVENT")
    assert str(after["UID"]) == str(before["UID"]) == f"deadline-{notice.pk}-all-tender@127.0.0.1"
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"]) and str(after["STATUS"]) == "CANCELLED"
    part = next(p for p in smtp.messages[1].walk() if p.get_content_type() == "text/calendar")
    assert part.get_param("method") == "CANCEL"


def test_nothing_but_the_confirmation_goes_to_an_unconfirmed_address(smtp):
    from scheduler import planning

    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        sub = subscribe(notice, email="unsure@example.fi", active=False)
        planning.queue_confirmation(sub)
        save_notice([("tender", local(2027, 5, 21, 12, 0))])  # moved: no mail for a pending address
        # Rows a bug might have queued anyway are refused at the door.
        Message.objects.create(subscription=sub, kind="moved", next_attempt_at=NOW, payload={"moves": []})
    for day in (3, 4, 14, 20, 21):
        run(utc(2027, 5, day, 9, 0, 1))
    assert smtp.kinds() == ["confirm"]
    assert Message.objects.get(kind="moved").state == State.CANCELLED


def test_nothing_is_sent_at_or_after_its_deadline(smtp):
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        subscribe(notice)
    # The scheduler was down for weeks and comes back after the deadline: everything is missed.
    stats = run(utc(2027, 5, 20, 9, 0))
    assert stats.missed == 3 and stats.sent == 0
    assert not smtp.messages
    assert set(Reminder.objects.values_list("state", flat=True)) == {State.MISSED}
    assert "deadline passed" in Reminder.objects.first().last_error


def test_a_late_dispatcher_still_sends_what_is_before_the_deadline(smtp):
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        subscribe(notice)
    # Down from before P7D until after P1D: P7D and P1D go late (but before the deadline), PT2H on time.
    run(utc(2027, 5, 19, 12, 0))
    run(utc(2027, 5, 20, 7, 0))
    assert len(smtp.messages) == 3
    assert set(Reminder.objects.values_list("state", flat=True)) == {State.SENT}


def test_smtp_down_for_a_while_everything_delivered_when_it_returns_except_past_deadlines(smtp):
    with time_machine.travel(NOW, tick=False):
        first = save_notice([("tender", local(2027, 5, 4, 12, 0))], source_id="closes-soon").notice
        second = save_notice([("tender", local(2027, 5, 9, 12, 0))], source_id="closes-later").notice
        subscribe(first, before=("PT2H",))  # due 4 May 07:00Z, deadline 09:00Z
        subscribe(second, before=("P1D", "P5D"))  # due 8 May 09:00Z and 4 May 09:00Z
    smtp.stop()
    stats = run(utc(2027, 5, 4, 7, 0))
    assert stats.outage and stats.sent == 0
    assert set(
        Reminder.objects.filter(due_at__lte=utc(2027, 5, 4, 7, 0)).values_list("state", "attempts")
    ) == {
        (State.RETRY, 0)  # a server that is not there uses up no attempt
    }
    run(utc(2027, 5, 4, 8, 0))  # still down
    stats = run(utc(2027, 5, 4, 9, 30))  # still down; the first deadline has passed meanwhile
    assert stats.missed == 1
    smtp.start()
    stats = run(utc(2027, 5, 4, 9, 31))
    assert stats.sent == 1  # the P5D one, late but before its deadline
    run(utc(2027, 5, 8, 9, 0))
    assert sorted(Reminder.objects.values_list("offset", "state")) == [
        ("P1D", State.SENT),
        ("P5D", State.SENT),
        ("PT2H", State.MISSED),
    ]
    assert sorted(int(m["X-Reminder-ID"]) for m in smtp.messages) == sorted(
        Reminder.objects.filter(state=State.SENT).values_list("pk", flat=True)
    )


def test_a_refusing_server_is_retried_with_backoff_then_failed(smtp):
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        subscribe(notice, before=("P7D",))
    smtp.handler.refuse = "451 4.3.0 Try again later"
    due = utc(2027, 5, 13, 9, 0)
    stats = run(due, max_attempts=3)
    reminder = Reminder.objects.get()
    assert stats.retried == 1 and reminder.state == State.RETRY and reminder.attempts == 1
    assert reminder.next_attempt_at == due + dt.timedelta(seconds=60) and "451" in reminder.last_error
    assert not run(due + dt.timedelta(seconds=59), max_attempts=3)  # not yet
    run(due + dt.timedelta(seconds=60), max_attempts=3)
    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts) == (State.RETRY, 2)
    assert reminder.next_attempt_at == due + dt.timedelta(seconds=180)  # 60 s, then 120 s
    run(due + dt.timedelta(seconds=180), max_attempts=3)
    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts) == (State.FAILED, 3)
    smtp.handler.refuse = None
    assert not run(due + dt.timedelta(days=1), max_attempts=3).sent
    assert not smtp.messages


def test_a_permanent_refusal_fails_at_once(smtp):
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        subscribe(notice, before=("P7D",))
    smtp.handler.refuse = "554 5.7.1 Rejected"
    run(utc(2027, 5, 13, 9, 0))
    assert Reminder.objects.get().state == State.FAILED


def test_rows_stuck_in_sending_are_recovered_and_sent(smtp):
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        subscribe(notice, before=("P7D",))
    # A worker claimed it and died.
    Reminder.objects.update(
        state=State.SENDING, claimed_by="dead/1", claimed_at=utc(2027, 5, 13, 9, 0), attempts=1
    )
    assert not run(utc(2027, 5, 13, 9, 4), stuck_after=300).sent  # not stuck yet: it may still be sending
    stats = run(utc(2027, 5, 13, 9, 5, 1), stuck_after=300)
    assert stats.recovered == 1 and stats.sent == 1
    reminder = Reminder.objects.get()
    assert (reminder.state, reminder.attempts) == (State.SENT, 2)


def test_one_click_unsubscribe_from_the_mail_needs_no_login(smtp, client):
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        sub = subscribe(notice, before=("P7D", "P1D"))
    run(utc(2027, 5, 13, 9, 0))
    link = header(smtp.messages[0], "List-Unsubscribe").strip("<>")
    path = link.removeprefix("http://127.0.0.1:8000")
    # A GET (a link scanner) only shows the question.
    page = client.get(path)
    assert page.status_code == 200 and b"<form" in page.content
    assert Subscription.objects.get().status == "active"
    # The mail client's RFC 8058 POST, without cookies or CSRF token.
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    sub.refresh_from_db()
    assert sub.status == "unsubscribed" and sub.unsubscribed_at
    assert dict(Reminder.objects.values_list("offset", "state")) == {
        "P7D": State.SENT,
        "P1D": State.CANCELLED,
    }
    run(utc(2027, 5, 19, 9, 0))
    assert len(smtp.messages) == 1
    assert client.post(path.replace("unsubscribe/", "unsubscribe/x")).status_code == 400


def test_the_pdf_summary_is_attached_and_rendered_once_for_the_batch(smtp, monkeypatch):
    calls = []

    def render_summary(notice, lang):
        calls.append((notice.pk, lang))
        return (f"notice-{notice.pk}.pdf", "application/pdf", b"%PDF-1.7 test")

    monkeypatch.setattr("notices.pdf.render_summary", render_summary)
    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        subscribe(notice, email="a@example.fi", before=("P7D",), language="sv")
        subscribe(notice, email="b@example.fi", before=("P7D",), language="sv")
    run(utc(2027, 5, 13, 9, 0))
    assert len(smtp.messages) == 2
    for mail in smtp.messages:
        (pdf,) = [p for p in mail.walk() if p.get_content_type() == "application/pdf"]
        assert pdf.get_filename() == f"notice-{notice.pk}.pdf" and pdf.get_content() == b"%PDF-1.7 test"
    assert calls == [(notice.pk, "sv")]  # rendered once for the batch


def test_a_claim_recovered_by_another_dispatcher_is_not_sent_by_its_first_holder(smtp):
    from scheduler.dispatch import Stats

    with time_machine.travel(NOW, tick=False):
        notice = save_notice([("tender", DEADLINE)]).notice
        subscribe(notice, before=("P7D",))
    due = utc(2027, 5, 13, 9, 0)
    slow = Dispatcher("slow", stuck_after=300)
    with time_machine.travel(due, tick=False):
        _, token, rows = slow.claim(Reminder, due)
    assert [r.state for r in rows] == [State.SENDING]
    # "slow" stalls past its lease; another dispatcher recovers the row and sends it.
    with time_machine.travel(due + dt.timedelta(seconds=301), tick=False):
        assert Dispatcher("other", stuck_after=300).run_once().sent == 1
    # When "slow" wakes up, renewing its claim fails: it does not send.
    with time_machine.travel(due + dt.timedelta(seconds=302), tick=False):
        stats = Stats()
        slow.send(Reminder, token, rows, None, stats)
    assert stats.sent == 0 and len(smtp.messages) == 1
    assert Reminder.objects.get().claimed_by.startswith("other/")
