"""Fixtures for the eForms export: two officer drafts as the issue names them (one without lots, one with
10 lots), the buyer they belong to, and the publishers' Schematron rules compiled once per test session.

Schematron tests are marked ``schematron`` and run on the SQLite pass of bin/test only (the rules are the
same whatever the database; compiling them costs seconds, so not twice)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.contrib.auth.models import User

from notices import officers
from notices.export import fields
from notices.models import Buyer, Draft
from tests.api.conftest import KYMENLAAKSO, buyer_record, in_days, save
from tests.conftest import corpus_path

NOW = dt.datetime(2027, 9, 6, 8, 0, tzinfo=dt.UTC)
EEST = dt.timezone(dt.timedelta(hours=3))


def iso(days: int, hour: int = 12, zone=EEST) -> str:
    day = (NOW + dt.timedelta(days=days)).date()
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=zone).isoformat()


def content(lots: int = 0, **changes) -> dict:
    """An officer's call: without lots, or with ``lots`` lots each with its own CPV code and deadlines."""
    body = {
        "title": "Koulujen siivous 2028",
        "titles": {"sv": "Skolstädning 2028"},
        "descriptions": {"fi": "Koulujen ja päiväkotien siivous kolmeksi vuodeksi.", "sv": "Städning av skolor."},
        "language": "fi",
        "cpv": ["90910000", "90911200"],
        "lots": [],
        "deadlines": [
            {"kind": "questions", "at": iso(10)},
            {"kind": "tender", "at": iso(40)},
            {"kind": "opening", "at": iso(40, 13)},
        ],
        "contacts": [{"email": "hankinnat@example.fi", "phone": "+358 40 1234567", "street": "Keskuskatu 10",
                      "postal_code": "48100", "city": "Kotka"}],
        "links": ["https://example.fi/tarjouspyynto.pdf"],
    }
    if lots:
        body["lots"] = [
            {"id": f"LOT-{i:04d}", "title": f"Alue {i}", "titles": {"sv": f"Område {i}"}, "cpv": ["90911000"]}
            for i in range(1, lots + 1)
        ]
        # Lot 2 closes later than the rest, in winter time: its own offset must survive.
        winter = dt.timezone(dt.timedelta(hours=2))
        body["deadlines"] += [
            {"kind": "tender", "lot": "LOT-0002", "at": iso(60, 10, winter)},
            {"kind": "opening", "lot": "LOT-0002", "at": iso(60, 11, winter)},
        ]
    body.update(changes)
    return body


@pytest.fixture
def buyer(db) -> Buyer:
    save("seed-1", buyers=(buyer_record(),), deadlines=[("tender", in_days(30))])
    return Buyer.objects.get(identifiers__value=KYMENLAAKSO)


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_user("staff", "staff@example.fi", None, is_staff=True)


def make_draft(buyer: Buyer, staff: User, body: dict, *, nuts: str = "FI1C7") -> Draft:
    draft = officers.create_draft(staff, {**body, "buyer": KYMENLAAKSO}, now=NOW)
    row = fields.of(draft)
    row.buyer_nuts = nuts
    row.save()
    return draft


@pytest.fixture
def no_lots(buyer, staff) -> Draft:
    return make_draft(buyer, staff, content())


@pytest.fixture
def ten_lots(buyer, staff) -> Draft:
    return make_draft(buyer, staff, content(lots=10))


@pytest.fixture(scope="session")
def rules(tmp_path_factory):
    """The publishers' Schematron rules, transpiled into a fresh cache and compiled once per session.
    Skipped on the PostgreSQL pass: the rules do not depend on the database."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("Schematron rules run on the SQLite pass only")
    corpus_path("eforms-sdk-1.15.1")
    from django.test import override_settings

    from notices.export import validate

    with override_settings(EFORMS_RULES_CACHE_DIR=str(tmp_path_factory.mktemp("eforms-rules"))):
        timings = validate.warm()
        print("\nSchematron transpile/compile:", {k: round(v, 2) for k, v in timings.items()})
        yield timings


class ValidatorThread:
    """A real ``notices.export.checks.Validator`` answering checks in a thread of this process, as the
    scheduler's ``eforms-rules`` job does in ``runscheduler`` (the rules compiled once per session)."""

    def __init__(self, name: str = "test-validator"):
        import threading

        from notices.export import checks

        self.validator = checks.Validator(name=name)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        from django.db import connection

        try:
            while not self.stop.is_set():
                self.validator.tick(self.stop.is_set)
                self.stop.wait(0.02)
        finally:
            connection.close()

    def __enter__(self):
        self.validator.prepare()
        self.thread.start()
        return self.validator

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)
        self.validator.stop()


@pytest.fixture
def validator(rules, transactional_db):
    """The validator with the publishers' real rules (SQLite pass: see ``rules``)."""
    with ValidatorThread() as running:
        yield running


@pytest.fixture
def schema_validator(transactional_db, monkeypatch):
    """The validator running the XML Schema only: its Schematron rules are their own tests (test_rules,
    SQLite pass), and compiling them costs seconds, so here they find nothing (as in test_ted)."""
    from notices.export import validate

    monkeypatch.setattr(validate, "check_rules", lambda *args, **kwargs: [])
    monkeypatch.setattr(validate, "warm", lambda *args, **kwargs: {})
    with ValidatorThread("schema-only") as running:
        yield running
