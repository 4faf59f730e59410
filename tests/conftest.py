"""Shared fixtures. Corpus tests read ../shared/corpus; in CI its absence is a failure, not a skip."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("TRACKER_CORPUS", ROOT.parent / "shared" / "corpus"))


def corpus_path(*parts: str) -> Path:
    """A path inside the corpus; fails (in CI) or skips (elsewhere) with a clear word when it is absent."""
    if not CORPUS.is_dir():
        message = f"the notice corpus is not at {CORPUS}: these tests read it from ../shared/corpus"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CORPUS.joinpath(*parts)


@pytest.fixture(scope="session")
def corpus() -> Path:
    return corpus_path()


@pytest.fixture
def http_server():
    from tests.httpserver import LoopbackServer

    with LoopbackServer() as server:
        yield server
