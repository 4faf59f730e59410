"""The fi-web reader: the corpus pages exactly as their .expected.json says, our own pages, and fuzzing."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notices.readers import fi_web
from notices.readers import text as ft
from notices.records import IngestError, NoticeRecord
from tests.conftest import CORPUS, corpus_path

DATA = Path(__file__).resolve().parents[1] / "data" / "fi-web"
PAGE_URL = "https://www.esimerkkila.example/ajankohtaista"


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _read_own(name: str, url: str = PAGE_URL) -> list[NoticeRecord]:
    return fi_web.read((DATA / name).read_bytes(), url)


# --------------------------------------------------------------------------------------------------------
# The corpus: exactly what each .expected.json says
# --------------------------------------------------------------------------------------------------------


def _expected_files() -> list[str]:
    folder = CORPUS / "fi-web"
    names = sorted(p.name for p in folder.glob("*.expected.json")) if folder.is_dir() else []
    return names or ["corpus-absent.expected.json"]


def _assert_subset(actual: dict, expected: dict, where: str) -> None:
    for key, value in expected.items():
        assert key in actual, f"{where}: no {key!r}"
        assert actual[key] == value, f"{where}.{key}: {actual[key]!r} != {value!r}"


def _assert_notice(record: NoticeRecord, expected: dict, where: str) -> None:
    simple = {"title", "language", "notice_type", "source_url", "source_id"}
    for key in simple & expected.keys():
        assert getattr(record, key) == expected[key], f"{where}.{key}"
    if "buyer" in expected:
        assert len(record.buyers) == 1, f"{where}: one buyer"
        buyer = record.buyers[0].as_json()
        for key, value in expected["buyer"].items():
            if isinstance(value, dict):
                assert buyer[key] is not None, f"{where}.buyer.{key} is missing"
                _assert_subset(buyer[key], value, f"{where}.buyer.{key}")
            else:
                assert buyer[key] == value, f"{where}.buyer.{key}: {buyer[key]!r} != {value!r}"
    if "deadlines" in expected:
        got = [
            {"kind": d.kind, "lot": d.lot, "at": d.at.isoformat(), "at_utc": _utc(d.at)}
            for d in record.deadlines
        ]
        want = [{k: d[k] for k in ("kind", "lot", "at", "at_utc") if k in d} for d in expected["deadlines"]]
        assert len(got) == len(want), f"{where}.deadlines: {got}"
        assert [{k: g[k] for k in w} for g, w in zip(got, want, strict=True)] == want, where
        for deadline in record.deadlines:
            assert deadline.at.utcoffset() is not None
            assert deadline.text, "the sentence it was read from is kept"
    if "links" in expected:
        assert list(record.links) == expected["links"], f"{where}.links"


@pytest.mark.parametrize("name", _expected_files())
def test_corpus_page_reads_as_expected(name: str) -> None:
    folder = corpus_path("fi-web")
    expected_path = folder / name
    assert expected_path.is_file(), f"{expected_path} is missing"
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    page = folder / expected["page"]

    records = fi_web.read(page.read_bytes(), expected["url"])

    assert len(records) == len(expected["notices"]), [r.title for r in records]
    for index, (record, want) in enumerate(zip(records, expected["notices"], strict=True)):
        _assert_notice(record, want, f"{name}#notices[{index}]")
        assert record.source == "fi-web"
        assert record.titles == {record.language: record.title}
        assert record.descriptions.get(record.language)
    titles = {r.title for r in records} | {t for r in records for t in r.titles.values()}
    for decoy in expected.get("not_notices", []):
        assert decoy not in titles
        assert not any(decoy in (r.source_id or "") for r in records)
    assert json.dumps([r.as_json() for r in records])  # the dry-run contract serialises


def test_kymenlaakso_details_beyond_the_expected_file() -> None:
    page = corpus_path("fi-web", "kymenlaakso-2016-05.html")
    (record,) = fi_web.read(page.read_bytes(), "http://www.kymenlaakso.fi/")
    assert record.source_id == record.source_url
    assert "kirjaamo@kymenlaakso.fi" in record.descriptions["fi"]  # the cloak placeholder is replaced
    assert "JavaScript" not in record.descriptions["fi"]
    assert "Kauppamiehenkatu" not in record.descriptions["fi"]  # the footer is the site's
    assert record.deadlines[0].text == "Tarjoukset 20.5.2016 klo 16.00 mennessä osoitteeseen:"
    assert record.deadlines[0].needs_review is False


def test_narpes_unlinked_item_is_identified_by_page_and_heading() -> None:
    page = corpus_path("fi-web", "narpes-vatten-2024-09.html")
    (record,) = fi_web.read(page.read_bytes(), "https://www.narpes-vatten.fi/aktuellt")
    assert record.source_id == (
        "https://www.narpes-vatten.fi/aktuellt#nationell-upphandlingsannons-fornyelse-av-avloppsledningar-i-narpes-centrum-2025"
    )
    assert record.published_at.isoformat() == "2024-09-02T00:00:00+03:00"
    # a fragment in the URL it was fetched from does not change identity
    (again,) = fi_web.read(page.read_bytes(), "https://www.narpes-vatten.fi/aktuellt#top")
    assert again.source_id == record.source_id


# --------------------------------------------------------------------------------------------------------
# Our own pages
# --------------------------------------------------------------------------------------------------------


def _deadlines(record: NoticeRecord) -> list[tuple[str, str, bool]]:
    return [(d.kind, d.at.isoformat(), d.needs_review) for d in record.deadlines]


def test_iso_8859_1_page_declared_in_meta() -> None:
    data = (DATA / "latin1-jyvaskyla-2017-03.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the page really is Latin-1
    (record,) = fi_web.read(data, PAGE_URL)
    assert record.title == "Siivouspalvelut Säynätsalon toimipisteeseen"
    assert (
        record.source_id == "https://www.esimerkkila.example/ajankohtaista/41-tarjouspyynto-siivouspalvelut"
    )
    assert record.language == "fi"
    assert _deadlines(record) == [("tender", "2017-03-15T12:00:00+02:00", False)]  # not the contract period
    buyer = record.buyers[0]
    assert buyer.name == "Keski-Suomen Esimerkkiyhtymä"
    assert [i.as_json() for i in buyer.identifiers] == [
        {"scheme": "FI-PRO", "id": "1827364-8", "valid": True}
    ]
    assert (buyer.address.po_box, buyer.address.postal_code, buyer.address.city) == (
        "77",
        "40101",
        "Jyväskylä",
    )
    assert buyer.address.country == "FI"
    assert buyer.email == "kirjaamo@esimerkkiyhtyma.fi"
    assert buyer.phone.e164 == "+358142660000"
    assert record.links == ("https://www.esimerkkila.example/liitteet/tarjouspyynto-siivous.pdf",)
    assert record.published_at.isoformat() == "2017-03-01T00:00:00+02:00"


def test_viimeistaan_weekday_deadlines_on_a_page_without_item_markup() -> None:
    (record,) = _read_own("viimeistaan-2017-01.html")
    assert record.title == "Lumityöt kunnan kiinteistöillä 2017–2019"
    assert record.source_id == f"{PAGE_URL}#hankintailmoitus-lumityot-kunnan-kiinteistoilla-2017-2019"
    assert record.source_url == PAGE_URL
    assert _deadlines(record) == [
        ("questions", "2017-01-23T12:00:00+02:00", False),
        ("tender", "2017-02-03T13:00:00+02:00", False),
    ]
    assert record.deadlines[1].text.startswith("Tarjoukset on jätettävä viimeistään pe 3.2.2017 klo 13")
    buyer = record.buyers[0]
    assert buyer.name == "Esimerkkilän kunta"
    assert buyer.identifiers[0].id == "2468013-5"
    assert buyer.email == "hankinnat@esimerkkila.fi"
    assert buyer.phone.e164 == "+358401234567"
    assert buyer.address.postal_code is None  # the footer's address is the site's
    assert record.links == ("https://www.hankintailmoitukset.fi/fi/notice/view/2017-000001/",)


def test_dates_without_a_year_take_it_from_the_publication_date() -> None:
    """"pe 3.2. klo 13" on an item published 20.12.2016 is Friday 3 February 2017; flagged for a person.
    "kohta 4.2." (a section number) is no date, and the council meeting is no notice."""
    (record,) = _read_own("vuodeton-2017-01.html")
    assert record.title == "Koulukuljetukset 2017–2020"
    assert _deadlines(record) == [
        ("questions", "2017-01-10T12:00:00+02:00", True),
        ("tender", "2017-02-03T13:00:00+02:00", True),
    ]
    assert [_utc(d.at) for d in record.deadlines] == ["2017-01-10T10:00:00Z", "2017-02-03T11:00:00Z"]
    assert record.deadlines[1].text.startswith("Tarjoukset on jätettävä viimeistään pe 3.2. klo 13")
    assert [d.review_reasons for d in record.deadlines] == [(ft.YEAR_INFERRED,), (ft.YEAR_INFERRED,)]


def test_klo_24_in_an_xhtml_page_declared_windows_1252() -> None:
    (record,) = _read_own("klo24-2018-06.html")
    assert record.title == "Laiturin 3 korjaus"
    assert record.buyers[0].name == "Esimerkkisatama Oy"
    assert _deadlines(record) == [
        ("tender", "2018-06-16T00:00:00+03:00", False),
        ("opening", "2018-06-18T10:00:00+03:00", False),
    ]
    assert "120 000 €" in record.descriptions["fi"]
    address = record.buyers[0].address
    assert (address.street, address.postal_code, address.city) == ("Satamatie 5", "48100", "Kotka")
    assert record.buyers[0].fax.e164 == "+35851234568"


def test_swedish_page_with_participation_and_tender_deadlines() -> None:
    (record,) = _read_own("sv-deltagande-2024-09.html")
    assert record.language == "sv"
    assert record.title == "Utbyggnad av fjärrvärmenätet i Exempelby 2025"
    assert record.titles == {"sv": record.title}
    assert _deadlines(record) == [
        ("participation", "2024-09-16T16:00:00+03:00", False),
        ("tender", "2024-10-07T15:00:00+03:00", False),
    ]
    assert [_utc(d.at) for d in record.deadlines] == ["2024-09-16T13:00:00Z", "2024-10-07T12:00:00Z"]
    buyer = record.buyers[0]
    assert buyer.name == "Exempelstadens Tekniska Verk Ab"
    assert buyer.identifiers[0].id == "2715390-4"
    assert (buyer.address.po_box, buyer.address.postal_code, buyer.address.city) == (
        "27",
        "66101",
        "Exempelby",
    )
    assert buyer.email == "anbud@exempelverk.fi"
    assert buyer.phone.e164 == "+35865551234"
    assert buyer.fax.e164 == "+35865551235"
    assert buyer.url == "https://www.exempelverk.fi/"
    assert record.links == ()  # the buyer's home page and the mailto are not documents


def test_dst_edges_and_weekday_mismatch_are_flagged() -> None:
    records = _read_own("dst-2024.html")
    assert [r.title for r in records] == [
        "Yöpäivystyksen vartiointi",
        "Kellojen huolto",
        "Toimistotarvikkeet",
    ]
    gap, ambiguous, mismatch = (_deadlines(r) for r in records)
    assert gap == [("tender", "2024-03-31T04:30:00+03:00", True)]
    assert ambiguous == [("tender", "2024-10-27T03:30:00+03:00", True)]
    assert mismatch == [
        ("tender", "2024-10-28T12:00:00+02:00", True),  # "ti" but 28.10.2024 is a Monday
        ("opening", "2024-10-29T23:59:00+02:00", True),  # no time given
    ]


def test_edited_page_keeps_identity_and_changes_deadline() -> None:
    before = _read_own("edited-v1.html")
    after = _read_own("edited-v2.html")
    assert [r.source_id for r in before] == [r.source_id for r in after]
    assert [r.source_id for r in before] == [
        f"{PAGE_URL}#hankintailmoitus-vesimittarien-vaihto-2017",
        "https://www.esimerkkila.example/uutiset/12-tarjouspyynto-kaivinkone",
    ]
    assert [_deadlines(r) for r in before] == [
        [("tender", "2017-05-19T12:00:00+03:00", False)],
        [("tender", "2017-05-19T16:00:00+03:00", False)],
    ]
    assert [_deadlines(r) for r in after] == [
        [("tender", "2017-05-26T12:00:00+03:00", False)],
        [("tender", "2017-05-29T16:00:00+03:00", False)],
    ]


def test_page_without_notices_is_empty() -> None:
    assert _read_own("no-notices.html") == []


def test_without_url_links_stay_as_written() -> None:
    records = fi_web.read((DATA / "edited-v1.html").read_bytes())
    assert [r.source_id for r in records] == [
        "#hankintailmoitus-vesimittarien-vaihto-2017",
        "/uutiset/12-tarjouspyynto-kaivinkone",
    ]


def test_item_language_follows_its_text_on_a_bilingual_site() -> None:
    page = (
        '<html lang="fi"><head><meta charset="utf-8"></head><body>'
        "<article><h2>Upphandlingsannons: Snöröjning 2025</h2>"
        "<p>Anbuden ska lämnas senast 7.10.2024 kl 15:00 till kommunen och av anbudet ska framgå priset.</p>"
        "</article></body></html>"
    ).encode()
    (record,) = fi_web.read(page, PAGE_URL)
    assert record.language == "sv" and record.titles == {"sv": "Snöröjning 2025"}


def test_same_heading_twice_gets_distinct_ids() -> None:
    item = "<article><h2>Tarjouspyyntö: Lumityöt</h2><p>Tarjoukset 20.5.2016 klo 12 mennessä.</p></article>"
    page = f"<!DOCTYPE html><html><body>{item}{item}</body></html>".encode()
    ids = [r.source_id for r in fi_web.read(page, PAGE_URL)]
    assert ids == [f"{PAGE_URL}#tarjouspyynto-lumityot", f"{PAGE_URL}#tarjouspyynto-lumityot-2"]


def test_joomla_4_hidden_mail_is_decoded() -> None:
    page = (
        "<!DOCTYPE html><html><head><title>Esimerkkilän kunta</title></head>"
        "<body><div class='item'><h2>Tarjouspyyntö: Kopiopaperi</h2>"
        "<p>Tarjoukset 20.5.2016 klo 12 mennessä: "
        '<joomla-hidden-mail first="aGFua2lubmF0" last="ZXNpbWVya2tpLmZp">suojattu</joomla-hidden-mail></p>'
        "</div></body></html>"
    ).encode()
    (record,) = fi_web.read(page, PAGE_URL)
    assert record.buyers[0].email == "hankinnat@esimerkki.fi"


# --------------------------------------------------------------------------------------------------------
# Encodings and things that are not pages
# --------------------------------------------------------------------------------------------------------

NOTICE_ITEM = (
    "<article><h2>Tarjouspyyntö: Päällystystyöt</h2><p>Tarjoukset 20.5.2016 klo 12 mennessä.</p></article>"
)


@pytest.mark.parametrize(
    ("head", "encoding"),
    [
        ('<meta charset="utf-8">', "utf-8"),
        ('<meta charset="ISO-8859-1">', "latin-1"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">', "cp1252"),
        ('<meta charset="iso-8859-15">', "iso-8859-15"),
        ("", "utf-8"),  # undeclared: UTF-8 first
        ("", "cp1252"),  # undeclared and not UTF-8: windows-1252
        ('<meta charset="utf-16">', "utf-8"),  # a meta cannot declare UTF-16
        ('<meta charset="no-such-encoding">', "utf-8"),
    ],
)
def test_declared_encodings(head: str, encoding: str) -> None:
    page = f"<!DOCTYPE html><html><head>{head}</head><body>{NOTICE_ITEM}</body></html>".encode(encoding)
    (record,) = fi_web.read(page, PAGE_URL)
    assert record.title == "Päällystystyöt"


def test_utf16_with_bom() -> None:
    page = f"<!DOCTYPE html><html><body>{NOTICE_ITEM}</body></html>".encode("utf-16")
    assert fi_web.looks_like(page)
    (record,) = fi_web.read(page, PAGE_URL)
    assert record.title == "Päällystystyöt"


def test_a_few_bad_bytes_are_replaced() -> None:
    page = f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{NOTICE_ITEM}</body></html>'
    (record,) = fi_web.read(page.encode("utf-8").replace(b"</body>", b"<p>\xff\xfe</p></body>"), PAGE_URL)
    assert record.title == "Päällystystyöt"


def test_many_bad_bytes_under_a_utf8_declaration_are_refused() -> None:
    page = f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{NOTICE_ITEM * 20}</body></html>'
    with pytest.raises(IngestError, match="says it is utf-8"):
        fi_web.read(page.encode("latin-1"), PAGE_URL)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not an HTML page"),
        (b'{"releases": []}', "not an HTML page"),
        (b"Tarjoukset 20.5.2016 klo 12 mennessa.", "not an HTML page"),
        (b"\x00\x01\x02\x03" * 100, "binary"),
    ],
)
def test_not_html_is_an_ingest_error(data: bytes, message: str) -> None:
    with pytest.raises(IngestError, match=message) as raised:
        fi_web.read(data, PAGE_URL)
    assert raised.value.where == PAGE_URL


def test_looks_like() -> None:
    assert fi_web.looks_like(corpus_path("fi-web", "kymenlaakso-2016-05.html").read_bytes())
    assert all(fi_web.looks_like(p.read_bytes()) for p in DATA.glob("*.html"))
    assert fi_web.looks_like(b"<!DOCTYPE html><html>")
    assert fi_web.looks_like(b"\xef\xbb\xbf\n<html lang='fi'>")
    assert fi_web.looks_like(b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml">')
    assert not fi_web.looks_like(b'<?xml version="1.0"?><ContractNotice xmlns="urn:oasis">')
    assert not fi_web.looks_like(b'{"uri": "x"}')
    assert not fi_web.looks_like(b"")


# --------------------------------------------------------------------------------------------------------
# Fuzzing: mutated pages give records or an IngestError, nothing else
# --------------------------------------------------------------------------------------------------------

TOKENS = [
    b"<",
    b">",
    b"</div>",
    b"<article>",
    b"<h2>",
    b"&#",
    b"&amp;",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xef\xbb\xbf",
    b"klo 24.00",
    b"31.2.2016",
    b"klo 25",
    b"31.3.2024 klo 3.30",
    b"ma ",
    b"<script>var addy1 = '",
    b'<meta charset="utf-16">',
    b'<meta charset="iso-8859-1">',
    b"<?xml version='1.0' encoding='foo'?>",
    b"Y-tunnus 0206714-4",
    b"PL 35\n48601 KOTKA",
    b"<a href='http://[bad'>",
    b"<time datetime='2016-99-99'>",
    b"<base href='::'>",
    "Tarjoukset 1.1.9999 klo 24.00 mennessä".encode(),
]


@cache
def _seed_pages() -> tuple[bytes, ...]:
    corpus = corpus_path("fi-web")
    labelled = sorted((DATA.parent / "fi-web-labelled").glob("*/*.html"))
    pages = sorted(corpus.glob("*.html")) + sorted(DATA.glob("*.html")) + labelled
    return tuple(p.read_bytes() for p in pages)


@st.composite
def _mutated(draw: st.DrawFn, pages: tuple[bytes, ...]) -> bytes:
    data = bytearray(draw(st.sampled_from(pages)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "token", "duplicate"]))
        at = draw(st.integers(0, len(data)))
        if op == "flip" and data:
            data[min(at, len(data) - 1)] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 200))]
        elif op == "truncate":
            del data[at:]
        elif op == "token":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif op == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 400))]
    return bytes(data)


@pytest.fixture(scope="module")
def seed_pages() -> tuple[bytes, ...]:
    return _seed_pages()


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(data=st.data())
def test_fuzzed_pages_give_records_or_an_ingest_error(
    seed_pages: tuple[bytes, ...], data: st.DataObject
) -> None:
    page = data.draw(_mutated(seed_pages))
    url = data.draw(
        st.sampled_from([None, "http://www.kymenlaakso.fi/", "https://www.narpes-vatten.fi/aktuellt"])
    )
    charset = data.draw(st.sampled_from([None, "iso-8859-1", "utf-8", "no-such-charset", "utf-16"]))
    try:
        reading = fi_web.explain(page, url, charset)
        records = reading.records
    except IngestError as error:
        assert str(error)
        return
    assert isinstance(records, list)
    for record in records:
        assert isinstance(record, NoticeRecord)
        assert record.source == "fi-web" and record.notice_type == "national"
        assert record.source_id
        for deadline in record.deadlines:
            assert deadline.at.utcoffset() is not None
        json.dumps(record.as_json())
    assert all(item.reason for item in reading.items)


# --------------------------------------------------------------------------------------------------------
# Issue 14: any common layout; notices, not news; values without labels; deadlines as people write them
# --------------------------------------------------------------------------------------------------------


def _page(body: str, title: str = "Esimerkkilän kunta", head: str = '<meta charset="utf-8">') -> bytes:
    return (
        f'<!DOCTYPE html><html lang="fi"><head>{head}<title>{title}</title></head><body>'
        f"<nav><a href='/'>Etusivu</a> <a href='/hankinnat'>Hankinnat</a></nav>{body}"
        "<footer>Esimerkkilän kunta, PL 1, 99999 ESIMERKKILÄ, puh. 09 123 4500, kirjaamo@esimerkkila.fi</footer>"
        "</body></html>"
    ).encode()


def _utc_deadlines(record: NoticeRecord) -> list[tuple[str, str, bool]]:
    return [(d.kind, _utc(d.at), d.needs_review) for d in record.deadlines]


@pytest.mark.parametrize(
    "items",
    [
        # bold leads in paragraphs
        "<p><strong>Tarjouspyyntö: Lumityöt 2026</strong></p><p>Tarjoukset viimeistään 5.3.2026 klo 12.</p>"
        "<p><strong>Tarjouspyyntö: Siivous 2026</strong><br>Tarjoukset viimeistään 6.3.2026 klo 12.</p>",
        # a WordPress page: one article, h3 items without links
        "<article><h2>Avoimet hankinnat</h2><p>Kunnan kansalliset hankinnat.</p>"
        "<h3>Tarjouspyyntö: Lumityöt 2026</h3><p>Tarjoukset viimeistään 5.3.2026 klo 12.</p>"
        "<h3>Tarjouspyyntö: Siivous 2026</h3><p>Tarjoukset viimeistään 6.3.2026 klo 12.</p></article>",
        # plain lines that start with the marker
        "<p>Tarjouspyyntö: Lumityöt 2026<br>Tarjoukset viimeistään 5.3.2026 klo 12.</p>"
        "<p>Tarjouspyyntö: Siivous 2026<br>Tarjoukset viimeistään 6.3.2026 klo 12.</p>",
        # a definition list of items
        "<dl><dt>Tarjouspyyntö: Lumityöt 2026</dt><dd><p>Kunta pyytää tarjouksia lumitöistä.</p>"
        "<p>Tarjoukset viimeistään 5.3.2026 klo 12.</p></dd><dt>Tarjouspyyntö: Siivous 2026</dt>"
        "<dd><p>Kunta pyytää tarjouksia siivouksesta.</p><p>Tarjoukset viimeistään 6.3.2026 klo 12.</p></dd></dl>",
        # sections with their own headings, unmarked, under a page heading
        "<section><h3>Lumityöt 2026</h3><p>Tarjoukset viimeistään 5.3.2026 klo 12.</p></section>"
        "<section><h3>Siivous 2026</h3><p>Tarjoukset viimeistään 6.3.2026 klo 12.</p></section>",
        # table rows with a header row: the deadline's kind is in the column header
        "<table><tr><th>Hankinta</th><th>Tarjousten jättöaika</th></tr>"
        "<tr><td>Lumityöt 2026</td><td>5.3.2026 klo 12</td></tr>"
        "<tr><td>Siivous 2026</td><td>6.3.2026 klo 12</td></tr></table>",
        # Joomla 1.0: heading tables and body tables, no h1-h6 at all
        "<div class='componentheading'>Avoimet hankinnat</div>"
        "<table class='contentpaneopen'><tr><td class='contentheading'>Lumityöt 2026</td></tr></table>"
        "<table class='contentpaneopen'><tr><td><p>Tarjoukset viimeistään 5.3.2026 klo 12.</p></td></tr></table>"
        "<table class='contentpaneopen'><tr><td class='contentheading'>Siivous 2026</td></tr></table>"
        "<table class='contentpaneopen'><tr><td><p>Tarjoukset viimeistään 6.3.2026 klo 12.</p></td></tr></table>",
    ],
    ids=["bold-leads", "article-h3", "marker-lines", "dl", "sections", "table-rows", "joomla10"],
)
def test_items_are_found_by_structure_and_titled_by_their_own_heading(items: str) -> None:
    page = _page(f"<main><h1>Avoimet hankinnat</h1>{items}</main>", "Avoimet hankinnat")
    records = fi_web.read(page, PAGE_URL)
    assert [r.title for r in records] == ["Lumityöt 2026", "Siivous 2026"]
    assert [_utc_deadlines(r) for r in records] == [
        [("tender", "2026-03-05T10:00:00Z", False)],
        [("tender", "2026-03-06T10:00:00Z", False)],
    ]
    assert all(r.source_id.startswith(f"{PAGE_URL}#") and "avoimet" not in r.source_id for r in records)


def test_a_notice_with_parts_stays_one_notice() -> None:
    page = _page(
        "<main><h1>Koulukuljetukset 2026–2029</h1><p>Kunta pyytää tarjouksia koulukuljetuksista.</p>"
        "<h2>Tarjousten jättäminen</h2><p>Tarjoukset on jätettävä viimeistään 2.3.2026 klo 12.</p>"
        "<h2>Lisätietoja</h2><p>Sivistysjohtaja, puh. 040 123 4567</p></main>"
    )
    (record,) = fi_web.read(page, PAGE_URL)
    assert record.title == "Koulukuljetukset 2026–2029"
    assert record.buyers[0].phone.e164 == "+358401234567"


def test_joomla_1_0_page_of_the_issue_is_read() -> None:
    """A table-based Joomla 1.0 page: `contentpaneopen` tables, `td.contentheading`, no h1-h6."""
    body = (
        "<table class='contentpaneopen'><tr><td class='contentheading' width='100%'>"
        "Kansallinen hankintailmoitus: Iitin kunta : Koulukuljetukset 2026–2029</td></tr></table>"
        "<table class='contentpaneopen'><tr><td valign='top'>"
        "<p>Hankintayksikkö: Iitin kunta<br />Y-tunnus: 0153052-1<br />Kauppatie 10, 47400 KAUSALA</p>"
        "<p>Tarjousaika 25.11.2025–2.2.2026 klo 12.00.</p>"
        "<p>Puh. 020 615 3000, fax 020 615 3009, kirjaamo@iitti.fi</p></td></tr></table>"
    )
    page = f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head><body>{body}</body></html>'
    (record,) = fi_web.read(page.encode("cp1252"), PAGE_URL)
    assert record.title == "Koulukuljetukset 2026–2029"
    buyer = record.buyers[0]
    assert buyer.name == "Iitin kunta"
    assert [(i.id, i.valid) for i in buyer.identifiers] == [("0153052-1", True)]
    assert _utc_deadlines(record) == [("tender", "2026-02-02T10:00:00Z", False)]
    assert (buyer.email, buyer.phone.e164, buyer.fax.e164) == (
        "kirjaamo@iitti.fi",
        "+358206153000",
        "+358206153009",
    )


@pytest.mark.parametrize(
    ("heading", "text"),
    [
        ("Hankintalaki uudistuu", "Uusi hankintalaki tulee voimaan 1.1.2026. Tarjouspyynnöissä on huomioitava uudet säännöt."),
        ("Talousarvio 2026", "Koulun peruskorjauksesta pyydetään tarjoukset keväällä 2026."),
        ("Hankintapäätös: Koulukuljetukset", "Määräaikaan 12.12.2025 klo 12.00 mennessä saatiin neljä tarjousta."),
        ("Tilldelningsbeslut: Skolmat", "Anbudstiden gick ut 9.1.2026 kl. 12.00 och fem anbud lämnades in."),
        ("Lediga jobb: Upphandlare", "Ansökningarna ska vara inlämnade senast 9.1.2026 kl. 15.00."),
        ("Informationstillfälle", "Kommunen berättar hur man lämnar anbud tisdag 13.1.2026 kl. 8.30."),
    ],
)
def test_news_that_mentions_procurement_is_no_notice_but_is_reported(heading: str, text: str) -> None:
    page = _page(f"<main><article><h2>{heading}</h2><p>{text}</p></article></main>")
    reading = fi_web.explain(page, PAGE_URL)
    assert reading.records == []
    (item,) = reading.items
    assert item.heading == heading and not item.taken and item.reason
    assert item.suspicious and item.signals  # never a silent zero


def test_explain_says_why_per_item() -> None:
    page = _page(
        "<main><article><h2>Tarjouspyyntö: Lumityöt</h2><p>Tarjoukset viimeistään 5.3.2026 klo 12.</p></article>"
        "<article><h2>Kirjaston aukioloajat</h2><p>Avoinna ma–pe klo 10–19.</p></article></main>"
    )
    reading = fi_web.explain(page, PAGE_URL)
    assert [(i.heading, i.taken, i.suspicious) for i in reading.items] == [
        ("Tarjouspyyntö: Lumityöt", True, False),
        ("Kirjaston aukioloajat", False, False),
    ]
    assert "tender deadline" in reading.items[0].reason
    assert reading.items[0].source_id == reading.records[0].source_id
    assert reading.items[0].line().startswith("taken: 'Tarjouspyyntö: Lumityöt': ")


def test_a_page_that_looks_like_procurement_but_has_no_notice_is_reported() -> None:
    """No item a notice, yet the page gives a marker and a business id: the page itself is reported."""
    page = _page("<main><p>Kansallinen hankintailmoitus. Esimerkkilän kunta, Y-tunnus 2468013-5.</p></main>")
    reading = fi_web.explain(page, PAGE_URL)
    assert reading.records == []
    assert reading.suspicious and "business id" in " ".join(reading.suspicious[0].signals)


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("Hankintayksikkö: Iitin kunta, Y-tunnus 0153052-1", "Iitin kunta"),
        ("Tilaaja: Iitin kunta (Y-tunnus 0153052-1)", "Iitin kunta"),
        ("Hankinnan tekijä: Iitin kunta / tekninen toimi", "Iitin kunta / tekninen toimi"),
        ("Upphandlande enhet: Närpes stad, tekniska sektorn", "Närpes stad"),
        ("Beställare: Närpes stad", "Närpes stad"),
    ],
)
def test_labels_are_not_names(line: str, name: str) -> None:
    page = _page(
        f"<main><article><h2>Tarjouspyyntö: Lumityöt</h2><p>{line}</p>"
        "<p>Yhteyshenkilö: Matti Virtanen, puh. 040 123 4567</p>"
        "<p>Tarjoukset viimeistään 5.3.2026 klo 12.</p></article></main>"
    )
    (record,) = fi_web.read(page, PAGE_URL)
    assert record.buyers[0].name == name


def test_a_label_before_a_business_id_on_one_line_is_not_the_name() -> None:
    page = _page(
        "<main><article><h2>Tarjouspyyntö: Lumityöt</h2>"
        "<address>Hankintayksikkö: Iitin kunta<br>PL 1, 47401 KAUSALA</address>"
        "<p>Tarjoukset viimeistään 5.3.2026 klo 12.</p></article></main>"
    )
    (record,) = fi_web.read(page, PAGE_URL)
    assert record.buyers[0].name == "Iitin kunta"


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Tarjousaika 25.11.2025–2.2.2026 klo 12.00.", [("tender", "2026-02-02T10:00:00Z", False)]),
        ("Tarjousaika päättyy 2.2.2026 klo 12.", [("tender", "2026-02-02T10:00:00Z", False)]),
        ("Tarjoukset on jätettävä 15. maaliskuuta 2026 kello 12 mennessä.", [("tender", "2026-03-15T10:00:00Z", False)]),
        ("Tarjoukset maaliskuun 13. päivänä 2026 klo 12 mennessä.", [("tender", "2026-03-13T10:00:00Z", False)]),
        ("Anbuden ska lämnas senast fredagen den 13 mars 2026 kl. 12.", [("tender", "2026-03-13T10:00:00Z", False)]),
        ("Tarjoukset viimeistään perjantaihin 13.3.2026 klo 24.00 mennessä.", [("tender", "2026-03-13T22:00:00Z", False)]),
        ("Tarjoukset 13.3.2026 puoliltapäivin mennessä.", [("tender", "2026-03-13T10:00:00Z", False)]),
        ("Anbud senast 13.3.2026 före midnatt.", [("tender", "2026-03-13T22:00:00Z", False)]),
        ("Osallistumishakemukset viimeistään 28.3.2026 puoleenyöhön mennessä.", [("participation", "2026-03-28T22:00:00Z", False)]),
    ],
)
def test_deadlines_as_finns_and_swedes_write_them(sentence: str, expected: list) -> None:
    page = _page(f"<main><article><h2>Tarjouspyyntö: Lumityöt</h2><p>{sentence}</p></article></main>")
    (record,) = fi_web.read(page, PAGE_URL)
    assert _utc_deadlines(record) == expected


def test_a_contract_period_is_no_deadline_but_the_tender_period_ends_in_one() -> None:
    page = _page(
        "<main><article><h2>Tarjouspyyntö: Siivous</h2>"
        "<p>Kunta pyytää tarjouksia siivouksesta ajalle 1.5.2026–30.4.2028.</p>"
        "<p>Tarjousaika: 2.2.2026–27.2.2026 klo 12.00</p></article></main>"
    )
    (record,) = fi_web.read(page, PAGE_URL)
    assert _utc_deadlines(record) == [("tender", "2026-02-27T10:00:00Z", False)]


def test_the_http_charset_is_used_when_the_page_declares_none() -> None:
    item = "<article><h2>Tarjouspyyntö: Päällystys</h2><p>Tarjoukset 20.5.2016 klo 12 mennessä. Arvo 10 000 €.</p></article>"
    data = f"<!DOCTYPE html><html><body>{item}</body></html>".encode("iso-8859-15")
    (record,) = fi_web.read(data, PAGE_URL, charset="ISO-8859-15")
    assert "10 000 €" in record.descriptions["fi"]
    (guessed,) = fi_web.read(data, PAGE_URL)  # without it: windows-1252, where 0xA4 is "¤"
    assert "10 000 ¤" in guessed.descriptions["fi"]
    declared = data.replace(b"<html>", b'<html><head><meta charset="windows-1252"></head>')
    (record,) = fi_web.read(declared, PAGE_URL, charset="iso-8859-15")  # the page's own declaration wins
    assert "10 000 ¤" in record.descriptions["fi"]
    (record,) = fi_web.read(data, PAGE_URL, charset="no-such-charset")
    assert record.title == "Päällystys"


def test_an_item_the_old_reader_titled_with_the_page_heading_carries_its_old_id() -> None:
    """The first reader read "<h1>Avoimet hankinnat</h1><h3>...</h3>" inside one article as one item named
    after the page heading; its id is an alias of the first notice, so the stored notice is found."""
    page = _page(
        "<main><article><h1>Avoimet hankinnat</h1><p>Kunnan hankinnat.</p>"
        "<h3>Tarjouspyyntö: Lumityöt 2026</h3><p>Tarjoukset viimeistään 5.3.2026 klo 12.</p>"
        "<h3>Tarjouspyyntö: Siivous 2026</h3><p>Tarjoukset viimeistään 6.3.2026 klo 12.</p></article></main>"
    )
    first, second = fi_web.read(page, PAGE_URL)
    assert first.source_id == f"{PAGE_URL}#tarjouspyynto-lumityot-2026"
    assert first.aliases == (f"{PAGE_URL}#avoimet-hankinnat",)
    assert second.aliases == ()
    assert first.as_json()["aliases"] == [f"{PAGE_URL}#avoimet-hankinnat"]
    assert "aliases" not in second.as_json()


def test_items_the_old_reader_read_alike_have_no_aliases() -> None:
    for name in ("edited-v1.html", "viimeistaan-2017-01.html", "dst-2024.html"):
        assert all(r.aliases == () for r in _read_own(name))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Drupal views fields: the title is a link in a div, no heading
        (
            "<h1>Uutiset</h1><div><div><div><span><a href='/u/1'>Tarjouspyyntö: Lumityöt 2026</a></span></div>"
            "<div>3.2.2026</div><div><p>Kunta pyytää tarjouksia. Tarjoukset viimeistään 5.3.2026 klo 12.</p></div></div>"
            "<div><div><span><a href='/u/2'>Konsertti kirkossa</a></span></div>"
            "<div><p>Konsertti la 7.3.2026 klo 18. Vapaa pääsy kaikille.</p></div></div></div>",
            [("https://www.esimerkkila.example/u/1", "Lumityöt 2026")],
        ),
        # a list whose entries are one link each (Episerver)
        (
            "<h1>Uutiset</h1><ul><li><a href='/u/1'><span>3.2.2026</span><h3>Tarjouspyyntö: Lumityöt 2026</h3>"
            "<p>Tarjousaika päättyy 5.3.2026 klo 12.</p></a></li><li><a href='/u/2'><span>2.2.2026</span>"
            "<h3>Kirjasto suljettu</h3><p>Kirjasto on suljettu 9.2.2026.</p></a></li></ul>",
            [("https://www.esimerkkila.example/u/1", "Lumityöt 2026")],
        ),
        # a table whose header row is bold cells; "Jättöaika" alone is about tenders under "Tarjouspyynnöt"
        (
            "<h2>Tarjouspyynnöt</h2><p>Kunta pyytää tarjouksia alla olevista hankinnoista.</p>"
            "<table border=1><tr><td><b>Kohde</b></td><td><b>Jättöaika</b></td></tr>"
            "<tr><td>Pumppaamon saneeraus</td><td>5.3.2026 klo 12</td></tr></table>",
            [(f"{PAGE_URL}#pumppaamon-saneeraus", "Pumppaamon saneeraus")],
        ),
        # one notice under a page heading, its heading not marked
        (
            "<h1>Hankinnat</h1><h2>Koulukuljetukset 2026</h2><p>Tarjoukset viimeistään 5.3.2026 klo 12.</p>",
            [(f"{PAGE_URL}#koulukuljetukset-2026", "Koulukuljetukset 2026")],
        ),
        # the marker in bold, the title after it
        (
            "<h1>Avoimet hankinnat</h1><p><strong>Tarjouspyyntö:</strong> Lumityöt 2026<br>"
            "Tarjoukset viimeistään 5.3.2026 klo 12.</p>",
            [(f"{PAGE_URL}#tarjouspyynto-lumityot-2026", "Lumityöt 2026")],
        ),
        # a bilingual marker
        (
            "<article><h2>Tarjouspyyntö / Anbudsförfrågan: Lumityöt 2026</h2>"
            "<p>Tarjoukset viimeistään 5.3.2026 klo 12.</p></article>",
            [(f"{PAGE_URL}#tarjouspyynto-anbudsforfragan-lumityot-2026", "Lumityöt 2026")],
        ),
        # a page without any heading is one item, named by the page's title
        (
            "<p>Kunta pyytää tarjouksia lumitöistä. Tarjoukset viimeistään 5.3.2026 klo 12.</p>",
            [(f"{PAGE_URL}#tarjouspyynto-lumityot", "Lumityöt")],
        ),
    ],
    ids=["views-fields", "link-entries", "bold-header-table", "one-unmarked", "bold-marker", "bilingual", "no-heads"],
)
def test_more_layouts(body: str, expected: list[tuple[str, str]]) -> None:
    title = "Tarjouspyyntö: Lumityöt" if "<h" not in body else "Esimerkkilän kunta"
    records = fi_web.read(_page(f"<main>{body}</main>", title), PAGE_URL)
    assert [(r.source_id, r.title) for r in records] == expected
