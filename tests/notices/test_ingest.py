"""The ingest path end to end on the real corpus: the command, idempotence, corrigenda, rejections."""

import datetime as dt
import hashlib
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from notices.ingest.fetch import read_file
from notices.ingest.write import ingest
from notices.models import Buyer, Deadline, Notice, NoticeVersion, Rejection
from tests.conftest import corpus_path
from tests.httpserver import Response

pytestmark = pytest.mark.django_db

CONTRACT_KEYS = {
    "source", "source_id", "procedure_id", "version", "notice_type", "status", "changes", "title", "titles",
    "language", "buyers", "deadlines", "lots", "cpv", "links", "published_at",
    "nuts", "subtype", "procedure_type",  # added with issue 15 (additive)
}  # fmt: skip


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def corpus_notices() -> list[str]:
    """Every notice file of the corpus (not translations, code lists, licences or expectations)."""
    root = corpus_path()
    files = [
        *root.glob("eforms-sdk-1.15.1/*.xml"),
        *root.glob("hilma-sdk/*.xml"),
        *root.glob("ocds/**/*.json"),
        *root.glob("fi-web/*.html"),
    ]
    return [str(p) for p in sorted(files)]


def run(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("ingest", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_the_whole_corpus_ingests_and_a_second_run_changes_nothing():
    paths = corpus_notices()
    assert len(paths) >= 45
    code, out, err = run(*paths)
    assert code == 0, err
    assert "rejected: 0" in out and Rejection.objects.count() == 0
    counts = (Notice.objects.count(), NoticeVersion.objects.count(), Deadline.objects.count(), Buyer.objects.count())
    assert counts[0] > 30 and counts[2] > 30

    code, out, err = run(*paths)
    assert code == 0, err
    assert out.strip().startswith("new: 0, updated: 0, unchanged: ")
    assert (Notice.objects.count(), NoticeVersion.objects.count(), Deadline.objects.count(), Buyer.objects.count()) == counts


def test_a_corrigendum_moves_the_deadline_of_the_same_procedure():
    original = read_file(str(corpus_path("eforms-sdk-1.15.1", "cn_24_open.xml")))
    correction = read_file(str(corpus_path("eforms-sdk-1.15.1", "change-cn_24_open_dates.xml")))
    (first,) = ingest(original).changes
    (second,) = ingest(correction).changes
    assert first.outcome == "new" and second.outcome == "updated"
    assert first.notice.pk == second.notice.pk
    notice = Notice.objects.get()
    assert notice.procedure_id == "31f258b6-5eb2-4875-8997-affa3cdce27c"
    assert notice.versions.count() == 2
    moved = {(m.kind, m.lot): (m.old, m.new) for m in second.moved}
    assert moved == {
        ("tender", "LOT-0000"): (utc(2020, 4, 3, 11), utc(2020, 6, 12, 11)),
        ("opening", "LOT-0000"): (utc(2020, 4, 3, 13), utc(2020, 6, 12, 13)),
    }
    tender = notice.deadlines.get(kind="tender", lot="LOT-0000")
    assert tender.at == dt.datetime(2020, 6, 12, 11, 0, tzinfo=dt.UTC) and tender.sequence == 1
    versions = list(notice.versions.order_by("number"))
    assert versions[0].payload == original.data and versions[1].payload == correction.data
    assert versions[1].changes["moved"]
    # Kept compressed: the exact bytes come back, and the hash is that of the bytes as received.
    assert versions[0].raw_encoding == "zlib" and len(versions[0].raw) < len(original.data) / 3
    assert versions[0].raw_hash == hashlib.sha256(original.data).hexdigest()


def test_a_cancellation_notice_cancels():
    void = read_file(str(corpus_path("eforms-sdk-1.15.1", "change-cn_24_void.xml")))
    (change,) = ingest(void).changes
    assert change.notice.status == "cancelled"


def test_the_same_buyer_from_eforms_and_a_web_page_is_one_buyer(tmp_path):
    e3 = read_file(str(corpus_path("hilma-sdk", "E3_minimum.xml")))
    ingest(e3)
    page = tmp_path / "hansel.html"
    page.write_text(
        """<html lang="fi"><head><meta charset="utf-8"></head><body><article>
        <h2>Kansallinen hankintailmoitus: Toimistotarvikkeet 2027</h2>
        <p>Hansel Oy (FI09880841) pyytää tarjouksia toimistotarvikkeista.</p>
        <p>Tarjoukset 15.1.2027 klo 12.00 mennessä.</p></article></body></html>""",
        encoding="utf-8",
    )
    code, out, err = run(str(page), "--url", "https://www.hansel.fi/ajankohtaista")
    assert code == 0, err
    assert Notice.objects.count() == 2
    hansel = Buyer.objects.get(identifiers__value="0988084-1")
    assert hansel.notices.count() == 2


def test_dry_run_json_prints_the_contract_and_stores_nothing():
    code, out, err = run("--dry-run", "--json", *corpus_notices())
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) >= 45
    for line in lines:
        notice = json.loads(line)
        assert set(notice) == CONTRACT_KEYS
        assert notice["source"] in ("eforms", "fi-web", "ocds")
        assert notice["status"] in ("active", "cancelled")
        for deadline in notice["deadlines"]:
            assert set(deadline) == {"kind", "lot", "at", "needs_review"}
            assert dt.datetime.fromisoformat(deadline["at"]).utcoffset() is not None
        for buyer in notice["buyers"]:
            assert set(buyer["address"]) == {"street", "po_box", "postal_code", "city", "country"}
    assert Notice.objects.count() == 0 and Rejection.objects.count() == 0


def test_the_seed_page_as_the_contract_says():
    page = corpus_path("fi-web", "kymenlaakso-2016-05.html")
    code, out, err = run("--dry-run", "--json", str(page), "--url", "http://www.kymenlaakso.fi/")
    assert code == 0, err
    (line,) = out.splitlines()
    notice = json.loads(line)
    assert notice["title"] == "Kymenlaakson Suomi100 markkinoinnin toteuttaminen"
    assert notice["deadlines"] == [
        {"kind": "tender", "lot": None, "at": "2016-05-20T16:00:00+03:00", "needs_review": False}
    ]
    (buyer,) = notice["buyers"]
    assert buyer["identifiers"] == [{"scheme": "FI-PRO", "id": "0206714-5", "valid": True}]
    assert buyer["email"] == "kirjaamo@kymenlaakso.fi"


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("empty.xml", b"", "empty"),
        ("bomb.xml", b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><l>&b;</l>', "DOCTYPE"),
        ("broken.xml", b"<ContractNotice><cbc:ID>", "malformed XML"),
        ("junk.bin", bytes(range(256)) * 4, "not a notice format"),
        ("other.xml", b"<?xml version='1.0'?><rss><channel/></rss>", "not an eForms notice"),
        ("bad.json", b'{"releases": [', "JSON"),
    ],
)
def test_bad_input_is_rejected_named_and_kept(tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = run(str(path))
    assert code == 1
    assert name in err and words in err
    assert "rejected: 1" in out
    rejection = Rejection.objects.get()
    assert bytes(rejection.raw) == content and name in rejection.reason and words in rejection.reason
    assert Notice.objects.count() == NoticeVersion.objects.count() == 0


def test_an_impossible_date_rejects_the_notice_and_stores_nothing_of_it(tmp_path):
    data = corpus_path("eforms-sdk-1.15.1", "cn_24_open.xml").read_bytes()
    broken = data.replace(b"<cbc:EndDate>2020-04-03+01:00</cbc:EndDate>", b"<cbc:EndDate>2020-02-30+01:00</cbc:EndDate>")
    assert broken != data
    path = tmp_path / "impossible.xml"
    path.write_bytes(broken)
    code, out, err = run(str(path))
    assert code == 1 and "2020-02-30" in err
    assert Notice.objects.count() == 0 and Rejection.objects.count() == 1


def test_a_missing_file_is_rejected_with_its_name(tmp_path):
    code, out, err = run(str(tmp_path / "nope.xml"))
    assert code == 1 and "nope.xml" in err and "cannot read" in err
    assert Rejection.objects.count() == 1


def test_it_ingests_from_a_url_only_when_private_hosts_are_allowed(http_server):
    data = corpus_path("eforms-sdk-1.15.1", "cn_24_open.xml").read_bytes()
    url = http_server.serve("/notices/cn_24_open.xml", Response(200, data, {"Content-Type": "application/xml"}))
    code, out, err = run(url)
    assert code == 1 and "loopback" in err and http_server.requests == []
    with override_settings(INGEST_ALLOW_PRIVATE_HOSTS=True):
        code, out, err = run(url)
    assert code == 0, err
    assert out.strip() == "new: 1, updated: 0, unchanged: 0, rejected: 0"
    assert NoticeVersion.objects.get().origin == url


def test_reading_in_parallel_workers_stores_the_same_as_reading_alone(tmp_path):
    paths = corpus_notices()
    code, out, err = run("--jobs", "2", *paths)
    assert code == 0, err
    parallel = sorted(Notice.objects.values_list("source", "source_id", "title"))
    deadlines = sorted((d.notice.source_id, d.kind, d.lot, d.at) for d in Deadline.objects.select_related("notice"))
    Notice.objects.all().delete()
    code, out, err = run("--jobs", "1", *paths)
    assert code == 0, err
    assert sorted(Notice.objects.values_list("source", "source_id", "title")) == parallel
    assert sorted((d.notice.source_id, d.kind, d.lot, d.at) for d in Deadline.objects.select_related("notice")) == deadlines


def test_grouped_commits_keep_each_notice_atomic(tmp_path):
    good = corpus_path("eforms-sdk-1.15.1", "cn_24_open.xml")
    bad = tmp_path / "broken.xml"
    bad.write_bytes(b"<ContractNotice>")
    code, out, err = run("--group", "50", str(good), str(bad), str(corpus_path("hilma-sdk", "E3_minimum.xml")))
    assert code == 1
    assert out.strip() == "new: 2, updated: 0, unchanged: 0, rejected: 1"
    assert Notice.objects.count() == 2 and Rejection.objects.count() == 1


def test_an_impossible_deadline_on_a_web_page_is_flagged_not_dropped_silently(tmp_path):
    page = tmp_path / "impossible.html"
    page.write_text(
        """<html lang="fi"><head><meta charset="utf-8"></head><body><article>
        <h2>Kansallinen hankintailmoitus: Ruokapalvelut 2027</h2>
        <p>Esimerkkilän kaupunki (Y-tunnus 2345678-0) pyytää tarjouksia ruokapalveluista.</p>
        <p>Kysymykset viimeistään 10.1.2027 klo 12.00.</p>
        <p>Tarjoukset 31.2.2027 klo 16.00 mennessä.</p></article></body></html>""",
        encoding="utf-8",
    )
    code, out, err = run(str(page), "--url", "https://www.esimerkkila.example/uutiset")
    assert code == 0
    assert "flagged:" in err and "impossible.html" in err and "31.2.2027" in err
    notice = Notice.objects.get()
    assert [d.kind for d in notice.deadlines.all()] == ["questions"]
    assert len(notice.warnings) == 1 and "31.2.2027" in notice.warnings[0]


def test_a_web_page_without_its_address_is_ingested_with_a_warning_to_give_it():
    page = str(corpus_path("fi-web", "kymenlaakso-2016-05.html"))
    code, out, err = run(page)
    assert code == 0 and "new: 1" in out
    assert "kymenlaakso-2016-05.html" in err and "without --url" in err
    assert Notice.objects.get().source_id.startswith("/ajankohtaista/195")
    code, out, err = run(page, "--url", "http://www.kymenlaakso.fi/")
    assert code == 0 and "without --url" not in err
    assert Notice.objects.filter(source_id__startswith="http://www.kymenlaakso.fi/ajankohtaista/195").exists()


def test_eforms_nuts_subtype_and_procedure_type_are_read(corpus):
    from notices.readers import eforms

    national = eforms.read((corpus / "hilma-sdk" / "E3_minimum.xml").read_bytes())[0]
    assert national.subtype == "E3" and national.procedure_type == "open"
    assert national.nuts == ("FI198", "FI196")  # place of performance, then the buyer's address
    eu = eforms.read((corpus / "eforms-sdk-1.15.1" / "cn_24_maximal.xml").read_bytes())[0]
    assert eu.subtype == "16" and eu.procedure_type == "neg-w-call" and eu.nuts == ("LU000",)
    assert national.as_json()["nuts"] == ["FI198", "FI196"] and national.as_json()["subtype"] == "E3"
