"""Reflow: on a phone-sized screen (390 px wide) nothing needs sideways scrolling but wide tables, which
scroll inside their own keyboard-focusable box."""

import io

import pytest
from django.core.management import call_command

from notices.models import Notice
from tests.e2e.conftest import look

pytestmark = pytest.mark.django_db(transaction=True)


def test_pages_fit_a_phone(page, live_server):
    call_command("load_samples", stdout=io.StringIO())
    page.set_viewport_size({"width": 390, "height": 844})
    notice = Notice.objects.get(source="eforms")
    for name, url in (("home-phone", "/"), ("notice-phone", f"/notices/{notice.pk}/"), ("login-phone", "/officer/login/")):
        page.goto(live_server.url + url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: the page is {overflow}px wider than the screen"
        look(page, name)
