"""Shared fixtures. Corpus tests read ../shared/corpus; in CI its absence is a failure, not a skip."""

import os
import tempfile
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("TRACKER_CORPUS", ROOT.parent / "shared" / "corpus"))
REALAPI = Path(os.environ.get("TRACKER_REALAPI", ROOT.parent / "shared" / "realapi"))


def corpus_path(*parts: str) -> Path:
    """A path inside the corpus; fails (in CI) or skips (elsewhere) with a clear word when it is absent."""
    return _shared(CORPUS, "the notice corpus", "../shared/corpus").joinpath(*parts)


def realapi_path(*parts: str) -> Path:
    """A path inside ../shared/realapi (TED's published OpenAPI description, notes on Hilma's API); fails
    (in CI) or skips (elsewhere) when it is absent, as the corpus does."""
    return _shared(REALAPI, "the folder of real API descriptions", "../shared/realapi").joinpath(*parts)


def _shared(folder: Path, what: str, where: str) -> Path:
    if not folder.is_dir():
        message = f"{what} is not at {folder}: these tests read it from {where}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return folder


@pytest.fixture(scope="session")
def corpus() -> Path:
    return corpus_path()


@pytest.fixture
def http_server():
    from tests.httpserver import LoopbackServer

    with LoopbackServer() as server:
        yield server


def pytest_configure(config):
    """The SQLite test database is a file, not pytest-django's in-memory default, so real subprocesses
    (runscheduler in the crash, concurrency and polling tests) can open it; unique per pytest process, and
    created and deleted by Django like the in-memory one. WAL mode lets them all read and write it at once.
    Tests that use a subprocess are ``django_db(transaction=True)`` so their rows are committed."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db.setdefault("TEST", {})
        if not db["TEST"].get("NAME"):
            db["TEST"]["NAME"] = os.path.join(tempfile.gettempdir(), f"tracker-test-{os.getpid()}.sqlite3")


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1 and the Django settings that send to it."""
    from tests.smtpserver import SMTPServer

    server = SMTPServer().start()
    for name, value in server.settings().items():
        setattr(settings, name, value)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def code_labels(db, corpus):
    """The eForms SDK's code names (CPV, NUTS...) loaded as `manage.py load_code_labels` loads them."""
    from notices import codes

    codes.load(corpus / "eforms-sdk-1.15.1" / "translations")
    yield
    codes.forget()


@pytest.fixture(autouse=True)
def _fresh_postings():
    """Filters held in memory (notices.postings) are kept current by version ids; each test's database
    starts again from the same ids, so every test starts with none held."""
    from notices import postings, search

    postings.forget()
    search.forget_broad()
    yield
