"""``python manage.py poll [SOURCE] [--all]`` for operators and tests."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from notices.models import Notice, Source
from tests.conftest import corpus_path
from tests.httpserver import Response
from tests.polling.conftest import make_source

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("poll", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def page(http_server):
    return http_server.serve("/news", Response(200, corpus_path("fi-web", "kymenlaakso-2016-05.html").read_bytes()))


def test_poll_one_source_by_name_or_id_even_when_not_due(page):
    later = timezone.now() + dt.timedelta(hours=1)
    source = make_source(page, name="Kymenlaakso", next_poll_at=later)
    assert run("Kymenlaakso") == (0, "Kymenlaakso: new: 1, updated: 0, unchanged: 0, rejected: 0\n", "")
    assert run(str(source.pk))[1] == "Kymenlaakso: new: 0, updated: 0, unchanged: 1, rejected: 0\n"
    with pytest.raises(CommandError, match="no source with the id or name 'nope'"):
        call_command("poll", "nope")


def test_without_a_source_it_polls_what_is_due_and_all_with_all(page, http_server):
    make_source(page, name="Due")
    make_source(page, name="Later", next_poll_at=timezone.now() + dt.timedelta(hours=1))
    make_source(page, name="Off", enabled=False)
    code, out, _ = run()
    assert code == 0 and out.splitlines() == ["Due: new: 1, updated: 0, unchanged: 0, rejected: 0"]
    assert run()[1] == "nothing to poll: no enabled source is due (--all polls them all)\n"
    code, out, _ = run("--all")
    assert sorted(line.split(":")[0] for line in out.splitlines()) == ["Due", "Later"]  # most overdue first
    assert Notice.objects.count() == 1 and http_server.hits("/news") == 3


def test_a_failed_poll_exits_1_and_says_why(http_server):
    url = http_server.serve("/gone", Response(404, b""))
    make_source(url, name="Gone")
    code, out, err = run("Gone")
    assert code == 1 and out == ""
    assert err == f"Gone: new: 0, updated: 0, unchanged: 0, rejected: 0; error: {url}: the server answered HTTP 404\n"
    assert Source.objects.get().failures == 1


def test_a_source_being_polled_is_left_alone():
    source = make_source("https://buyer.example.fi/news", name="Busy")
    Source.objects.filter(pk=source.pk).update(lease_until=timezone.now() + dt.timedelta(minutes=5), leased_by="w1")
    with pytest.raises(CommandError, match="Busy is being polled right now by w1"):
        call_command("poll", "Busy")


def test_a_source_is_checked_before_it_is_saved():
    from django.core.exceptions import ValidationError

    for kind, url, field in [
        (Source.Kind.FI_WEB, "buyer.example.fi/news", "url"),
        (Source.Kind.FOLDER, "relative/path", "url"),
        (Source.Kind.TED, "ftp://ted", "url"),
    ]:
        with pytest.raises(ValidationError) as caught:
            Source(name="x", kind=kind, url=url).full_clean()
        assert field in caught.value.message_dict
    with pytest.raises(ValidationError, match="once a minute"):
        Source(name="x", kind=Source.Kind.TED, interval=10).full_clean()
    Source(name="x", kind=Source.Kind.TED).full_clean()  # the default API URL
