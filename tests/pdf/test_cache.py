"""Rendered once per notice version, language and day; ETag and 304 on the site and the API."""

import dataclasses
import datetime as dt

import pytest
import time_machine

from notices import pdf
from notices.records import DeadlineRecord
from tests.pdf.conftest import BEFORE_DEADLINE, HEL, pdf_text, save, seed_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def renders(monkeypatch):
    """The languages of every real render, in order."""
    calls = []
    real = pdf.render_pdf

    def counting(notice, lang, now):
        calls.append(lang)
        return real(notice, lang, now)

    monkeypatch.setattr(pdf, "render_pdf", counting)
    return calls


def test_the_same_version_and_language_is_rendered_once(seed_notice, renders):
    first = pdf.render_summary(seed_notice, "fi", now=BEFORE_DEADLINE)
    for _ in range(1000):  # a reminder run attaching the summary to many mails
        assert pdf.render_summary(seed_notice, "fi", now=BEFORE_DEADLINE) == first
    assert renders == ["fi"]
    pdf.render_summary(seed_notice, "sv", now=BEFORE_DEADLINE)
    assert renders == ["fi", "sv"]


def test_another_process_finds_it_in_the_file_cache(seed_notice, renders, pdf_cache):
    _, _, content = pdf.render_summary(seed_notice, "fi", now=BEFORE_DEADLINE)
    pdf.clear_memory_cache()  # as a fresh process would start
    assert pdf.render_summary(seed_notice, "fi", now=BEFORE_DEADLINE)[2] == content
    assert renders == ["fi"]
    assert [p.read_bytes() for p in pdf_cache.glob("??/*.pdf")] == [content]


def test_a_new_version_is_rendered_anew(seed_notice, renders):
    before = pdf.get_summary(seed_notice, "en", now=BEFORE_DEADLINE)
    moved = dt.datetime(2016, 5, 27, 12, 0, tzinfo=HEL)
    notice = save(dataclasses.replace(seed_record(), deadlines=(DeadlineRecord("tender", moved),)), raw=b"v2")
    after = pdf.get_summary(notice, "en", now=BEFORE_DEADLINE)
    assert renders == ["en", "en"] and after.etag != before.etag
    assert "27.5.2016 12.00" in pdf_text(after.content)


def test_time_left_is_refreshed_daily_and_when_a_deadline_passes_then_kept(seed_notice, renders):
    day1 = dt.datetime(2016, 5, 12, 9, 30, tzinfo=dt.UTC)
    etags = [pdf.summary_etag(seed_notice, "fi", now=day1)]
    pdf.render_summary(seed_notice, "fi", now=day1)
    pdf.render_summary(seed_notice, "fi", now=day1 + dt.timedelta(hours=11))  # 23.30 Helsinki: same day
    assert renders == ["fi"]
    day2 = dt.datetime(2016, 5, 12, 21, 30, tzinfo=dt.UTC)  # 00.30 on 13.5 in Helsinki
    etags.append(pdf.summary_etag(seed_notice, "fi", now=day2))
    pdf.render_summary(seed_notice, "fi", now=day2)
    assert renders == ["fi", "fi"]
    passed = dt.datetime(2016, 5, 20, 13, 1, tzinfo=dt.UTC)  # a minute after the tender deadline
    pdf.render_summary(seed_notice, "fi", now=passed)
    assert "päättynyt" in pdf_text(pdf.render_summary(seed_notice, "fi", now=passed)[2])
    etags.append(pdf.summary_etag(seed_notice, "fi", now=passed))
    pdf.render_summary(seed_notice, "fi", now=passed + dt.timedelta(days=30))  # nothing left to go stale
    assert renders == ["fi", "fi", "fi"]
    assert len(set(etags)) == 3


def test_etags_differ_by_language_and_version_and_not_otherwise(seed_notice):
    fi = pdf.summary_etag(seed_notice, "fi", now=BEFORE_DEADLINE)
    assert fi == pdf.summary_etag(seed_notice, "fi", now=BEFORE_DEADLINE)
    assert fi.startswith('"') and fi.endswith('"')
    assert len({fi, pdf.summary_etag(seed_notice, "sv", now=BEFORE_DEADLINE)}) == 2


# --- HTTP -----------------------------------------------------------------------------------------

ENDPOINTS = ["/notices/{id}/summary.pdf", "/api/notices/{id}/summary.pdf"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@time_machine.travel(dt.datetime(2016, 5, 12, 9, 30, tzinfo=dt.UTC), tick=False)
def test_http_serves_the_pdf_with_an_etag_and_answers_304(client, seed_notice, renders, endpoint):
    url = endpoint.format(id=seed_notice.pk) + "?lang=sv"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'inline; filename="kymenlaakson-suomi100-markkinoinnin-toteuttaminen-{seed_notice.pk}-sv.pdf"'
    )
    assert response["Cache-Control"] == "no-cache"
    etag = response["ETag"]
    assert "Sista dag för anbud" in pdf_text(response.content)

    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert client.get(url, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200
    assert renders == ["sv"]

    other = client.get(endpoint.format(id=seed_notice.pk) + "?lang=en", HTTP_IF_NONE_MATCH=etag)
    assert other.status_code == 200 and other["ETag"] != etag


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_http_without_lang_uses_the_request_language(client, seed_notice, endpoint):
    response = client.get(endpoint.format(id=seed_notice.pk), HTTP_ACCEPT_LANGUAGE="sv-FI,sv;q=0.9")
    assert response.status_code == 200 and response["Content-Language"] == "sv"
    assert "Sista dag för anbud" in pdf_text(response.content)
    default = client.get(endpoint.format(id=seed_notice.pk))
    assert default["Content-Language"] == "fi"


def test_http_refuses_unknown_languages_and_notices(client, seed_notice):
    assert client.get(f"/notices/{seed_notice.pk}/summary.pdf?lang=de").status_code == 400
    assert client.get(f"/api/notices/{seed_notice.pk}/summary.pdf?lang=de").status_code == 422
    assert client.get(f"/notices/{seed_notice.pk + 1000}/summary.pdf").status_code == 404
    missing = client.get(f"/api/notices/{seed_notice.pk + 1000}/summary.pdf")
    assert missing.status_code == 404 and missing["Content-Type"].startswith("application/json")
    assert client.post(f"/notices/{seed_notice.pk}/summary.pdf").status_code == 405


def test_the_api_documents_the_endpoint(client):
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/notices/{notice_id}/summary.pdf"]["get"]
    assert "application/pdf" in operation["responses"]["200"]["content"]
    assert {p["name"] for p in operation["parameters"]} == {"notice_id", "lang"}
