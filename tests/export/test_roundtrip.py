"""Round trip: every exported notice, read back the way ``manage.py ingest --dry-run --json`` reads it,
says the same as the officer's notice: title, buyer and its identifiers, the notice's ids, lots, CPV codes
and deadlines (with their offsets). A property over generated drafts, both kinds.

What eForms itself changes, and the test expects: a draft without lots is one lot LOT-0000 carrying the
procedure's title, CPV codes and deadlines; a lot without CPV codes carries the procedure's main one; a
procedure-level deadline belongs to every lot without one of that kind; an E3 has no tender opening."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notices import officers
from notices.export import fields, service
from notices.models import Draft
from tests.api.conftest import KYMENLAAKSO
from tests.export.conftest import NOW

pytestmark = pytest.mark.django_db

CPV = ["90910000", "90911000", "90911200", "45233000", "30190000", "72230000", "79342000", "50000000"]
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöåÄÖÅ ABCDEFGH-.,0123456789", min_size=1, max_size=40)
TITLE = WORDS.map(lambda t: " ".join(t.split())).filter(bool)
OFFSETS = st.sampled_from([0, 2, 3, -5, 5.5, 14, -12]).map(lambda h: dt.timezone(dt.timedelta(hours=h)))


@st.composite
def instants(draw, after_days=5):
    day = NOW + dt.timedelta(days=draw(st.integers(after_days, after_days + 300)))
    at = day.replace(hour=draw(st.integers(0, 23)), minute=draw(st.integers(0, 59)), second=0, microsecond=0)
    return at.astimezone(draw(OFFSETS)).isoformat()


@st.composite
def drafts(draw):
    language = draw(st.sampled_from(["fi", "sv", "en"]))
    lot_count = draw(st.integers(0, 4))
    lots = [
        {"id": f"LOT-{i:04d}", "title": draw(TITLE),
         "cpv": draw(st.lists(st.sampled_from(CPV), max_size=2, unique=True))}
        for i in range(1, lot_count + 1)
    ]
    deadlines = [{"kind": "tender", "at": draw(instants(60))}]
    if draw(st.booleans()):
        deadlines.append({"kind": "questions", "at": draw(instants(5))})
    if draw(st.booleans()):
        deadlines.append({"kind": "opening", "at": draw(instants(400))})
    for lot in lots:
        if draw(st.booleans()):
            deadlines.append({"kind": "tender", "lot": lot["id"], "at": draw(instants(60))})
    return {
        "title": draw(TITLE),
        "descriptions": {language: draw(TITLE)},
        "language": language,
        "cpv": draw(st.lists(st.sampled_from(CPV), min_size=1, max_size=3, unique=True)),
        "lots": lots,
        "deadlines": deadlines,
        "contacts": [{"email": "hankinnat@example.fi", "city": draw(TITLE)}],
        "links": draw(st.lists(st.sampled_from(["https://example.fi/a.pdf", "https://example.fi/b"]), unique=True)),
    }


def ingest_dry_run(xml: bytes, tmp_path) -> dict:
    path = tmp_path / "notice.xml"
    path.write_bytes(xml)
    out, err = io.StringIO(), io.StringIO()
    call_command("ingest", str(path), "--dry-run", "--json", stdout=out, stderr=err)
    (line,) = out.getvalue().splitlines()
    return json.loads(line)


def expected(draft: Draft, kind: str) -> dict:
    """The officer's notice (``officers.record``, what the store keeps) in eForms terms."""
    record = officers.record(draft, draft.payload)
    own: dict[str, dict[str, str]] = {}
    for d in record.deadlines:
        if kind == "national" and d.kind == "opening":
            continue
        own.setdefault(d.lot or "", {})[d.kind] = d.at.isoformat()
    lots = [(lot.id, lot.title, list(lot.cpv) or list(record.cpv[:1])) for lot in record.lots] or [
        ("LOT-0000", record.title, list(record.cpv))]
    deadlines = sorted(
        (kind_, lot_id, at)
        for lot_id, *_ in lots
        for kind_, at in {**own.get("", {}), **own.get(lot_id if record.lots else "", {})}.items()
    )
    buyer = record.buyers[0]
    return {
        "title": record.title,
        "buyer": (buyer.name, [i.as_json() for i in buyer.identifiers]),
        "lots": lots,
        "cpv": list(record.cpv),
        "deadlines": deadlines,
    }


def read_back(data: dict) -> dict:
    buyer = data["buyers"][0]
    return {
        "title": data["title"],
        "buyer": (buyer["name"], buyer["identifiers"]),
        "lots": [(lot["id"], lot["title"], lot["cpv"]) for lot in data["lots"]],
        "cpv": data["cpv"],
        "deadlines": sorted((d["kind"], d["lot"], d["at"]) for d in data["deadlines"]),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=drafts())
def test_every_export_reads_back_as_the_officers_notice(body, buyer, staff, tmp_path):
    with transaction.atomic():
        draft = officers.create_draft(staff, {**body, "buyer": KYMENLAAKSO}, now=NOW)
        row = fields.of(draft)
        row.buyer_nuts = "FI1C7"
        row.save()
        for kind in ("eu", "national"):
            notice = service.export(draft, kind, now=NOW)
            data = ingest_dry_run(bytes(notice.xml), tmp_path)
            assert read_back(data) == expected(draft, kind)
            row.refresh_from_db()
            assert data["source_id"] == str(row.notice_uuid) and data["procedure_id"] == str(row.procedure_uuid)
            assert data["source"] == "eforms" and data["status"] == "active" and data["changes"] is None
            assert data["notice_type"] == "cn-standard" and data["language"] == body["language"]
        transaction.set_rollback(True)
