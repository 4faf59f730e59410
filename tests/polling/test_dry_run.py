"""``manage.py poll --dry-run SOURCE``: what a poll would request and store, with nothing stored, so an
operator can try a new source or key safely."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict

from notices.models import Notice, Rejection, Source
from tests.conftest import corpus_path
from tests.polling.conftest import make_source, poll_now

pytestmark = pytest.mark.django_db


def dry_run(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("poll", "--dry-run", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def sdk(name: str) -> bytes:
    return corpus_path("eforms-sdk-1.15.1", name).read_bytes()


def test_a_ted_dry_run_says_what_it_would_request_and_store_and_stores_nothing(ted):
    ted.add("141590-2024", "2024-03-01+01:00", sdk("cn_24_open.xml"))
    ted.add("141591-2024", "2024-03-02+01:00", sdk("cn_24_minimal.xml"))
    ted.add("148811-2024", "2024-03-04+01:00", sdk("pin-only_24.xml"))
    source = make_source(ted.server.base, kind=Source.Kind.TED, name="TED Finland", watermark="20240301")
    before = model_to_dict(Source.objects.get())

    code, out, err = dry_run("TED Finland", "--limit", "2")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    url = f"{ted.server.base}/v3/notices/search"
    assert lines[0] == "TED Finland (TED search API v3): dry run, nothing is stored"
    assert lines[1] == (
        f'POST {url} {{"query": "buyer-country = FIN AND publication-date >= 20240301", "fields": '
        '["publication-number", "publication-date", "links"], "checkQuerySyntax": true}'
    )
    assert lines[2] == "  -> TED's syntax check (checkQuerySyntax): the query is accepted"
    assert lines[3].startswith(f'POST {url} {{"query": "buyer-country = FIN AND publication-date >= 20240301"')
    assert '"scope": "ALL", "paginationMode": "ITERATION"}' in lines[3]
    assert lines[4] == "  -> 3 notice(s) on page 1 (totalNoticeCount 3)"
    assert lines[5] == f"GET {ted.server.base}/en/notice/141590-2024/xml"
    assert lines[6].startswith(
        "  would store (new): eforms c4c415ee-ac08-4465-8fa6-57568cf69462 cn-standard active "
    )
    assert "; deadlines: tender LOT-0000 2020-04-03T12:00:00+01:00" in lines[6]
    assert lines[7] == f"GET {ted.server.base}/en/notice/141591-2024/xml"
    assert lines[-2] == "stopped after 2 notice(s) (--limit); a poll would go on"
    assert lines[-1] == "TED Finland: would read 2 notice(s), reject 0"
    assert ted.notices[2].xml_hits == 0

    assert Notice.objects.count() == 0 and Rejection.objects.count() == 0
    assert model_to_dict(Source.objects.get()) == before  # not claimed, no state written

    # Once the notice is stored, a dry run says so.
    poll_now(source)
    Source.objects.filter(pk=source.pk).update(watermark="20240301", cursor={})
    _, out, _ = dry_run(str(source.pk), "--limit", "1")
    stored = Notice.objects.get(source_id="c4c415ee-ac08-4465-8fa6-57568cf69462")
    assert f"  would store (unchanged, notice {stored.pk}): eforms c4c415ee" in out


def test_a_dry_run_shows_the_local_check_and_what_ted_refused(ted):
    make_source(ted.server.base, kind=Source.Kind.TED, name="Typo", query="buyer-country = FIN AND PD >= 1.3.2024")
    ted.scripted.append((400, {"type": "QUERY_INVALID_FIELD_FORMAT", "fieldName": "PD", "allowedPattern": "yyyyMMdd"}))
    code, out, err = dry_run("Typo")
    assert code == 1
    assert "local check: column 31: PD '1.3.2024' is not a date as TED reads them" in out
    assert "  -> TED's syntax check: the value of 'PD' in the source's query is not in a form TED reads" in out
    assert err.startswith("Typo: would read 0 notice(s), reject 0; error: the value of 'PD'")
    assert len(ted.searches) == 1  # nothing more after TED refused the query


def test_a_hilma_dry_run_tries_the_key_without_showing_it(hilma):
    hilma.add_plan(201, "2025-03-18T10:00:00Z")
    hilma.add_eforms(101, "2025-03-19T13:35:03Z", corpus_path("hilma-sdk", "E3_minimum.xml").read_bytes())
    source = make_source(hilma.server.base, kind=Source.Kind.HILMA, name="Hilma", watermark="2025-03-01T00:00:00.000Z")
    code, out, _ = dry_run("Hilma")
    assert code == 0 and "test-key" not in out
    assert "[Ocp-Apim-Subscription-Key: ***]" in out
    assert "  -> 2 hit(s) (@odata.count 2)" in out
    assert "  skipped 201: a plan, not an eForms notice" in out
    assert "  would store (new): eforms 56077513-464c-430b-b196-37e75ba80649 cn-standard" in out
    assert out.splitlines()[-1] == "Hilma: would read 1 notice(s), reject 0, skip 1 plan"
    source.refresh_from_db()
    assert (source.skipped, source.cursor, Notice.objects.count()) == ({}, {}, 0)


def test_a_dry_run_with_a_wrong_key_says_so(hilma, settings):
    make_source(hilma.server.base, kind=Source.Kind.HILMA, name="Hilma")
    settings.HILMA_API_KEY = "wrong"
    code, _, err = dry_run("Hilma")
    assert code == 1 and "Hilma refused the subscription key (HTTP 401): check HILMA_API_KEY" in err


def test_a_page_or_a_folder_is_read_and_not_stored(http_server, tmp_path):
    from tests.httpserver import Response

    page = corpus_path("fi-web", "kymenlaakso-2016-05.html").read_bytes()
    url = http_server.serve("/news", Response(200, page, {"ETag": '"v1"'}))
    make_source(url, name="Kymenlaakso")
    code, out, _ = dry_run("Kymenlaakso")
    assert code == 0 and f"GET {url}\n" in out and "  would store (new): fi-web " in out
    (tmp_path / "e3.xml").write_bytes(corpus_path("hilma-sdk", "E3_minimum.xml").read_bytes())
    make_source(str(tmp_path), kind=Source.Kind.FOLDER, name="Folder")
    code, out, _ = dry_run("Folder")
    assert code == 0 and f"read {tmp_path}/e3.xml" in out and "would store (new): eforms 56077513" in out
    assert Notice.objects.count() == 0 and Source.objects.get(name="Kymenlaakso").etag == ""
    assert Source.objects.get(name="Folder").cursor == {}


def test_a_dry_run_needs_one_source():
    with pytest.raises(CommandError, match="--dry-run needs one SOURCE"):
        call_command("poll", "--dry-run")
