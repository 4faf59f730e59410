"""One eForms notice from both TED and Hilma (the same notice id) is one notice that keeps both origins;
whichever copy comes second makes no new version, no reminder and no mail, in either order."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import Client

from notices.models import Notice, NoticeVersion, Source
from scheduler.models import Message, Reminder
from tests.conftest import corpus_path
from tests.polling.conftest import UTC, make_source, poll_now
from tests.polling.test_pages import subscribe

pytestmark = pytest.mark.django_db

OPEN = "c4c415ee-ac08-4465-8fa6-57568cf69462"  # cn_24_open.xml: tender deadline 3.4.2020
BEFORE_DEADLINE = dt.datetime(2020, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("first", ["ted", "hilma"])
def test_the_same_notice_from_ted_and_hilma_is_one_notice_with_both_origins(ted, hilma, first):
    xml = corpus_path("eforms-sdk-1.15.1", "cn_24_open.xml").read_bytes()
    # TED's copy in other bytes (the same notice as a reader sees it): no new version for that either.
    published = xml.replace(b"?>", b"?>\n<!-- as published on TED -->", 1)
    ted.add("126543-2020", "2020-02-28+01:00", published)
    hilma_path = hilma.add_eforms(4711, "2020-02-28T11:32:13Z", xml)
    base = ted.server.base
    sources = {
        "ted": make_source(base, kind=Source.Kind.TED, name="TED", watermark="20200228"),
        "hilma": make_source(base, kind=Source.Kind.HILMA, name="Hilma", watermark="2020-02-28T00:00:00.000Z"),
    }
    second = "hilma" if first == "ted" else "ted"
    with time_machine.travel(BEFORE_DEADLINE, tick=False):
        assert poll_now(sources[first]).counts["new"] == 1
        notice = Notice.objects.get()
        subscription = subscribe(notice)
        reminders = list(Reminder.objects.filter(subscription=subscription).values_list("pk", "due_at", "state"))
        assert reminders
        messages = Message.objects.count()
        outbox = len(mail.outbox)

        result = poll_now(sources[second])

    assert (result.status, result.counts["new"], result.counts["updated"], result.counts["unchanged"]) == (
        "ok", 0, 0, 1,
    )  # fmt: skip
    assert Notice.objects.count() == 1 and NoticeVersion.objects.count() == 1
    assert list(Reminder.objects.filter(subscription=subscription).values_list("pk", "due_at", "state")) == reminders
    assert Message.objects.count() == messages and len(mail.outbox) == outbox
    ted_url, hilma_url = f"{base}/en/notice/126543-2020/xml", base + hilma_path
    order = [ted_url, hilma_url] if first == "ted" else [hilma_url, ted_url]
    assert [o.url for o in notice.origins.all()] == order

    page = Client().get(f"/notices/{notice.pk}/").content.decode()
    assert ted_url in page and hilma_url in page

    # Fetched again (the cursor forgotten), the copy is still the same notice, and its origin is kept once.
    Source.objects.filter(pk=sources[first].pk).update(cursor={})
    sources[first].refresh_from_db()
    assert poll_now(sources[first]).counts["unchanged"] == 1
    assert [o.url for o in Notice.objects.get().origins.all()] == order
    assert NoticeVersion.objects.count() == 1
