"""Alerts delivered immediately to a real SMTP server: what a digest says, whom it reaches, what is never
repeated, and changes to notices already announced."""

import datetime as dt

import pytest
import time_machine

from scheduler import alerts
from scheduler.models import Alert, AlertChange, AlertItem, AlertMail, State
from tests.alerts.conftest import (
    OTHER,
    digests,
    html_of,
    local,
    make_alert,
    match,
    save,
    send,
    text_of,
    utc,
)
from tests.smtpserver import header, raw_header

pytestmark = pytest.mark.django_db

NOW = utc(2027, 5, 3, 9, 0)


def at(minutes=0, days=0):
    return NOW + dt.timedelta(minutes=minutes, days=days)


def test_a_new_matching_notice_is_mailed_at_once_with_what_a_bidder_needs(smtp, settings):
    settings.SITE_URL = "https://vahti.example.fi"
    with time_machine.travel(NOW, tick=False):
        make_alert({"q": "urakka", "cpv": "4523"})
        notice = save("n-1", title="Tienhoidon urakka 2027", now=NOW,
                      deadlines=[("tender", local(2027, 5, 20, 12, 0))]).notice
        save("n-2", title="Siivouspalvelut", cpv=("90910000",), now=NOW)  # matches neither filter
    assert AlertChange.objects.count() == 2
    stats = match(at(1))
    assert stats.changes == 2 and stats.announced == 1
    assert not AlertChange.objects.exists()
    assert send(at(1)).sent == 1
    (mail,) = digests(smtp)
    assert mail.envelope_to == ["bidder@example.fi"]
    assert header(mail, "Subject") == "1 uusi ilmoitus: urakka · CPV 4523"
    text = text_of(mail)
    assert "Tienhoidon urakka 2027" in text and "Siivouspalvelut" not in text
    assert "Kymenlaakson Liitto" in text
    assert "20. toukokuuta 2027 kello 12.00" in text and "aikaa jäljellä 16 päivää, 23 tuntia" in text
    assert "45233000" in text
    assert f"https://vahti.example.fi/notices/{notice.pk}/" in text
    assert "https://vahti.example.fi/alerts/remind/" in text
    assert "https://vahti.example.fi/my/" in text  # the address's page
    assert "Tienhoidon urakka 2027" in html_of(mail) and "Muistuta minua" in html_of(mail)
    assert raw_header(mail, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    link = raw_header(mail, "List-Unsubscribe").strip("<>")
    assert link.startswith("https://vahti.example.fi/alerts/unsubscribe/") and link in text
    row = AlertMail.objects.get(kind="digest")
    assert row.state == State.SENT and raw_header(mail, "Message-ID") == f"<alert-digest-{row.pk}@vahti.example.fi>"
    # Nothing is repeated: the same notice saved again, matched again, sends nothing more.
    with time_machine.travel(at(2), tick=False):
        save("n-1", title="Tienhoidon urakka 2027", now=NOW, deadlines=[("tender", local(2027, 5, 20, 12, 0))])
    match(at(3))
    send(at(3))
    assert len(digests(smtp)) == 1


def test_nothing_before_confirmation_and_nothing_stored_before_it(smtp):
    with time_machine.travel(NOW, tick=False):
        alert = make_alert({"q": "tienhoito"}, active=False)
        save("before", title="Tienhoito ennen", now=NOW)
    match(at(1))
    send(at(1))
    assert [m["X-Tracker-Kind"] for m in smtp.messages] == ["alert-confirm"]
    assert "Vahvista" in text_of(smtp.messages[0])
    with time_machine.travel(at(2), tick=False):
        alerts.confirm(alert)
        save("after", title="Tienhoito jälkeen", now=NOW)
    match(at(3))
    send(at(3))
    (mail,) = digests(smtp)
    assert "Tienhoito jälkeen" in text_of(mail) and "Tienhoito ennen" not in text_of(mail)


def test_three_alerts_of_one_address_give_one_mail_each_per_period(smtp):
    with time_machine.travel(NOW, tick=False):
        for filters in ({"q": "urakka"}, {"cpv": "45"}, {"buyer": "FI02067145"}):
            make_alert(filters, frequency="daily", hour=7)
        make_alert({"q": "siivous"}, frequency="daily", hour=7)  # matches nothing
        save("n-1", now=NOW)
        save("n-2", title="Urakka, osa 2", now=NOW)
    match(at(1))
    send(local(2027, 5, 4, 6, 59))
    assert digests(smtp) == []
    send(local(2027, 5, 4, 7, 0))
    mails = digests(smtp, "bidder@example.fi")
    assert len(mails) == 3
    assert sorted(m["X-Alert-Mail"] for m in mails) == sorted(str(p) for p in AlertMail.objects.filter(kind="digest").values_list("pk", flat=True))
    for mail in mails:
        assert "Tienhoidon urakka" in text_of(mail) and "Urakka, osa 2" in text_of(mail)


def test_changes_to_an_announced_notice_are_told_once_old_to_new(smtp):
    with time_machine.travel(NOW, tick=False):
        make_alert({"buyer": "0206714-5"})
        make_alert({"buyer": OTHER}, email="other@example.fi")
        save("n-1", now=NOW, deadlines=[("tender", local(2027, 5, 20, 12, 0))])
    match(at(1))
    send(at(1))
    assert len(digests(smtp)) == 1
    with time_machine.travel(at(10), tick=False):
        save("n-1", now=NOW, deadlines=[("tender", local(2027, 5, 27, 12, 0)), ("tender", local(2027, 5, 27, 12), "LOT-2")],
             lots=("LOT-2",))
    match(at(11))
    send(at(11))
    mails = digests(smtp)
    assert len(mails) == 2
    text = text_of(mails[1])
    assert "20. toukokuuta 2027 kello 12.00 → 27. toukokuuta 2027 kello 12.00" in text
    assert "LOT-2" in text
    assert "Tienhoidon urakka" in text
    with time_machine.travel(at(20), tick=False):
        save("n-1", now=NOW, status="cancelled", deadlines=[("tender", local(2027, 5, 27, 12, 0)), ("tender", local(2027, 5, 27, 12), "LOT-2")],
             lots=("LOT-2",))
    match(at(21))
    send(at(21))
    mails = digests(smtp, "bidder@example.fi")
    assert len(mails) == 3 and "Peruttu." in text_of(mails[2])
    assert digests(smtp, "other@example.fi") == []
    assert AlertItem.objects.filter(kind="moved").count() == 1


def test_a_notice_cancelled_before_its_digest_left_is_not_announced(smtp):
    with time_machine.travel(NOW, tick=False):
        make_alert({"q": "urakka"}, frequency="daily", hour=7)
        save("n-1", now=NOW)
    match(at(1))
    with time_machine.travel(at(60), tick=False):
        save("n-1", now=NOW, status="cancelled")
    match(at(61))
    send(local(2027, 5, 4, 7, 0))
    assert digests(smtp) == []
    assert AlertMail.objects.get(kind="digest").state == State.CANCELLED


def test_an_old_or_closed_or_cancelled_notice_is_not_news(smtp):
    with time_machine.travel(NOW, tick=False):
        make_alert({"q": "tienhoito"})
        save("old", now=NOW, published=NOW - dt.timedelta(days=400))
        save("closed", now=NOW, deadlines=[("tender", NOW - dt.timedelta(days=1))])
        save("cancelled", now=NOW, status="cancelled")
        save("fresh", title="Tienhoito tuore", now=NOW)
    match(at(1))
    send(at(1))
    (mail,) = digests(smtp)
    assert AlertItem.objects.count() == 1 and "Tienhoito tuore" in text_of(mail)


def test_a_digest_holds_at_most_the_configured_number_with_n_more(smtp, settings):
    settings.ALERTS_DIGEST_MAX = 3
    with time_machine.travel(NOW, tick=False):
        alert = make_alert({"cpv": "45"})
        for n in range(5):
            save(f"n-{n}", title=f"Urakka {n}", now=NOW)
    match(at(1))
    send(at(1))
    (mail,) = digests(smtp)
    text = text_of(mail)
    assert sum(f"Urakka {n}" in text for n in range(5)) == 3
    assert "Ja 2 muuta" in text
    assert f"/alerts/{alert.pk}:" in text  # the alert's page: the full list


def test_an_unsubscribed_alert_sends_nothing_more(smtp):
    with time_machine.travel(NOW, tick=False):
        alert = make_alert({"q": "urakka"}, frequency="daily")
        save("n-1", now=NOW)
    match(at(1))
    alerts.unsubscribe(alert)
    with time_machine.travel(at(2), tick=False):
        save("n-2", title="Urakka 2", now=NOW)
    match(at(3))
    send(local(2027, 5, 4, 7, 0))
    assert smtp.messages == []
    assert Alert.objects.get().status == "unsubscribed"
