"""A new user's first hour, in Chromium, as the README tells it (issue 17).

A bidder searches, opens a notice and its PDF, follows it, confirms from the ``.eml`` in the outbox, sees
"your reminders" and unsubscribes: in fi, sv and en at 1280 and 390 px. An officer adds a buyer that is
not in the database yet, drafts, previews the public page and the PDF, publishes, corrects and cancels
with a reason (which a follower gets by mail): once per language. One test starts the service exactly
as the README says, ``bin/run`` with ``ADDRESS`` on a free port and a temporary ``TRACKER_VAR_DIR``
(SQLite pass only); the others use pytest-django's live server with the same ``.eml`` outbox.

On every page: axe-core finds no serious or critical violation, and at 390 px nothing scrolls sideways.
At the end of each journey: every ``.eml`` parses with Python's ``email`` package, and every link in
every mail opens a page of the server under test. ``/api/docs`` renders with no request leaving
127.0.0.1. Screenshots go to var/screenshots (E2E_SCREENSHOTS).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import os
import re
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader

from tests.e2e.conftest import ROOT, expect, look
from tests.smtpserver import free_port

HELSINKI = ZoneInfo("Europe/Helsinki")
PASSWORD = "a-long-enough-password-1"
NEW_BUYER = ("1572860-0", "Uusimaan Testikunta")


# --- what every journey checks ----------------------------------------------------------------------------


@dataclass
class Site:
    """The server under test: its base URL, its outbox, and how queued mail leaves (``deliver``)."""

    base: str
    outbox: Path
    deliver: callable  # sends what is queued now (live server) or lets the running scheduler do it
    admin: tuple[str, str]  # a staff user's name and password


def words(lang: str, text: str) -> str:
    with translation.override(lang):
        return gettext(text)


def check(page, name: str, width: int) -> None:
    """axe-core (serious and critical fail) and a screenshot; at a phone's width, no sideways scroll."""
    if width <= 400:
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: the page is {overflow}px wider than the {width}px screen ({page.url})"
    look(page, name)


def mails(outbox: Path) -> list[tuple[Path, object]]:
    """Every .eml in the outbox, parsed; a message with parse defects fails."""
    found = []
    for path in sorted(outbox.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=default_policy)
        defects = [d for part in message.walk() for d in part.defects]
        assert not defects, f"{path.name}: {defects}"
        assert message["From"] and message["To"] and message["Subject"] and message["Message-ID"], path.name
        assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None, path.name
        found.append((path, message))
    return found


def wait_for_mail(outbox: Path, to: str, kind: str | None = None, timeout: float = 40.0):
    """The newest message to ``to`` (of ``X-Tracker-Kind`` ``kind``), waiting for the file to appear."""
    end = time.monotonic() + timeout
    while True:
        hits = [m for _p, m in mails(outbox) if to in str(m["To"]) and (kind is None or m["X-Tracker-Kind"] == kind)]
        if hits:
            return hits[-1]
        assert time.monotonic() < end, f"no {kind or 'mail'} to {to} in {outbox}: {sorted(p.name for p in outbox.glob('*'))}"
        time.sleep(0.25)


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def links_of(message) -> set[str]:
    found = set(re.findall(r"https?://[^\s<>\"')]+", text_of(message)))
    found |= {html.unescape(h) for h in re.findall(r'href="([^"]+)"', message.get_body(("html",)).get_content())}
    found |= set(re.findall(r"<(https?://[^>]+)>", str(message.get("List-Unsubscribe", ""))))
    return found


def check_every_mail_link(context, site: Site) -> int:
    """Every link in every mail is a page of this server that opens (GET: confirming twice or looking at
    an unsubscribe page changes nothing)."""
    checked = 0
    for path, message in mails(site.outbox):
        for link in sorted(links_of(message)):
            assert link.startswith(site.base + "/"), f"{path.name} links outside the server: {link}"
            response = context.request.get(link)
            assert response.status == 200, f"{path.name}: {link} answered {response.status}"
            assert response.headers["content-type"].startswith("text/html"), link
            checked += 1
    return checked


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def typed(days: int, hour: int = 12) -> str:
    day = (dt.datetime.now(HELSINKI) + dt.timedelta(days=days)).date()
    return f"{day.isoformat()}T{hour:02d}:00"


def choose_language(page, site: Site, lang: str) -> None:
    page.goto(site.base + "/")
    if lang != "fi":
        page.click(f"button[name=language][value={lang}]")
    assert page.locator("html").get_attribute("lang") == lang


# --- the bidder ---------------------------------------------------------------------------------------------


def bidder_journey(browser, site: Site, lang: str, width: int) -> None:
    tag = f"bidder-{lang}-{width}"
    email = f"{tag}@example.fi"
    context = browser.new_context(
        locale="fi-FI", viewport={"width": width, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        choose_language(page, site, lang)
        assert page.locator("h1").inner_text() == words(lang, "Open calls for tenders")
        check(page, f"{tag}-home", width)

        page.fill("#id_q", "peruskorjaus")
        page.click("form.search button.primary")
        cards = page.locator(".cards .card-title a")
        expect(cards).to_have_count(1)
        check(page, f"{tag}-search", width)
        title = cards.first.inner_text()
        cards.first.click()
        assert page.locator("h1").inner_text() == title
        expect(page.locator("table.deadlines tbody tr").nth(2)).to_be_attached()
        check(page, f"{tag}-notice", width)

        with page.expect_download() as download:
            page.click("a[type='application/pdf']")
        assert download.value.suggested_filename.endswith(f"-{lang}.pdf")
        text = pdf_text(Path(download.value.path()).read_bytes())
        with translation.override(lang):
            from notices.display import KIND_LABELS

            tender = str(KIND_LABELS["tender"])
        assert title.split()[0] in text and tender in text

        page.fill("#id_email", email)
        page.click("#follow button[type=submit]")
        assert page.locator("h1").inner_text() == words(lang, "Check your e-mail")
        check(page, f"{tag}-follow-sent", width)

        confirmation = wait_for_mail(site.outbox, email, "confirm")
        body = text_of(confirmation)
        assert words(lang, "Please confirm that you want deadline reminders for this notice:") in body
        link = re.search(r"(https?://\S+/subscriptions/confirm/\S+/)", body).group(1)
        assert link.startswith(site.base + "/")
        page.goto(link)
        assert page.locator("h1").inner_text() == words(lang, "Reminders confirmed")
        check(page, f"{tag}-confirmed", width)

        page.click("a.button[href*='/subscriptions/']")
        assert page.locator("h1").inner_text() == words(lang, "Your reminders")
        expect(page.locator("table tbody tr").nth(0)).to_be_attached()
        if width <= 400:
            assert page.locator(".scroll-hint").first.is_visible()
        check(page, f"{tag}-reminders", width)
        calendar = context.request.get(page.locator("#calendar-url").input_value())
        assert calendar.ok and "X-WR-CALNAME" in calendar.text() and "BEGIN:VALARM" in calendar.text()

        unsubscribe = re.search(r"(https?://\S+/subscriptions/unsubscribe/\S+/)", body).group(1)
        page.goto(unsubscribe)
        check(page, f"{tag}-unsubscribe", width)
        page.click("form button.primary")
        assert page.locator("h1").inner_text() == words(lang, "Unsubscribed")
        check(page, f"{tag}-unsubscribed", width)
        assert check_every_mail_link(context, site) >= 3
    finally:
        context.close()


# --- the officer --------------------------------------------------------------------------------------------


def officer_journey(browser, site: Site, lang: str, width: int) -> None:
    tag = f"officer-{lang}-{width}"
    context = browser.new_context(locale="fi-FI", viewport={"width": width, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    follower = f"follower-{lang}@example.fi"
    try:
        choose_language(page, site, lang)
        page.goto(site.base + "/officer/")
        page.fill("#id_username", site.admin[0])
        page.fill("#id_password", site.admin[1])
        page.click("form.panel button[type=submit]")
        assert page.locator("h1").inner_text() == words(lang, "Your notices")
        check(page, f"{tag}-home", width)

        # A buyer that is not in the database yet, from its Y-tunnus and name.
        page.click("a[href='/officer/buyers/new/']")
        check(page, f"{tag}-add-buyer", width)
        page.fill("#id_business_id", NEW_BUYER[0])
        page.fill("#id_name", NEW_BUYER[1])
        page.click("form.panel button.primary")
        assert page.locator("h1").inner_text() == words(lang, "New notice")
        assert NEW_BUYER[1] in page.locator(".messages").inner_text()

        # A draft: the fields publishing needs are marked; texts in all three languages.
        expect(page.locator("label[for=id_title] .required")).to_have_count(1)
        title = {"fi": "Uimahallin kattoremontti", "sv": "Simhallens takrenovering", "en": "Swimming hall roof"}
        page.fill("#id_title", title["fi"])
        page.fill("#id_description", "Kattorakenteiden uusiminen.")
        page.fill("#id_title_sv", title["sv"])
        page.fill("#id_title_en", title["en"])
        page.fill("#id_cpv", "45261000")
        page.select_option("#id_deadlines-0-kind", "questions")
        page.fill("#id_deadlines-0-at", typed(6))
        page.select_option("#id_deadlines-1-kind", "tender")
        page.fill("#id_deadlines-1-at", typed(13, 14))
        page.fill("#id_contact_email", "kirjaamo@uusimaa.example")
        check(page, f"{tag}-new-notice", width)
        page.click("button[value=save]")
        assert page.locator("h1").inner_text() == words(lang, "Draft")

        # Preview: the public page and the PDF, before anything is public.
        page.click("button[value=preview]")
        assert page.locator("h1").inner_text() == title[lang]
        assert page.locator(".banner").first.is_visible()
        expect(page.locator("#follow")).to_have_count(0)
        check(page, f"{tag}-preview", width)
        preview_pdf = context.request.get(site.base + page.locator("a[type='application/pdf']").get_attribute("href"))
        assert preview_pdf.ok and title["fi"] in pdf_text(preview_pdf.body())
        assert context.request.get(site.base + "/?q=kattoremontti").text().count(title["fi"]) == 0
        page.click(".banner a")
        page.click("button[value=publish]")
        assert page.locator("h1").inner_text() == words(lang, "Correct the notice")
        check(page, f"{tag}-published", width)
        public = page.locator("a", has_text=words(lang, "Public page")).first.get_attribute("href")

        # A bidder follows it, in another browser.
        other = browser.new_context(locale="fi-FI", viewport={"width": width, "height": 900})
        bidder = other.new_page()
        choose_language(bidder, site, lang)
        bidder.goto(site.base + public)
        bidder.fill("#id_email", follower)
        bidder.click("#follow button[type=submit]")
        confirm = re.search(r"(https?://\S+/subscriptions/confirm/\S+/)", text_of(wait_for_mail(site.outbox, follower)))
        bidder.goto(confirm.group(1))
        assert bidder.locator("h1").inner_text() == words(lang, "Reminders confirmed")

        # A correction moves the tender deadline: a new version, and the follower is told.
        page.fill("#id_deadlines-1-at", typed(20, 14))
        page.click("button[value=correct]")
        expect(page.locator(".messages .message-success")).to_have_count(1)
        site.deliver()
        moved = wait_for_mail(site.outbox, follower, "moved")
        assert title[lang] in str(moved["Subject"])
        page.goto(site.base + public)
        expect(page.locator("ol.history > li")).to_have_count(2)
        check(page, f"{tag}-corrected", width)

        # Cancel with a reason: the page says why, and so does the follower's mail.
        page.goto(site.base + public.replace("/notices/", "/officer/notices/") + "cancel/")
        check(page, f"{tag}-cancel", width)
        reason = {"fi": "Hanke siirtyy ensi vuoteen.", "sv": "Projektet skjuts upp.", "en": "The project moves to next year."}
        page.click("button.danger")  # without a reason first: asked for one
        assert page.locator("#id_reason_error").is_visible()
        page.fill("#id_reason", reason[lang])
        page.click("button.danger")
        assert page.locator("h1").inner_text() == words(lang, "Your notices")
        expect(page.locator("table")).to_have_count(1)  # the published (now cancelled) notice, in a scroll box
        check(page, f"{tag}-home-after", width)
        page.goto(site.base + public)
        assert reason[lang] in page.locator(".banner-cancelled").inner_text()
        assert page.locator("table.deadlines").inner_text().count(words(lang, "cancelled")) >= 2
        check(page, f"{tag}-cancelled", width)
        site.deliver()
        cancelled = wait_for_mail(site.outbox, follower, "cancelled")
        assert reason[lang] in text_of(cancelled)
        assert "/unsubscribe/" not in text_of(cancelled)
        assert check_every_mail_link(other, site) >= 4
        other.close()
    finally:
        context.close()


def api_docs_render_offline(browser, base: str) -> None:
    """Swagger UI renders from this server alone: any request to another host is refused and reported."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def only_here(route):
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", only_here)
    page = context.new_page()
    try:
        page.goto(base + "/api/docs")
        page.locator(".swagger-ui .opblock").first.wait_for(state="visible", timeout=30_000)
        assert page.locator(".swagger-ui .opblock").count() > 20
        assert "Procurement notice tracker API" in page.locator(".swagger-ui .info .title").inner_text()
        page.screenshot(path=str(_shots() / "api-docs.png"))
        assert not outside, f"/api/docs asked for {outside}"
    finally:
        context.close()


def _shots() -> Path:
    from tests.e2e.conftest import SHOTS

    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


# --- on pytest-django's live server -------------------------------------------------------------------------


@pytest.fixture
def live_site(live_server, settings, tmp_path, db):
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from scheduler.dispatch import Dispatcher

    call_command("load_samples", stdout=io.StringIO())
    settings.SITE_URL = live_server.url
    settings.EMAIL_BACKEND = "tracker.mail.EmlBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PDF_CACHE_DIR = str(tmp_path / "pdf")
    User.objects.create_superuser("admin", "admin@localhost", PASSWORD)
    (tmp_path / "outbox").mkdir()
    return Site(live_server.url, tmp_path / "outbox", lambda: Dispatcher("e2e").run_once(), ("admin", PASSWORD))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lang, width", [("fi", 390), ("sv", 1280), ("sv", 390), ("en", 1280), ("en", 390)])
def test_a_bidder_on_the_live_server(browser, live_site, lang, width):
    bidder_journey(browser, live_site, lang, width)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lang, width", [("sv", 390), ("en", 1280)])
def test_an_officer_on_the_live_server(browser, live_site, lang, width):
    officer_journey(browser, live_site, lang, width)


@pytest.mark.django_db(transaction=True)
def test_the_api_docs_render_offline_on_the_live_server(browser, live_server):
    api_docs_render_offline(browser, live_server.url)


# --- bin/run, as the README says ------------------------------------------------------------------------


@pytest.fixture
def bin_run(tmp_path):
    """``ADDRESS=127.0.0.1:<free port> TRACKER_VAR_DIR=<tmp> bin/run``, until the test ends (SIGINT to its
    process group, as Ctrl-C would; only the processes this fixture started)."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("bin/run serves the embedded SQLite: the SQLite pass runs this test")
    port = free_port()
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SITE_URL", "EMAIL_", "PDF_"))}
    env.update(ADDRESS=f"127.0.0.1:{port}", TRACKER_VAR_DIR=str(var), PYTHONUNBUFFERED="1")
    log = open(tmp_path / "bin-run.log", "wb")
    process = subprocess.Popen(
        [str(ROOT / "bin" / "run")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        end = time.monotonic() + 240
        while True:
            assert process.poll() is None, (tmp_path / "bin-run.log").read_text()
            try:
                with urllib.request.urlopen(base + "/api/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < end, "bin/run did not serve within 240 s:\n" + (tmp_path / "bin-run.log").read_text()
            time.sleep(0.5)
        yield base, var, tmp_path / "bin-run.log"
    finally:
        try:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)
        log.close()


def test_the_readme_way_bin_run_with_address(browser, bin_run):
    base, var, log = bin_run
    output = log.read_text()
    password = (var / "admin-password").read_text().strip()
    assert f"Admin: {base}/admin/  user: admin  password: {password}" in output  # not port 8000
    assert f"Serving {base}/" in output
    site = Site(base, var / "outbox", lambda: None, ("admin", password))  # runscheduler sends the mail
    api_docs_render_offline(browser, base)
    bidder_journey(browser, site, "fi", 1280)
    officer_journey(browser, site, "fi", 1280)
    files = sorted(site.outbox.iterdir())
    assert files and all(f.suffix == ".eml" for f in files), files  # no .log files, no temporary ones
    # Two confirmations, a "deadline moved" and a cancellation, each a file of its own.
    assert len(mails(site.outbox)) == len(files) == 4
