"""What a summary says: the seed notice in three label languages, many lots, history, long words."""

import dataclasses
import datetime as dt
import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from notices import pdf
from notices.models import Notice
from notices.pdf import context as pdf_context
from notices.pdf import render as pdf_render
from notices.readers import text as ft
from notices.records import DeadlineRecord, LotRecord
from tests.pdf.conftest import (
    BEFORE_DEADLINE,
    HEL,
    many_lots,
    page_count,
    pdf_text,
    save,
    seed_record,
    word_boxes,
)

pytestmark = pytest.mark.django_db

# One label per language that only that language's summary has.
LABELS = {
    "fi": [
        "Tarjousten määräaika",
        "Hankintayksikkö",
        "Yhteystiedot",
        "Muutoshistoria",
        "Y-tunnus",
        "Sivu 1 / 1",
    ],
    "sv": [
        "Sista dag för anbud",
        "Upphandlande enhet",
        "Kontaktuppgifter",
        "Ändringshistorik",
        "FO-nummer",
        "Sida 1 / 1",
    ],
    "en": ["Tender deadline", "Buyer", "Contacts", "Change history", "Business ID", "Page 1 / 1"],
}


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_it_shows_the_seed_notice_in_each_label_language(seed_notice, lang):
    filename, mimetype, content = pdf.render_summary(seed_notice, lang, now=BEFORE_DEADLINE)
    assert mimetype == "application/pdf" and content.startswith(b"%PDF-")
    assert filename == f"kymenlaakson-suomi100-markkinoinnin-toteuttaminen-{seed_notice.pk}-{lang}.pdf"
    text = flat(pdf_text(content))
    for expected in (
        "Kymenlaakson Suomi100 markkinoinnin toteuttaminen",
        "Kymenlaakson Liitto",
        "0206714-5",
        "20.5.2016 16.00",  # Europe/Helsinki
        "20.5.2016 13.00 UTC",  # the same instant in UTC, beside it
        "kirjaamo@kymenlaakso.fi",
        "+35852308910",  # fax
        "+354447478502",  # the phone as written (it is not a valid number, and says so)
        "https://www.hankintailmoitukset.fi/fi/notice/view/2016-009231/",
        "Rendered 12.5.2016 12.30 (Europe/Helsinki)" if lang == "en" else "12.5.2016 12.30 (Europe/Helsinki)",
    ):
        assert expected in text, expected
    for label in LABELS[lang]:
        assert label in text, label
    others = [label for other, labels in LABELS.items() if other != lang for label in labels[:1]]
    assert not any(label in text for label in others)


def test_it_shows_the_time_left_when_rendered(seed_notice):
    # 20.5.2016 13.00 UTC minus 12.5.2016 09.30 UTC = 8 days 3 hours 30 minutes
    assert "8 pv 3 h" in flat(pdf_text(pdf.render_pdf(seed_notice, "fi", BEFORE_DEADLINE)))
    later = dt.datetime(2016, 5, 20, 11, 15, tzinfo=dt.UTC)
    assert "1 h 45 min" in flat(pdf_text(pdf.render_pdf(seed_notice, "en", later)))
    after = dt.datetime(2016, 6, 1, tzinfo=dt.UTC)
    assert "passed" in flat(pdf_text(pdf.render_pdf(seed_notice, "en", after)))


def test_a_notice_with_25_lots_shows_every_lot_on_more_pages_with_repeated_headers(db):
    notice = save(many_lots(25))
    content = pdf.render_pdf(notice, "en", BEFORE_DEADLINE)
    pages = page_count(content)
    assert pages >= 2
    text = flat(pdf_text(content))
    for i in range(1, 26):
        assert f"LOT-{i:04d}" in text
        assert f"Osa {i}: siivouspalvelut kohteessa numero {i}" in text
        assert f"{i}.6.2016 12.00" in text
    assert "Lots (25)" in text
    # A table that runs onto the next page repeats its header row there.
    for page in range(2, pages + 1):
        page_text = flat(pdf_text(content, page=page))
        if re.search(r"\bLOT-\d{4} Osa \d+", page_text):  # rows of the lots table
            assert "Lot Title CPV codes" in page_text, page
        if re.search(r"Tender deadline \d+\.\d\.2016 12\.00", page_text):  # rows of the deadlines table
            assert "Deadline Finnish time UTC" in page_text, page
        assert f"Page {page} / {pages}" in page_text


def test_long_words_and_urls_wrap_instead_of_being_clipped(db):
    word = "Hankinta" + "x" * 180 + "loppu"  # lot titles are clipped at 200 characters
    url = "https://example.fi/" + "/".join(f"segment{i}" for i in range(20)) + "?q=" + "y" * 60  # < 300
    record = dataclasses.replace(
        seed_record(),
        source_id="http://example.fi/long",
        lots=(LotRecord("LOT-1", word, ("79340000",)),),
        links=(url,),
    )
    content = pdf.render_pdf(save(record), "fi", BEFORE_DEADLINE)
    text = "".join(pdf_text(content).split())
    assert word in text
    assert url.replace("-", "") in text.replace("-", "")  # pdftotext drops hyphens at line ends
    # Nothing runs past the right margin (A4 is 595.3 pt wide; the margin is 16 mm = 45.4 pt).
    boxes = word_boxes(content)
    assert boxes and max(x_max for _, x_max in boxes) <= 595.3 - 45.4 + 1


def test_the_change_history_says_what_moved_from_and_to(db):
    first = seed_record()
    save(first)
    moved = dt.datetime(2016, 5, 27, 12, 0, tzinfo=HEL)
    notice = save(dataclasses.replace(first, deadlines=(DeadlineRecord("tender", moved),)), raw=b"v2")
    text = flat(pdf_text(pdf.render_pdf(notice, "en", BEFORE_DEADLINE)))
    assert "moved: Tender deadline from 20.5.2016 16.00 to 27.5.2016 12.00" in text
    assert "version 2" in text and "first version" in text
    assert "27.5.2016 09.00 UTC" in text
    fi = flat(pdf_text(pdf.render_pdf(notice, "fi", BEFORE_DEADLINE)))
    assert "siirtyi: Tarjousten määräaika, aiemmin 20.5.2016 16.00, nyt 27.5.2016 12.00" in fi


def test_a_cancelled_notice_says_so(db):
    save(seed_record())
    notice = save(dataclasses.replace(seed_record(), status="cancelled"), raw=b"v2")
    text = flat(pdf_text(pdf.render_pdf(notice, "sv", BEFORE_DEADLINE)))
    assert "Denna annons har annullerats." in text and "annonsen annullerades" in text


def test_lot_deadlines_are_grouped_by_lot_and_kind(db):
    record = dataclasses.replace(
        seed_record(),
        source_id="http://example.fi/lots",
        lots=(LotRecord("LOT-2", "Toinen"), LotRecord("LOT-10", "Kymmenes")),
        deadlines=(
            DeadlineRecord("tender", dt.datetime(2016, 5, 20, 16, 0, tzinfo=HEL), lot="LOT-10"),
            DeadlineRecord("questions", dt.datetime(2016, 5, 13, 12, 0, tzinfo=HEL)),
            DeadlineRecord("tender", dt.datetime(2016, 5, 19, 16, 0, tzinfo=HEL), lot="LOT-2"),
            DeadlineRecord(
                "questions", dt.datetime(2016, 5, 10, 12, 0, tzinfo=HEL), lot="LOT-2", needs_review=True
            ),
        ),
    )
    content = pdf.render_pdf(save(record), "en", BEFORE_DEADLINE)
    rows = [flat(line) for line in pdf_text(content, layout=True).splitlines() if line.strip()]

    def where(prefix):
        return next(i for i, row in enumerate(rows) if row.startswith(prefix))

    order = [
        where("Whole procedure"),
        where("Questions deadline 13.5.2016 12.00 13.5.2016 09.00 UTC 23 h 30 min"),
        where("Lot LOT-2 · Toinen"),
        where("Questions deadline 10.5.2016 12.00 10.5.2016 09.00 UTC passed"),
        where("Tender deadline 19.5.2016 16.00 19.5.2016 13.00 UTC"),
        where("Lot LOT-10 · Kymmenes"),
        where("Tender deadline 20.5.2016 16.00 20.5.2016 13.00 UTC"),
    ]
    assert order == sorted(order)
    assert any("read from free text" in row for row in rows[order[3] : order[4]])
    lots = [row for row in rows if row.startswith(("LOT-2 ", "LOT-10 "))]
    assert lots == ["LOT-2 Toinen", "LOT-10 Kymmenes"]  # natural order, as in the deadlines


def test_the_command_writes_the_pdf(seed_notice, tmp_path):
    from django.core.management import call_command

    out = tmp_path / "summary.pdf"
    call_command("render_summary", str(seed_notice.pk), "-o", str(out), "--lang", "sv")
    assert "Sista dag för anbud" in flat(pdf_text(out.read_bytes()))


def test_the_command_says_when_there_is_no_such_notice(db, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no notice with id 999"):
        call_command("render_summary", "999", "-o", str(tmp_path / "x.pdf"))


def test_lots_with_the_same_deadlines_share_one_group(db):
    at = dt.datetime(2016, 5, 20, 16, 0, tzinfo=HEL)
    record = dataclasses.replace(
        seed_record(),
        source_id="http://example.fi/same",
        lots=tuple(LotRecord(f"LOT-{i}", f"Osa {i}") for i in range(1, 16)),
        deadlines=tuple(DeadlineRecord("tender", at, lot=f"LOT-{i}") for i in range(1, 16))
        + (DeadlineRecord("questions", at - dt.timedelta(days=5), lot="LOT-7"),),
    )
    content = pdf.render_pdf(save(record), "en", BEFORE_DEADLINE)
    rows = [flat(line) for line in pdf_text(content, layout=True).splitlines() if line.strip()]
    # LOT-7 also has a questions deadline, so it is a group of its own.
    label = "Lots " + ", ".join(f"LOT-{i}" for i in (1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13)) + " … (+2)"
    assert label in flat(pdf_text(content))
    shared = next(i for i, row in enumerate(rows) if row.startswith("Lots LOT-1, LOT-2"))
    tender = "Tender deadline 20.5.2016 16.00 20.5.2016 13.00 UTC"
    assert next(row for row in rows[shared:] if row.startswith("Tender")).startswith(tender)
    lot7 = rows.index("Lot LOT-7 · Osa 7")
    assert rows[lot7 + 1].startswith("Questions deadline 15.5.2016 16.00 15.5.2016 13.00 UTC")
    assert rows[lot7 + 2].startswith("Tender deadline 20.5.2016 16.00 20.5.2016 13.00 UTC")


def markup(notice, lang="en"):
    with translation.override(lang):
        return render_to_string(pdf_render.TEMPLATE, pdf_context.summary_context(notice, lang, BEFORE_DEADLINE))


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_the_xml_parser_gives_the_same_pdf_as_the_html_parser(db, lang):
    """render_pdf parses the template's markup with expat (pdf._xml_root), 3 ms faster than WeasyPrint's
    HTML parser; the document must be the very same, or the shortcut has drifted from HTML.__init__."""
    html = markup(save(many_lots(3)), lang)
    assert pdf_render.xml_root(html) is not None  # the template is well-formed XML
    assert pdf.html_to_pdf(html, well_formed=True) == pdf.html_to_pdf(html)


def test_notice_text_that_xml_does_not_allow_goes_through_the_html_parser(db):
    record = dataclasses.replace(
        seed_record(), source_id="http://example.fi/control", title="Hankinta\x0bosa\x01 yksi"
    )
    notice = save(record)
    assert notice.title == "Hankinta osa yksi"  # the gate (notices.gate) keeps controls out of the store
    # A notice stored before the gate existed may still hold them: its PDF renders all the same.
    Notice.objects.filter(pk=notice.pk).update(title="Hankinta\x0bosa\x01 yksi")
    notice.refresh_from_db()
    assert pdf_render.xml_root(markup(notice)) is None
    text = flat(pdf_text(pdf.render_pdf(notice, "fi", BEFORE_DEADLINE)))
    assert "Hankinta" in text and "yksi" in text and "Kymenlaakson Liitto" in text


@pytest.mark.parametrize(
    ("lang", "reason"),
    [
        ("fi", "vuosi päätelty julkaisupäivästä"),
        ("sv", "året härlett från publiceringsdatumet"),
        ("en", "taken from the publication date"),
    ],
)
def test_a_deadline_to_check_says_why(lang, reason):
    doubtful = DeadlineRecord(
        "tender",
        dt.datetime(2017, 2, 3, 13, 0, tzinfo=HEL),
        needs_review=True,
        review_reasons=(ft.YEAR_INFERRED,),
    )
    notice = save(dataclasses.replace(seed_record(), deadlines=(doubtful,)))
    text = " ".join(pdf_text(pdf.render_pdf(notice, lang, BEFORE_DEADLINE)).split())
    assert reason in text and "3.2.2017 13.00" in text
