"""The demo's sample notices go through the real readers and store, always with open calls."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from notices.ingest.samples import render
from notices.models import Buyer, Notice

pytestmark = pytest.mark.django_db


def test_the_samples_load_with_open_calls_and_a_second_load_changes_nothing():
    out = StringIO()
    call_command("load_samples", stdout=out)
    assert "new: 4, updated: 0, unchanged: 0, rejected: 0" in out.getvalue()
    now = timezone.now()
    assert Notice.objects.filter(closes_at__gt=now).count() == 4
    assert set(Notice.objects.values_list("source", flat=True)) == {"eforms", "fi-web", "ocds"}
    assert Buyer.objects.filter(identifiers__scheme="FI-PRO", identifiers__valid=True).distinct().count() == 3
    call_command("load_samples", stdout=out)
    assert "new: 0, updated: 0, unchanged: 4" in out.getvalue()


def test_placeholders_are_days_from_today_with_helsinki_offsets():
    today = dt.date(2027, 3, 20)  # summer time starts on 28 March 2027
    assert render("{{D+2}} {{ISODATE-1}}", today) == "22.3.2027 2027-03-19"
    assert render("{{XD+2}} {{XO+10}}", today) == "2027-03-22+02:00 +03:00"
    assert render("{{ISO+10T16:00}}", today) == "2027-03-30T16:00:00+03:00"
