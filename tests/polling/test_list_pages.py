"""A buyer's list page of linked headings: the poll follows each notice's link to its detail page on the
same site (conditionally, within POLL_FOLLOW_LINKS) and stores the detail page's notice under the link,
never the item and the page both; a page in windows-1252 that says so only in its HTTP header reads right;
an item that looks like procurement but yields no notice flags the source until the operator accepts it."""

import base64
import datetime as dt
import json
from pathlib import Path

import pytest
import time_machine

from notices.models import Notice, NoticeVersion
from notices.readers import fi_web
from tests.conftest import corpus_path
from tests.httpserver import Response
from tests.polling.conftest import UTC, make_source, poll_now

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[1] / "data" / "fi-web-lists"
NOW = dt.datetime(2026, 1, 14, 9, 0, tzinfo=UTC)


def page(name: str) -> bytes:
    return (DATA / name).read_bytes()


def serve_list(http_server, *, detail_responses=None):
    detail_responses = detail_responses or {}
    siivous = http_server.serve(
        "/hankinnat/siivouspalvelut-2026/",
        *detail_responses.get("siivous", [Response(200, page("siivous.html"), {"ETag": '"s1"'})]),
    )
    lumi = http_server.serve(
        "/hankinnat/lumityot/", *detail_responses.get("lumi", [Response(200, page("lumityot.html"), {"ETag": '"l1"'})])
    )
    lista = http_server.serve(
        "/hankinnat/", Response(200, page("lista.html"), {"ETag": '"list-1"'}), Response(304, b"", {"ETag": '"list-1"'})
    )
    return lista, siivous, lumi


@time_machine.travel(NOW, tick=False)
def test_the_detail_pages_of_a_list_are_read_and_stored_under_the_items_links(http_server, settings):
    settings.HILMA_API_KEY = ""
    lista, siivous, lumi = serve_list(http_server)
    source = make_source(lista)

    result = poll_now(source)

    assert result.status == "ok" and result.counts["new"] == 2 and result.seen == 2
    notices = {n.source_id: n for n in Notice.objects.all()}
    assert set(notices) == {siivous, lumi}  # the detail pages, under the list's links: not the list items too
    cleaning = notices[siivous]
    assert cleaning.title == "Koulujen siivouspalvelut 2026–2028"
    tender = cleaning.deadlines.get(kind="tender")
    assert tender.at == dt.datetime(2026, 2, 6, 10, 0, tzinfo=UTC)  # 12.00 in Helsinki, EET
    assert cleaning.buyers.get().identifiers.filter(value="0206714-5").exists()
    assert cleaning.contacts.filter(email="sari.laine@rantala.invalid").exists()
    assert cleaning.current_version.origin == siivous
    # The link to a notice in Hilma is not a page of this site: with no key, it is reported, not read.
    assert any("hankintailmoitukset.fi" in p and "HILMA_API_KEY" in p for p in result.problems)
    assert not any("hankintailmoitukset" in path for _, path, _ in http_server.requests)
    assert source.cursor["links"] == {
        siivous: {"etag": '"s1"', "last_modified": ""},
        lumi: {"etag": '"l1"', "last_modified": ""},
    }


@time_machine.travel(NOW, tick=False)
def test_with_a_hilma_key_a_linked_hilma_notice_is_read_from_hilmas_api_as_eforms(http_server, settings):
    xml = corpus_path("hilma-sdk", "E3_minimum.xml").read_bytes()
    notice_path = "/avp-eforms/external-read/v1/notice/654321"
    api = http_server.serve(notice_path, Response(200, json.dumps({"eForm": base64.b64encode(xml).decode()}).encode()))
    settings.HILMA_API_URL = api.removesuffix(notice_path)
    settings.HILMA_API_KEY = "test-key"
    lista, _, _ = serve_list(http_server)

    result = poll_now(make_source(lista))

    assert result.counts["new"] == 3
    eforms = Notice.objects.get(source="eforms")  # the Hilma notice, read as eForms, not the list's item
    assert eforms.current_version.origin.endswith(notice_path)
    (request,) = [r for r in http_server.log if r.path == notice_path]
    assert request.headers["Ocp-Apim-Subscription-Key"] == "test-key"


@time_machine.travel(NOW, tick=False)
def test_a_moved_deadline_on_a_detail_page_is_seen_although_the_list_is_unchanged(http_server):
    moved = page("siivous.html").replace("6.2.2026 klo 12.00".encode(), "13.2.2026 klo 12.00".encode())
    lista, siivous, _ = serve_list(
        http_server,
        detail_responses={
            "siivous": [Response(200, page("siivous.html"), {"ETag": '"s1"'}), Response(200, moved, {"ETag": '"s2"'})],
            "lumi": [Response(200, page("lumityot.html"), {"ETag": '"l1"'}), Response(304, b"", {"ETag": '"l1"'})],
        },
    )
    source = make_source(lista)
    poll_now(source)

    second = poll_now(source)

    assert second.status == "not-modified" and second.counts["updated"] == 1
    notice = Notice.objects.get(source_id=siivous)
    assert notice.deadlines.get(kind="tender").at == dt.datetime(2026, 2, 13, 10, 0, tzinfo=UTC)
    assert NoticeVersion.objects.filter(notice=notice).count() == 2
    lumi_requests = http_server.requests_to("/hankinnat/lumityot/")
    assert lumi_requests[1].headers["If-None-Match"] == '"l1"'  # conditional, each with its own validators


@time_machine.travel(NOW, tick=False)
def test_at_most_poll_follow_links_detail_pages_a_poll(http_server, settings):
    settings.POLL_FOLLOW_LINKS = 1
    lista, siivous, lumi = serve_list(http_server)
    source = make_source(lista)

    poll_now(source)

    assert [n.source_id for n in Notice.objects.all()] == [siivous]
    assert not http_server.requests_to("/hankinnat/lumityot/")


@time_machine.travel(NOW, tick=False)
def test_a_detail_page_on_another_site_is_not_followed(http_server):
    other = page("lista.html").replace(b'href="/hankinnat/lumityot/"', b'href="http://lumi.invalid/hankinnat/lumityot/"')
    http_server.serve("/hankinnat/siivouspalvelut-2026/", Response(200, page("siivous.html")))
    lista = http_server.serve("/hankinnat/", Response(200, other))

    poll_now(make_source(lista))

    assert Notice.objects.count() == 1  # the other site's link was neither fetched nor stored


@time_machine.travel(NOW, tick=False)
def test_a_charset_given_only_in_the_http_header_is_honoured(http_server):
    text = page("siivous.html").decode("utf-8").replace('<meta charset="utf-8">', "").replace("–", "-")
    data = text.encode("mac_roman")  # ä is 0x8A here, Š in windows-1252: only the header can tell
    assert "päiväkotien" not in " ".join(r.title + str(r.descriptions) for r in fi_web.read(data, "http://x.invalid/"))
    url = http_server.serve(
        "/hankinnat/siivouspalvelut-2026/", Response(200, data, {"Content-Type": "text/html; charset=macintosh"})
    )

    poll_now(make_source(url))

    notice = Notice.objects.get()
    assert notice.title == "Koulujen siivouspalvelut 2026-2028"
    assert "koulujen ja päiväkotien siivouspalveluista" in notice.descriptions["fi"]


def test_an_item_that_looks_like_procurement_but_yields_nothing_flags_the_source_until_accepted(
    http_server, admin_client
):
    teaser = """<!DOCTYPE html><html lang="fi"><head><meta charset="utf-8"><title>Uutiset</title></head><body>
    <main><h1>Uutiset</h1><article><h2>Keskuskeittiön laitteet kilpailutetaan</h2>
    <p>Kaupunki pyytää tarjouksia keskuskeittiön laitteista keväällä. Tarkemmat tiedot julkaistaan myöhemmin.</p>
    </article></main></body></html>""".encode()
    url = http_server.serve("/uutiset/", Response(200, teaser))
    source = make_source(url)

    poll_now(source)

    assert Notice.objects.count() == 0
    assert not source.healthy
    assert "looks like procurement" in source.problem and "Keskuskeittiön laitteet" in source.problem
    admin_client.post("/admin/notices/source/", {"action": "accept_yield", "_selected_action": [source.pk]})
    source.refresh_from_db()
    assert source.healthy and source.broken == ""
    poll_now(source)  # the same item again: accepted, so no new flag
    assert source.healthy and source.broken == ""
