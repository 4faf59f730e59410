"""Notices to render, an isolated PDF cache, and the PDF read back as text."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import io
import shutil
import subprocess
from zoneinfo import ZoneInfo

import pytest

from notices import pdf, store
from notices.models import Notice
from notices.readers.ids import identify, phone
from notices.records import Address, BuyerRecord, DeadlineRecord, LotRecord, NoticeRecord
from tests.conftest import corpus_path

HEL = ZoneInfo("Europe/Helsinki")
SEED_URL = "http://www.kymenlaakso.fi/"
# Rendering "now" for tests: before the seed notice's deadline, so "time left" is a duration.
BEFORE_DEADLINE = dt.datetime(2016, 5, 12, 9, 30, tzinfo=dt.UTC)
FIRST_LOT_DEADLINE = dt.datetime(2016, 6, 1, 12, 0, tzinfo=HEL)


@pytest.fixture(autouse=True)
def pdf_cache(settings, tmp_path):
    """Each test gets its own empty file cache and an empty memory cache."""
    settings.PDF_CACHE_DIR = tmp_path / "pdf-cache"
    pdf.clear_memory_cache()
    yield settings.PDF_CACHE_DIR
    pdf.clear_memory_cache()


def seed_record() -> NoticeRecord:
    """The Kymenlaakso notice from the fi-web corpus page, through the fi-web reader when it exists,
    else the same notice built by hand (as tests/notices/test_store.py does)."""
    if importlib.util.find_spec("notices.readers.fi_web") is not None:
        from notices.readers import read

        page = corpus_path("fi-web", "kymenlaakso-2016-05.html").read_bytes()
        _, records = read(page, "fi-web", url=SEED_URL)
        (record,) = records
        return record
    return NoticeRecord(
        source="fi-web",
        source_id="http://www.kymenlaakso.fi/ajankohtaista/195-kansallinen-hankintailmoitus",
        notice_type="national",
        title="Kymenlaakson Suomi100 markkinoinnin toteuttaminen",
        language="fi",
        titles={"fi": "Kymenlaakson Suomi100 markkinoinnin toteuttaminen"},
        descriptions={"fi": "Kansallinen hankintailmoitus: Kymenlaakson Liitto"},
        buyers=(
            BuyerRecord(
                name="Kymenlaakson Liitto",
                identifiers=(identify("0206714-5", "FI"),),
                address=Address(po_box="35", postal_code="48601", city="Kotka", country="FI"),
                email="kirjaamo@kymenlaakso.fi",
                phone=phone("+354447478502", "FI"),
                fax=phone("+35852308910", "FI"),
                url="http://www.kymenlaakso.fi",
            ),
        ),
        deadlines=(DeadlineRecord("tender", dt.datetime(2016, 5, 20, 16, 0, tzinfo=HEL)),),
        links=("https://www.hankintailmoitukset.fi/fi/notice/view/2016-009231/",),
    )


def save(record: NoticeRecord, raw: bytes = b"<html>page</html>") -> Notice:
    change = store.save(record, raw=raw, origin=SEED_URL, fmt=record.source)
    return Notice.objects.get(pk=change.notice.pk)


@pytest.fixture
def seed_notice(db) -> Notice:
    return save(seed_record())


def many_lots(n: int = 25) -> NoticeRecord:
    lots = tuple(
        LotRecord(f"LOT-{i:04d}", f"Osa {i}: siivouspalvelut kohteessa numero {i}", ("90910000",))
        for i in range(1, n + 1)
    )
    deadlines = tuple(
        DeadlineRecord("tender", FIRST_LOT_DEADLINE + dt.timedelta(days=i), lot=lot.id)
        for i, lot in enumerate(lots)
    )
    return dataclasses.replace(
        seed_record(), source_id="http://example.fi/many-lots", lots=lots, deadlines=deadlines
    )


def pdf_text(content: bytes, *, page: int | None = None, layout: bool = False) -> str:
    """The PDF's text (pdftotext when installed, else pypdf), one page or all; ``layout`` keeps table
    rows on one line."""
    if shutil.which("pdftotext"):
        pages = ["-f", str(page), "-l", str(page)] if page else []
        result = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), *pages, "-", "-"],
            input=content,
            capture_output=True,
            check=True,
        )
        return result.stdout.decode()
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    chosen = [reader.pages[page - 1]] if page else reader.pages
    return "\n".join(p.extract_text(extraction_mode="layout" if layout else "plain") for p in chosen)


def page_count(content: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(content)).pages)


def word_boxes(content: bytes) -> list[tuple[str, float]]:
    """(word, right edge in pt) of every word on every page (needs pdftotext; skips without it)."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    import html
    import re

    WORD = r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">(.*?)</word>'

    out = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=content, capture_output=True, check=True)
    return [
        (html.unescape(word), float(x_max))
        for x_max, word in re.findall(WORD, out.stdout.decode())
    ]
