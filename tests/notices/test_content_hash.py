"""The content hash decides whether a notice read again is a new version, so it must not move when the
code does: these digests were computed before ``DeadlineRecord.review_reasons`` existed."""

from pathlib import Path

import pytest

from notices import readers
from notices.records import content_hash
from tests.conftest import corpus_path

OWN_PAGES = Path(__file__).resolve().parents[1] / "data" / "fi-web"


@pytest.mark.parametrize(
    ("path", "url", "digest"),
    [
        (
            lambda: corpus_path("eforms-sdk-1.15.1", "cn_24_open.xml"),
            None,
            "151fc57a1e452e69adba5ce85807f501ba796665c8374fad78901124dd029371",
        ),
        (
            lambda: corpus_path("fi-web", "narpes-vatten-2024-09.html"),
            "https://www.narpesvatten.fi/aktuellt",
            "531e76a74eddceba38076ff078f8c5675b6b104aec7ea6c735ea166a7822e89c",
        ),
        (
            lambda: OWN_PAGES / "viimeistaan-2017-01.html",
            "https://www.esimerkkila.example/ajankohtaista",
            "877805e5c39b9f7660a9fbdb01bb409fb98d4955df5d7274f875a24a80fc5232",
        ),
    ],
)
def test_a_notice_stored_before_an_upgrade_hashes_the_same_after_it(path, url, digest):
    _fmt, (record,) = readers.read(path().read_bytes(), None, url=url)
    assert content_hash(record) == digest


def test_the_reasons_for_a_review_are_part_of_the_hash_when_there_are_any():
    page = (OWN_PAGES / "vuodeton-2017-01.html").read_bytes()
    _fmt, (record,) = readers.read(page, None, url="https://www.esimerkkila.example/ajankohtaista")
    assert all(d.review_reasons for d in record.deadlines)
    bare = record.__class__(**{**record.__dict__, "deadlines": tuple(
        d.__class__(**{**d.__dict__, "review_reasons": ()}) for d in record.deadlines
    )})  # fmt: skip
    assert content_hash(bare) != content_hash(record)
