"""End-to-end tests: Playwright (from PyPI) drives Debian's Chromium (/usr/bin/chromium, never a browser
Playwright downloads) against the site served by pytest-django's ``live_server`` on 127.0.0.1, with a
transactional test database (SQLite or PostgreSQL, whichever the run uses) and a real SMTP server.

Each page is checked with axe-core (node_modules/axe-core, from npm: ``bin/setup --dev``) and
photographed into var/screenshots/ (override with E2E_SCREENSHOTS). Without Chromium or axe-core the
tests are skipped, except in CI, where that is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

# The site under test listens on 127.0.0.1 (pytest-django's default would be "localhost").
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(os.environ.get("E2E_SCREENSHOTS", ROOT / "var" / "screenshots"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing(what: str):
    message = f"{what}: run bin/setup --dev"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def expect(target):
    """Playwright's retrying assertions: a count or text read right after a click that navigates may see
    the new page before the browser has parsed it all, so assertions about a page wait for it to settle
    (up to Playwright's timeout) instead of reading it once."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the e2e tests. While it runs, Playwright's sync API keeps an event loop in this
    thread, and the tests (and pytest-django's database flushes) use the ORM beside it, which Django would
    refuse as an "async context"; nothing here is concurrent, so async safety is switched off for exactly
    this package's lifetime (set for the whole session it would leak into later tests' subprocesses,
    such as ``manage.py check --deploy``)."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed")
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def page(browser, live_server, settings):
    """A fresh browser context (no cookies) in Finnish, whose links in mails point at the live server."""
    settings.SITE_URL = live_server.url
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    context = browser.new_context(locale="fi-FI", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


REPORT: dict[str, list[dict]] = {}  # page name -> axe violations (all impacts), printed at the end


def check_accessibility(page, name: str) -> list[dict]:
    """Run axe-core on the page as it is now; fail on any serious or critical violation. Returns all
    violations (minor and moderate ones are reported, not failed)."""
    if not AXE.exists():
        _missing(f"no axe-core at {AXE}")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }"""
    )
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe-core on {name} ({page.url}): {bad}"
    REPORT[name] = result
    return result


def screenshot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def look(page, name: str) -> None:
    """Every page the tests visit: axe-core first, then a full-page screenshot."""
    check_accessibility(page, name)
    screenshot(page, name)


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.write_sep("-", "axe-core: pages checked, violations by impact")
        for name, violations in REPORT.items():
            found = ", ".join(f"{v['id']} ({v['impact']})" for v in violations) or "none"
            terminalreporter.write_line(f"{name}: {found}")
