"""Fetching over HTTP against a real server on 127.0.0.1: private hosts refused by default, retries,
Retry-After, size cap, redirects checked hop by hop."""

import pytest
from django.test import override_settings

from notices.ingest.fetch import FetchError, expand, fetch, read_file
from tests.httpserver import Response


def test_it_refuses_loopback_hosts_unless_allowed(http_server):
    url = http_server.serve("/page.html", Response(200, b"<html></html>"))
    with pytest.raises(FetchError, match="private, loopback or reserved address"):
        fetch(url)
    assert http_server.requests == []
    with override_settings(INGEST_ALLOW_PRIVATE_HOSTS=True):
        assert fetch(url).data == b"<html></html>"


def test_it_refuses_other_schemes():
    with pytest.raises(FetchError, match="only http and https"):
        fetch("file:///etc/passwd")


@override_settings(INGEST_ALLOW_PRIVATE_HOSTS=True, INGEST_RETRIES=3)
def test_it_retries_a_server_error_and_honours_retry_after(http_server):
    url = http_server.serve(
        "/n.xml",
        Response(503, b"busy", {"Retry-After": "0"}),
        Response(429, b"slow down", {"Retry-After": "0"}),
        Response(200, b"<ok/>"),
    )
    assert fetch(url).data == b"<ok/>"
    assert http_server.hits("/n.xml") == 3


@override_settings(INGEST_ALLOW_PRIVATE_HOSTS=True, INGEST_RETRIES=2)
def test_it_gives_up_with_the_status_after_its_retries(http_server):
    url = http_server.serve("/n.xml", Response(500, b"", {"Retry-After": "0"}))
    with pytest.raises(FetchError, match="HTTP 500"):
        fetch(url)
    assert http_server.hits("/n.xml") == 2


@override_settings(INGEST_ALLOW_PRIVATE_HOSTS=True, INGEST_MAX_BYTES=1000)
def test_it_caps_the_size(http_server):
    url = http_server.serve("/big.xml", Response(200, b"x" * 5000))
    with pytest.raises(FetchError, match="larger than the 1,000 byte limit"):
        fetch(url)


@override_settings(INGEST_ALLOW_PRIVATE_HOSTS=True, INGEST_MAX_BYTES=1000)
def test_it_caps_a_response_that_does_not_declare_its_length(http_server):
    url = http_server.serve("/stream.xml", Response(200, b"x" * 5000, declare_length=False))
    with pytest.raises(FetchError, match="larger than the 1,000 byte limit"):
        fetch(url)


@override_settings(INGEST_ALLOW_PRIVATE_HOSTS=True)
def test_it_follows_redirects_and_names_the_final_url(http_server):
    http_server.serve("/old", Response(301, b"", {"Location": "/new"}))
    target = http_server.serve("/new", Response(200, b"<new/>"))
    payload = fetch(http_server.base + "/old")
    assert (payload.data, payload.origin) == (b"<new/>", target)


def test_a_redirect_to_a_private_host_is_refused(http_server):
    # The first hop is checked too; with private hosts refused nothing is requested at all.
    http_server.serve("/old", Response(302, b"", {"Location": "http://10.0.0.1/x"}))
    with pytest.raises(FetchError, match="private"):
        fetch(http_server.base + "/old")


def test_files_and_folders(tmp_path):
    (tmp_path / "a.xml").write_bytes(b"<a/>")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.json").write_bytes(b"{}")
    (tmp_path / "notes.txt").write_text("ignored")
    assert [p.rsplit("/", 1)[1] for p in expand(str(tmp_path))] == ["a.xml", "b.json"]
    with pytest.raises(FetchError, match="cannot read the file"):
        read_file(str(tmp_path / "missing.xml"))
