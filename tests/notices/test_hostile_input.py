"""Hostile and extreme input (issue 12): each reproduction as the issue gave it, through the real commands,
store and pages. A clear error, never a 500, never a lost batch."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from notices import gate
from notices.models import Deadline, Notice, Rejection, Source
from tests.conftest import corpus_path
from tests.httpserver import LoopbackServer, Response

pytestmark = pytest.mark.django_db

FUTURE = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).replace(microsecond=0)


def ingest(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("ingest", *args, stdout=out, stderr=err)
        return 0, out.getvalue(), err.getvalue()
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()


def eforms(notice_id: str, *replacements: tuple[bytes, bytes]) -> bytes:
    """cn_24_open.xml as another notice (its own id), with ``replacements`` made."""
    data = corpus_path("eforms-sdk-1.15.1", "cn_24_open.xml").read_bytes()
    data = data.replace(b"c4c415ee-ac08-4465-8fa6-57568cf69462", notice_id.encode())
    for old, new in replacements:
        assert old in data, old
        data = data.replace(old, new)
    return data


def release(ocid: str, title: str = "Katujen kunnossapito", *, buyer: str = "Pohjoisrannikon kunta", amount="AMOUNT"):
    return {
        "ocid": ocid,
        "id": f"{ocid}-1",
        "date": "2025-01-10T09:00:00Z",
        "tag": ["tender"],
        "buyer": {"id": "b1", "name": buyer},
        "parties": [{"id": "b1", "name": buyer, "roles": ["buyer"], "identifier": {"scheme": "FI-PRO", "id": "2345678-0"}}],
        "tender": {
            "title": title,
            "tenderPeriod": {"endDate": FUTURE.isoformat().replace("+00:00", "Z")},
            "value": {"amount": amount, "currency": "EUR"},
        },
    }


def ocds(*releases, amount: str = "1000") -> bytes:
    """A release package; ``amount`` is put in as JSON text, so 1e400 stays 1e400."""
    text = json.dumps({"uri": "https://example.invalid/ocds", "releases": list(releases)})
    return text.replace('"AMOUNT"', amount).encode()


def pages_of(notice: Notice, client: Client) -> dict[str, int]:
    """Every page that shows this notice, with its status."""
    buyer = notice.buyers.first()
    urls = [
        "/", "/?q=a&within=30", f"/notices/{notice.pk}/", f"/api/notices/{notice.pk}", "/api/notices",
        "/api/deadlines", "/feeds/notices.atom", "/feeds/deadlines.ics",
        f"/notices/{notice.pk}/summary.pdf?lang=fi",
        "/admin/notices/notice/", f"/admin/notices/notice/{notice.pk}/change/", "/admin/notices/deadline/",
    ]
    if buyer is not None:
        urls += [f"/buyers/{buyer.pk}/", f"/api/buyers/{buyer.pk}"]
    return {url: client.get(url).status_code for url in urls}


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.invalid", "x-long-password-1"))
    return client


# --- 2. a deadline in year 9999 ------------------------------------------------------------------------------


def test_a_deadline_in_year_9999_is_kept_flagged_and_every_page_answers(tmp_path, staff_client):
    path = tmp_path / "year9999.xml"
    path.write_bytes(eforms("99999999-0000-4000-8000-000000000001", (b"2020-04-03+01:00", b"9999-12-31+01:00")))
    code, out, err = ingest(str(path))
    assert code == 0, err
    notice = Notice.objects.get()
    (tender,) = notice.deadlines.filter(kind="tender")
    assert tender.needs_review and gate.OUT_OF_RANGE in tender.review_reasons
    assert tender.at.year == 9999
    # Never what makes it open, orders it, or is reminded of.
    assert notice.next_deadline is None or notice.next_deadline.year < 2100
    assert notice.closes_at is None or notice.closes_at.year < 2100
    statuses = pages_of(notice, staff_client)
    assert set(statuses.values()) == {200}, statuses
    api = staff_client.get(f"/api/notices/{notice.pk}").json()
    assert any(gate.OUT_OF_RANGE in d["review_reasons"] for d in api["deadlines"])
    assert all(item["at"][:4] != "9999" for item in staff_client.get("/api/deadlines").json()["items"])
    page = staff_client.get(f"/notices/{notice.pk}/").content.decode()
    assert "9999" in page


def test_an_officer_cannot_publish_a_deadline_in_year_9999():
    from notices import officers
    from notices.errors import Invalid
    from notices.models import Buyer, BuyerIdentifier

    buyer = Buyer.objects.create(name="Kymenlaakson Liitto", name_key="kymenlaakson liitto", country="FI")
    BuyerIdentifier.objects.create(buyer=buyer, scheme="FI-PRO", value="0206714-5", valid=True)
    user = User.objects.create_user("olli", is_staff=True)
    draft = officers.create_draft(
        user,
        {"buyer": "0206714-5", "title": "Siivous", "cpv": ["90910000"],
         "deadlines": [{"kind": "tender", "at": "9999-12-31T23:59:00+01:00"}]},
    )
    with pytest.raises(Invalid) as caught:
        officers.publish(user, draft.pk)
    assert any(f.path == ("deadlines", 0, "at") and "2100" in f.message for f in caught.value.fields)
    # The draft itself, with an instant no time zone can show, still opens in the officer's pages.
    officers.update_draft(user, draft.pk, {"deadlines": [{"kind": "tender", "at": "9999-12-31T23:59:00-12:00"}]})
    client = Client()
    client.force_login(user)
    assert client.get(f"/officer/drafts/{draft.pk}/").status_code == 200
    assert client.get("/officer/").status_code == 200


def test_an_instant_that_no_time_zone_can_show_is_stored_at_the_nearest_one_that_can():
    from notices import store
    from notices.records import DeadlineRecord, NoticeRecord

    far = dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=-12)))
    early = dt.datetime(1, 1, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=14)))
    record = NoticeRecord(
        source="ocds", source_id="edge", notice_type="tender", title="Reunat", language="fi",
        deadlines=(DeadlineRecord("tender", far), DeadlineRecord("questions", early)),
    )
    notice = store.save(record, raw=b"edge", origin="test").notice
    rows = {d.kind: d for d in Deadline.objects.filter(notice=notice)}
    assert rows["tender"].text == far.isoformat() and rows["questions"].text == early.isoformat()
    assert all(d.needs_review and gate.OUT_OF_RANGE in d.review_reasons for d in rows.values())
    assert notice.next_deadline is None and notice.closes_at is None


# --- 3. large amounts ----------------------------------------------------------------------------------------


def test_large_amounts_are_dropped_with_a_warning_and_the_pages_answer(tmp_path, staff_client):
    (tmp_path / "huge.xml").write_bytes(
        eforms(
            "99999999-0000-4000-8000-000000000002",
            (b">500000</cbc:EstimatedOverallContractAmount>", b">123456789012345678901234.5</cbc:EstimatedOverallContractAmount>"),
        )
    )
    (tmp_path / "e25.json").write_bytes(ocds(release("ocds-e25"), amount="1e25"))
    (tmp_path / "e400.json").write_bytes(ocds(release("ocds-e400"), amount="1e400"))
    (tmp_path / "negative.json").write_bytes(ocds(release("ocds-negative"), amount="-12345.67"))
    code, out, err = ingest(str(tmp_path))
    assert code == 0, err
    assert "new: 4" in out
    for source_id in ("ocds-e25", "ocds-e400"):
        notice = Notice.objects.get(source_id=source_id)
        assert notice.estimated_value is None
        assert any("dropped" in w for w in notice.warnings)
        assert set(pages_of(notice, staff_client).values()) == {200}
    eforms_notice = Notice.objects.get(source="eforms")
    assert eforms_notice.estimated_value is None and any("123456789012345678901234.5" in w for w in eforms_notice.warnings)
    assert set(pages_of(eforms_notice, staff_client).values()) == {200}
    negative = Notice.objects.get(source_id="ocds-negative")
    assert str(negative.estimated_value) == "-12345.67"
    assert set(pages_of(negative, staff_client).values()) == {200}


# --- 4. a lone surrogate --------------------------------------------------------------------------------------


def test_a_lone_surrogate_rejects_only_its_notice_and_the_batch_is_stored(tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    for path in sorted(corpus_path("eforms-sdk-1.15.1").glob("*.xml")):
        shutil.copy(path, folder / path.name)
    (folder / "aaa-surrogate.json").write_bytes(ocds(release("ocds-good"), release("ocds-bad", "Tie \ud800 työt")))
    code, out, err = ingest(str(folder))
    assert code == 1
    assert out.strip() == "new: 33, updated: 1, unchanged: 0, older versions kept: 3, rejected: 1"
    assert Notice.objects.filter(source_id="ocds-good").exists()
    assert not Notice.objects.filter(source_id="ocds-bad").exists()
    rejection = Rejection.objects.get()
    assert "ocds-bad" in rejection.reason and "surrogate" in rejection.reason and "title" in rejection.reason
    assert bytes(rejection.raw).startswith(b'{"uri"')


def test_dry_run_json_and_polling_survive_a_lone_surrogate(tmp_path):
    path = tmp_path / "surrogate.json"
    path.write_bytes(ocds(release("ocds-good"), release("ocds-bad", "Tie \ud800 työt")))
    code, out, err = ingest("--dry-run", "--json", str(path))
    assert code == 1
    (line,) = out.splitlines()
    assert json.loads(line)["source_id"] == "ocds-good" and "surrogate" in err

    from django.test import override_settings

    from notices import polling

    with LoopbackServer() as server, override_settings(INGEST_ALLOW_PRIVATE_HOSTS=True):
        url = server.serve("/feed.json", Response(200, path.read_bytes()))
        source = Source.objects.create(name="feed", kind=Source.Kind.OCDS, url=url, interval=3600)
        result = polling.poll(polling.claim(source.pk, "t", due_only=False), "t")
    assert result.counts["new"] == 1 and result.counts["rejected"] == 1
    assert Notice.objects.filter(source_id="ocds-good").exists()
    assert Rejection.objects.filter(reason__contains="surrogate").count() == 1


# --- 6. control characters ------------------------------------------------------------------------------------


def test_control_characters_are_removed_and_the_atom_feed_answers(tmp_path, staff_client):
    path = tmp_path / "control.json"
    path.write_bytes(ocds(release("ocds-control", "Siivous\u0007 2027", buyer="Pohjoisrannikon\u0001 kunta")))
    assert ingest(str(path))[0] == 0
    notice = Notice.objects.get()
    assert notice.title == "Siivous 2027" and notice.buyers.get().name == "Pohjoisrannikon kunta"
    response = staff_client.get("/feeds/notices.atom")
    assert response.status_code == 200 and "Siivous 2027" in response.content.decode()


def test_an_officers_title_with_a_control_character_is_cleaned():
    from notices import officers
    from notices.models import Buyer, BuyerIdentifier

    buyer = Buyer.objects.create(name="Kymenlaakson Liitto", name_key="kymenlaakson liitto", country="FI")
    BuyerIdentifier.objects.create(buyer=buyer, scheme="FI-PRO", value="0206714-5", valid=True)
    user = User.objects.create_user("olli", is_staff=True)
    at = FUTURE.isoformat()
    draft = officers.create_draft(
        user,
        {"buyer": "0206714-5", "title": "Kello\u0007 soi\u202e", "cpv": ["90910000"], "deadlines": [{"kind": "tender", "at": at}]},
    )
    draft, change = officers.publish(user, draft.pk)
    assert change.notice.title == "Kello soi"
    assert Client().get("/feeds/notices.atom").status_code == 200


# --- 8. the admin's notice list -------------------------------------------------------------------------------


def test_the_admins_notice_list_answers_with_the_samples_and_filters_by_warnings(staff_client):
    call_command("load_samples", stdout=StringIO())
    assert staff_client.get("/admin/notices/notice/").status_code == 200
    flagged = staff_client.get("/admin/notices/notice/?flagged=yes")
    clean = staff_client.get("/admin/notices/notice/?flagged=no")
    assert flagged.status_code == clean.status_code == 200
    total = Notice.objects.count()
    assert flagged.context["cl"].result_count + clean.context["cl"].result_count == total


# --- 9. forged cursors and huge durations ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/notices", "/api/deadlines"])
@pytest.mark.parametrize(
    "instant", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "1900-01-01T00:00:00+00:00"]
)
def test_a_forged_cursor_with_an_out_of_range_instant_is_a_422(path, instant):
    from notices.search import encode_cursor

    cursor = encode_cursor({"s": "o", "k": instant, "i": 1, "n": instant})
    response = Client().get(path, {"cursor": cursor})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"] == ["query", "cursor"]


def test_a_reminder_offset_of_a_billion_days_is_a_422():
    from tests.api.conftest import save

    notice = save("n-1", deadlines=[("tender", FUTURE)])
    response = Client().post(
        "/api/subscriptions",
        {"email": "a@example.invalid", "notice": notice.pk, "before": ["P99999999999D"]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["path"][0] == "before"


# --- 10. smaller ones -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, words",
    [
        (b'{"releases": [{"ocid": "x", "tender": {"title": "\xff"}}]}', "not UTF-8 text (byte 0xff"),
        (b'{"releases": [{"ocid": "x", "tender": {"value": {"amount": NaN}}}]}', "NaN is not a JSON value"),
        (b'{"releases": [{"ocid": "x", "n": ' + b"7" * 5000 + b"}]}", "more than 4,300 digits"),
    ],
    ids=["invalid-utf8", "nan", "5000-digits"],
)
def test_json_that_cannot_be_read_says_what_is_wrong(tmp_path, content, words):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    code, out, err = ingest(str(path))
    assert code == 1 and words in err and "not a notice format" not in err
    rejection = Rejection.objects.get()
    assert words in rejection.reason and bytes(rejection.raw) == content


def test_a_right_to_left_override_is_removed_from_titles_and_the_pdf(tmp_path):
    import io

    from pypdf import PdfReader

    path = tmp_path / "rtl.json"
    path.write_bytes(ocds(release("ocds-rtl", "Liite \u202egnp.exe")))
    assert ingest(str(path))[0] == 0
    notice = Notice.objects.get()
    assert notice.title == "Liite gnp.exe"
    response = Client().get(f"/notices/{notice.pk}/summary.pdf?lang=fi")
    assert response.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(b"".join(response.streaming_content if response.streaming else [response.content]))).pages)
    assert "gnp.exe" in text and "\u202e" not in text


def test_the_gate_changes_nothing_the_corpus_says():
    """Every notice of the corpus passes the gate as the same object: stored notices are not re-versioned."""
    from notices import readers

    root = corpus_path()
    paths = [*root.glob("eforms-sdk-1.15.1/*.xml"), *root.glob("hilma-sdk/*.xml"), *root.glob("ocds/**/*.json"),
             *root.glob("fi-web/*.html")]
    count = 0
    for path in paths:
        for record in readers.read(path.read_bytes())[1]:
            assert gate.admit(record) is record, path
            count += 1
    assert count > 45


# --- done when: a folder of the bad files beside the 36 eForms examples ------------------------------


def test_the_bad_files_beside_the_36_examples_cost_one_rejection_each_and_nothing_else(tmp_path):
    """What the 36 top-level eForms examples give alone (new 32, updated 1, 3 older versions kept), plus
    one rejection, with its reason, per file that cannot be kept. (The issue's other hostile files, a
    year-9999 deadline, huge amounts, control characters, are kept cleaned or flagged: tested above.)"""
    from django.test import override_settings

    folder = tmp_path / "mixed"
    folder.mkdir()
    for path in sorted(corpus_path("eforms-sdk-1.15.1").glob("*.xml")):
        shutil.copy(path, folder / path.name)
    assert len(list(folder.glob("*.xml"))) == 36
    bad = {
        "bad-surrogate.json": (ocds(release("ocds-bad", "Tie \ud800 työt")), "lone surrogate"),
        "bad-utf8.json": (b'{"releases": [{"ocid": "x", "tender": {"title": "\xc3\x28"}}]}', "not UTF-8"),
        "bad-nan.json": (b'{"releases": [{"ocid": "x", "tender": {"value": {"amount": NaN}}}]}', "NaN"),
        "bad-digits.json": (b'{"releases": [{"ocid": "x", "id": ' + b"9" * 5000 + b"}]}", "4,300 digits"),
        "bad-huge.xml": (b"<x>" + b" " * 2_000_000 + b"</x>", "larger than"),
        "bad-doctype.xml": (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "DOCTYPE"),
    }
    for name, (content, _) in bad.items():
        (folder / name).write_bytes(content)
    with override_settings(INGEST_MAX_BYTES=1_000_000):
        code, out, err = ingest(str(folder))
    assert code == 1
    assert out.strip() == f"new: 32, updated: 1, unchanged: 0, older versions kept: 3, rejected: {len(bad)}"
    assert Notice.objects.count() == 32
    for name, (content, words) in bad.items():
        (rejection,) = Rejection.objects.filter(origin__endswith=name)
        assert words in rejection.reason, (name, rejection.reason)
        assert bytes(rejection.raw) == content[: len(bytes(rejection.raw))] and rejection.raw
