"""Format detection and the whole read path, fuzzed: whatever the bytes, only IngestError escapes."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notices.readers import detect, read
from notices.records import IngestError, NoticeRecord
from tests.conftest import corpus_path


def corpus_files() -> list[bytes]:
    root = corpus_path()
    paths = [
        root / "eforms-sdk-1.15.1" / "cn_24_open.xml",
        root / "eforms-sdk-1.15.1" / "change-cn_24_open_dates.xml",
        root / "hilma-sdk" / "E3_minimum.xml",
        root / "ocds" / "sample-data" / "ocds-213czf-000-00001-02-tender.json",
        root / "fi-web" / "kymenlaakso-2016-05.html",
        root / "fi-web" / "narpes-vatten-2024-09.html",
    ]
    return [p.read_bytes() for p in paths]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("eforms-sdk-1.15.1/cn_24_open.xml", "eforms"),
        ("hilma-sdk/E1_minimum.xml", "eforms"),
        ("ocds/sample-data/ocds-213czf-000-00001.json", "ocds"),
        ("ocds/ocdskit-realdata/release-package-1.json", "ocds"),
        ("fi-web/kymenlaakso-2016-05.html", "fi-web"),
    ],
)
def test_it_detects_each_format(name, fmt):
    assert detect(corpus_path(*name.split("/")).read_bytes()) == fmt


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_corpus_bytes_give_records_or_an_ingest_error(data):
    files = corpus_files()
    original = files[data.draw(st.integers(0, len(files) - 1))]
    mutated = bytearray(original)
    for _ in range(data.draw(st.integers(1, 8))):
        action = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        position = data.draw(st.integers(0, max(0, len(mutated) - 1)))
        if action == "flip" and mutated:
            mutated[position] ^= data.draw(st.integers(1, 255))
        elif action == "delete":
            del mutated[position : position + data.draw(st.integers(1, 200))]
        elif action == "insert":
            mutated[position:position] = data.draw(st.binary(min_size=1, max_size=40))
        else:
            del mutated[position:]
    try:
        _, records = read(bytes(mutated))
    except IngestError as exc:
        assert str(exc)  # a message a person can read
    else:
        assert all(isinstance(r, NoticeRecord) for r in records)
