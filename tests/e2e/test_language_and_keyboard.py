"""The language switch (fi → sv → en) and keyboard use: skip link, visible focus, forms without a mouse."""

import io

import pytest
from django.core.management import call_command

from notices.models import Notice
from tests.e2e.conftest import expect, look, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_language_switch_changes_every_label(page, live_server):
    call_command("load_samples", stdout=io.StringIO())
    notice = Notice.objects.get(source="eforms")
    page.goto(f"{live_server.url}/notices/{notice.pk}/")
    assert page.locator("html").get_attribute("lang") == "fi"
    assert page.locator("#deadlines-heading").inner_text() == "Määräajat"

    page.click("button[name=language][value=sv]")
    assert page.url == f"{live_server.url}/notices/{notice.pk}/"  # back on the same page
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.locator("#deadlines-heading").inner_text() == "Tidsfrister"
    assert page.locator("#follow-heading").inner_text() == "Påminn mig om tidsfristerna"
    look(page, "notice-sv")

    page.click("button[name=language][value=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#deadlines-heading").inner_text() == "Deadlines"
    expect(page.locator("th", has_text="Finnish time")).to_have_count(1)
    look(page, "notice-en")

    page.goto(live_server.url + "/")  # the choice is kept
    assert page.locator("h1").inner_text() == "Open calls for tenders"
    look(page, "home-en")
    page.click("button[name=language][value=sv]")
    assert page.locator("h1").inner_text() == "Öppna anbudsförfaranden"
    look(page, "home-sv")


def test_keyboard_skip_link_focus_and_search(page, live_server):
    call_command("load_samples", stdout=io.StringIO())
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    box = skip.bounding_box()
    assert box and box["y"] >= 0, "the skip link must come into view when focused"
    screenshot(page, "home-skip-link")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # Tab to the search field and search with the keyboard only; focus is visible on each stop.
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id_q":
            break
    assert page.evaluate("document.activeElement.id") == "id_q"
    ring = page.evaluate("getComputedStyle(document.activeElement).boxShadow + ' ' + getComputedStyle(document.activeElement).outlineStyle")
    assert "none none" not in ring and "solid" in ring
    page.keyboard.type("koulujen")  # its stem "koulu" is found as a word and inside "alakoulun"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "q=koulujen" in page.url
    expect(page.locator(".cards .card-title")).to_have_count(2)
