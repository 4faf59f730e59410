"""The publishers' rules are compiled in one long-lived process and never in a web request: pages and the
API ask that process through the database (notices.export.checks), and are told "the rules are being
prepared" while no process holds them compiled."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.utils import timezone

from notices import clock
from notices.export import checks, jobs, validate
from notices.models import RuleCheck, RuleValidator
from tests.api.conftest import Api, user_with_token
from tests.export.conftest import content, make_draft

ROOT = Path(__file__).resolve().parents[2]


def broken(buyer, staff):
    """A call whose eForms notice fails rules: no description, lot 2 without a title, no buyer NUTS code."""
    body = content(lots=2, descriptions={})
    body["lots"][1]["title"] = ""
    body["lots"][1]["titles"] = {}
    return make_draft(buyer, staff, body, nuts="")


@pytest.mark.django_db(transaction=True)
def test_without_a_ready_validator_a_request_is_told_to_wait_and_compiles_nothing(buyer, staff, settings, tmp_path):
    settings.EFORMS_RULES_CACHE_DIR = str(tmp_path / "rules")  # empty: whatever compiled would land here
    before = dict(validate.TIMINGS)
    draft = make_draft(buyer, staff, content())
    _user, token = user_with_token("officer", buyers=[buyer])
    api = Api(token)

    # No validator at all, one still compiling, one not seen for minutes: all the same to the asker.
    states = [None, {"ready_at": None}, {"ready_at": timezone.now(), "seen_at": timezone.now() - dt.timedelta(minutes=5)}]
    for state in states:
        RuleValidator.objects.all().delete()
        if state is not None:
            RuleValidator.objects.create(name="elsewhere", **state)
        answer = api.post(f"/api/officer/drafts/{draft.pk}/eforms/validate?kind=national")
        assert answer.status_code == 503, answer.content
        assert answer.json()["error"]["code"] == "unavailable"
        assert answer.json()["error"]["message"] == "The rules are being prepared; try again in a minute."
        assert answer["Retry-After"] == "60"

    assert not (tmp_path / "rules").exists() and validate.TIMINGS == before  # nothing transpiled or compiled
    assert not RuleCheck.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_check_nobody_answers_in_time_is_withdrawn(buyer, staff, settings):
    RuleValidator.objects.create(name="hung", ready_at=timezone.now(), seen_at=timezone.now())
    started = time.monotonic()
    with pytest.raises(checks.RulesNotReady):
        checks.ask(b"<x/>", "eu", wait=0.3)
    assert time.monotonic() - started < 5
    assert not RuleCheck.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_checks_are_claimed_once_and_a_crashed_validators_check_is_taken_over():
    first, second = checks.Validator("one"), checks.Validator("two")
    row = RuleCheck.objects.create(kind="eu", xml=b"<x/>")
    assert first.claim().pk == row.pk
    assert second.claim() is None  # running, claimed by "one"
    RuleCheck.objects.filter(pk=row.pk).update(claimed_at=timezone.now() - dt.timedelta(seconds=checks.STUCK + 1))
    taken = second.claim()
    assert taken.pk == row.pk and taken.claimed_by == "two"
    # What "one" finishes late is not written over "two"'s claim.
    first.answer(row)
    assert RuleCheck.objects.get(pk=row.pk).state == RuleCheck.State.RUNNING

    old = RuleCheck.objects.create(kind="eu", xml=b"<x/>", state="done")
    RuleCheck.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(seconds=checks.KEEP + 1))
    RuleValidator.objects.create(name="gone", seen_at=timezone.now() - dt.timedelta(days=2))
    second.tidy()
    assert list(RuleCheck.objects.values_list("pk", flat=True)) == [row.pk]
    assert not RuleValidator.objects.filter(name="gone").exists()


def test_the_scheduler_registers_the_validator_and_the_ted_refresh(settings):
    settings.EFORMS_CHECKS_IN_SCHEDULER = True
    settings.TED_ESENDER_TOKEN = ""
    ids = {job.id for job in clock.jobs()}
    assert jobs.RULES_JOB_ID in ids and jobs.TED_JOB_ID not in ids
    settings.EFORMS_CHECKS_IN_SCHEDULER = False
    settings.TED_ESENDER_TOKEN = "key"
    ids = {job.id for job in clock.jobs()}
    assert jobs.RULES_JOB_ID not in ids and jobs.TED_JOB_ID in ids


@pytest.mark.schematron
def test_a_check_asked_by_the_api_is_answered_by_the_validator_with_each_rule_by_field(validator, buyer, staff):
    draft = broken(buyer, staff)
    _user, token = user_with_token("officer", buyers=[buyer])
    answer = Api(token).post(f"/api/officer/drafts/{draft.pk}/eforms/validate?kind=national&lang=sv")
    assert answer.status_code == 200, answer.content
    report = answer.json()
    assert report["ok"] is False and report["kind"] == "national"
    by_path = {}
    for f in report["findings"]:
        by_path.setdefault(tuple(f["path"]) if f["path"] else None, []).append(f)
    for path, field in {
        ("descriptions", "fi"): "BT-24-Procedure",
        ("lots", 1, "title"): "BT-21-Lot",
        ("eforms", "buyer_nuts"): "BT-507-Organization-Company",
    }.items():
        finding = next(f for f in by_path[path] if f["field"] == field)
        assert finding["severity"] == "ERROR"
        assert finding["label"] == finding["labels"]["sv"] and finding["text"] == finding["messages"]["sv"]
        assert finding["rule"].startswith(("BR-", "FI-"))
    # The validator answered it: it was a row in the queue, claimed by the validator thread.
    assert RuleCheck.objects.get().claimed_by == validator.name


@pytest.mark.schematron
def test_runscheduler_compiles_the_rules_at_start_and_answers_checks(rules, transactional_db, buyer, staff,
                                                                     settings, tmp_path):
    """A real ``manage.py runscheduler``: its validator process compiles the rules before anything asks
    (from the cache of transpiled rules this session made), says it is ready, and answers a check made
    here; it stops with the scheduler."""
    from django.db import connection

    from tests.scheduler.conftest import database_url

    env = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    env.update(DATABASE_URL=database_url(), TRACKER_VAR_DIR=str(tmp_path), LOG_LEVEL="INFO", PYTHONUNBUFFERED="1",
               POLL_SOURCES="false", EFORMS_CHECKS_IN_SCHEDULER="true",
               EFORMS_RULES_CACHE_DIR=settings.EFORMS_RULES_CACHE_DIR)
    log = tmp_path / "runscheduler.log"
    draft = broken(buyer, staff)
    connection.close()
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "manage.py", "runscheduler", "--senders", "1"],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None and not checks.ready():
            time.sleep(0.2)
        assert checks.ready(), log.read_text(errors="replace")
        row = RuleValidator.objects.get()
        assert row.ready_at is not None and row.rules == {k: validate.rules_hash(k) for k in validate.KINDS}
        assert not RuleCheck.objects.exists()  # compiled ahead of need: nothing had asked yet

        from notices.export import service

        report = service.check(draft, "national", rules=checks.ask)
        assert not report.ok
        assert ("eforms", "buyer_nuts") in {f.path for f in report.errors}
        assert RuleCheck.objects.get().claimed_by == row.name
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    output = log.read_text(errors="replace")
    assert code == 0, output
    assert "started the eForms validator process" in output and "eForms rules ready" in output
    # The rules were compiled in the validator, a child of the scheduler, which stopped with it.
    assert row.name.split(":")[1] != str(process.pid)
    assert not RuleValidator.objects.exists(), output


@pytest.mark.schematron
def test_a_validator_whose_scheduler_is_gone_stops(rules, transactional_db):
    from io import StringIO

    from django.core.management import call_command

    printed = StringIO()
    call_command("eforms_validator", "--parent", str(os.getppid() + 1_000_000), "--tick", "0.01", stdout=printed)
    assert "the process that started this validator is gone: stopping" in printed.getvalue()
    assert not RuleValidator.objects.exists()


@pytest.mark.schematron
def test_the_standalone_validator_command_answers_what_is_pending(rules, transactional_db, buyer, staff):
    from io import StringIO

    from django.core.management import call_command

    from notices.export import service

    draft = broken(buyer, staff)
    xml = bytes(service.export(draft, "eu").xml)
    pending = RuleCheck.objects.create(kind="eu", xml=xml, context=draft.payload)
    printed = StringIO()
    call_command("eforms_validator", "--once", stdout=printed)
    pending.refresh_from_db()
    assert pending.state == RuleCheck.State.DONE
    assert ["eforms", "buyer_nuts"] in [f["path"] for f in pending.findings]
    assert "answered 1 checks" in printed.getvalue()
    assert not RuleValidator.objects.exists()  # it said it is gone
