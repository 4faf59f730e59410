"""Fetching as an attacker would try it (issue 12, items 1 and 7), on this machine only.

A small test network: the project's resolver (``notices.ingest.net.resolve``) is substituted so that
names under ``.invalid`` resolve to what a test says, among them ``PUBLIC``, a global address the
private-host check accepts; the project's socket opener (``net.open_socket``) is wrapped so that
``PUBLIC`` reaches a server on 127.0.0.1 and any other address that is not loopback is refused without
a packet being sent. So the check sees a public address while nothing can leave the machine.
"""

from __future__ import annotations

import datetime as dt
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
import requests
from django.core.management import call_command
from django.test import override_settings

from notices.ingest import net
from notices.ingest.fetch import FetchError, fetch, forget_host_waits
from notices.models import Rejection, Source
from tests.conftest import corpus_path
from tests.httpserver import LoopbackServer, Response

PUBLIC = "8.8.8.8"  # global, so the check lets it through; the test network routes it to 127.0.0.1


class Network:
    """What the substituted resolver answers, and every address the client tried to connect to."""

    def __init__(self):
        self.names: dict[str, list[list[str]]] = {}  # name -> answers, one per look-up (the last repeats)
        self.looked_up: list[str] = []
        self.connected: list[tuple[str, int]] = []

    def resolve(self, host, port):
        self.looked_up.append(host)
        if host in self.names:
            answers = self.names[host]
            return answers.pop(0) if len(answers) > 1 else answers[0]
        if host.endswith(".invalid"):
            raise net.socket.gaierror(-2, "Name or service not known")
        return [host]  # an address literal

    def open_socket(self, address, port, timeout, source_address=None, socket_options=None):
        self.connected.append((address, port))
        if address == PUBLIC:
            address = "127.0.0.1"
        elif not address.startswith("127."):
            raise ConnectionRefusedError(f"the test network reaches only 127.0.0.1, not {address}")
        return ORIGINAL_OPEN(address, port, timeout, source_address, socket_options)


ORIGINAL_OPEN = net.open_socket


@pytest.fixture
def network(monkeypatch):
    network = Network()
    monkeypatch.setattr(net, "resolve", network.resolve)
    monkeypatch.setattr(net, "open_socket", network.open_socket)
    forget_host_waits()
    with override_settings(INGEST_ALLOW_PRIVATE_HOSTS=False, INGEST_RETRIES=1):
        yield network


@pytest.fixture
def internal():
    """A server that must never be reached: what a tracker's own network would hold."""
    with LoopbackServer() as server:
        server.serve("/internal.xml", Response(200, b"<secret>internal</secret>"))
        yield server


def port_of(server) -> int:
    return server.httpd.server_address[1]


def ingest(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("ingest", *args, stdout=out, stderr=err)
        return 0, out.getvalue(), err.getvalue()
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()


# --- 1. the backslash bypass and its class -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_backslash_bypass_is_refused_and_nothing_internal_is_fetched_or_kept(network, internal):
    network.names["public.invalid"] = [[PUBLIC]]
    url = f"http://127.0.0.1:{port_of(internal)}\\@public.invalid/../internal.xml"
    code, out, err = ingest(url)
    assert code == 1 and "backslash" in err
    assert internal.requests == [] and network.connected == [] and network.looked_up == []
    rejection = Rejection.objects.get()
    assert "backslash" in rejection.reason and bytes(rejection.raw) == b"" and b"secret" not in bytes(rejection.raw)


@pytest.mark.parametrize(
    "url, words",
    [
        ("http://user:secret@public.invalid:{port}/internal.xml", "credentials"),
        ("http://public.invalid:{port}@127.0.0.1:{port}/internal.xml", "credentials"),
        ("http://127.0.0.1:{port}\\\\public.invalid/internal.xml", "backslash"),
        ("http://2130706433:{port}/internal.xml", "written in full"),
        ("http://0x7f.1:{port}/internal.xml", "written in full"),
        ("http://127.1:{port}/internal.xml", "written in full"),
        ("http://0177.0.0.1:{port}/internal.xml", "written in full"),
        ("http://public.invalid%2F@127.0.0.1:{port}/internal.xml", "credentials"),
        ("http://pub lic.invalid:{port}/internal.xml", "spaces or control characters"),
        ("http://public.invalid:{port}\t/internal.xml", "spaces or control characters"),
        ("http://[::ffff:127.0.0.1]:{port}/internal.xml", "private, loopback or reserved"),
        ("http://[fe80::1%25lo]:{port}/internal.xml", "read differently"),
    ],
)
def test_urls_that_parsers_read_differently_are_refused_with_a_clear_message(network, internal, url, words):
    network.names["public.invalid"] = [[PUBLIC]]
    with pytest.raises(FetchError, match=words):
        fetch(url.format(port=port_of(internal)))
    assert internal.requests == []


def test_even_with_private_hosts_allowed_an_ambiguous_url_is_refused(network, internal):
    with override_settings(INGEST_ALLOW_PRIVATE_HOSTS=True):
        with pytest.raises(FetchError, match="backslash"):
            fetch(f"http://127.0.0.1:{port_of(internal)}\\@public.invalid/internal.xml")
        assert fetch(f"http://127.0.0.1:{port_of(internal)}/internal.xml").data == b"<secret>internal</secret>"
    assert len(internal.requests) == 1


def test_a_redirect_of_the_backslash_form_or_to_a_private_host_is_refused(network, internal):
    with LoopbackServer() as public:
        network.names["public.invalid"] = [[PUBLIC]]
        sneaky = f"http://127.0.0.1:{port_of(internal)}\\@public.invalid/../internal.xml"
        public.serve("/a", Response(302, b"", {"Location": sneaky}))
        public.serve("/b", Response(302, b"", {"Location": f"http://127.0.0.1:{port_of(internal)}/internal.xml"}))
        public.serve("/c", Response(302, b"", {"Location": f"http://[::1]:{port_of(internal)}/internal.xml"}))
        base = f"http://public.invalid:{port_of(public)}"
        with pytest.raises(FetchError, match="backslash"):
            fetch(base + "/a")
        with pytest.raises(FetchError, match=r"private, loopback or reserved address \(127\.0\.0\.1\)"):
            fetch(base + "/b")
        with pytest.raises(FetchError, match=r"private, loopback or reserved address \(::1\)"):
            fetch(base + "/c")
        assert public.hits("/a") == public.hits("/b") == public.hits("/c") == 1
    assert internal.requests == []


def test_the_address_checked_is_the_address_connected_to_and_the_name_is_kept(network):
    """Resolved once per connection: a name that answers a public address to the check and then the
    loopback address (DNS rebinding) is connected to at the address that was checked."""
    with LoopbackServer() as public:
        url = public.serve("/notice.xml", Response(200, b"<notice/>")).replace("127.0.0.1", "rebind.invalid")
        network.names["rebind.invalid"] = [[PUBLIC], ["127.0.0.1"]]
        assert fetch(url).data == b"<notice/>"
        assert network.looked_up == ["rebind.invalid"]
        assert network.connected == [(PUBLIC, port_of(public))]
        (request,) = public.requests_to("/notice.xml")
        assert request.headers["Host"] == f"rebind.invalid:{port_of(public)}"  # the name, not the address


def test_a_name_with_any_private_address_is_refused_before_connecting(network, internal):
    network.names["mixed.invalid"] = [[PUBLIC, "10.1.2.3"]]
    with pytest.raises(FetchError, match=r"private, loopback or reserved address \(10\.1\.2\.3\)"):
        fetch(f"http://mixed.invalid:{port_of(internal)}/internal.xml")
    assert network.connected == [] and internal.requests == []


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [Source.Kind.FI_WEB, Source.Kind.OCDS])
def test_polling_a_page_or_feed_with_the_backslash_form_is_refused_and_releases_its_source(network, internal, kind):
    from notices import polling

    url = f"http://127.0.0.1:{port_of(internal)}\\@public.invalid/../internal.xml"
    source = Source.objects.create(name=f"hostile {kind}", kind=kind, url=url, interval=3600)
    claimed = polling.claim(source.pk, "test", due_only=False)
    result = polling.poll(claimed, "test")
    source.refresh_from_db()
    assert result.status == "error" and "backslash" in source.last_error
    assert source.lease_until is None and source.leased_by == ""
    assert internal.requests == []


# --- 7. one total deadline per exchange --------------------------------------------------------------------


@pytest.mark.parametrize(
    "response",
    [
        Response(200, b"<notice>" + b"x" * 40 + b"</notice>", drip=0.1),
        Response(200, b"<notice>" + b"x" * 40 + b"</notice>", drip=0.1, declare_length=False),
        Response(200, b"<notice/>", drip=0.1, drip_head=True),
    ],
    ids=["body", "body-without-length", "headers"],
)
def test_a_server_that_sends_a_byte_at_a_time_is_cut_off_at_the_deadline(network, response):
    """Each byte comes well within the per-read timeout; the whole answer would take 4-5 s. A deadline of
    1 s for the whole exchange ends it; without one the fetch would succeed (slowly)."""
    with LoopbackServer() as slow, override_settings(INGEST_TIMEOUT=1, INGEST_ALLOW_PRIVATE_HOSTS=True):
        url = slow.serve("/slow.xml", response)
        with pytest.raises(FetchError, match=r"did not answer in full within 1 s"):
            fetch(url)


@pytest.mark.django_db
def test_a_poll_of_a_slow_server_ends_with_its_error_and_releases_its_source(network):
    from notices import polling

    with LoopbackServer() as slow, override_settings(INGEST_TIMEOUT=1, INGEST_ALLOW_PRIVATE_HOSTS=True):
        url = slow.serve("/page.html", Response(200, b"<html>" + b" " * 60 + b"</html>", drip=0.1))
        source = Source.objects.create(name="slow", kind=Source.Kind.FI_WEB, url=url, interval=3600)
        claimed = polling.claim(source.pk, "test", due_only=False)
        result = polling.poll(claimed, "test")
    source.refresh_from_db()
    assert result.status == "error" and "INGEST_TIMEOUT" in source.last_error
    assert source.lease_until is None and source.leased_by == ""
    assert source.next_poll_at > dt.datetime.now(dt.UTC)


@pytest.mark.django_db
def test_a_poll_interrupted_by_the_operator_releases_its_source(network):
    """Ctrl-C in ``manage.py poll`` (or any exception that is not the source's fault) still releases it."""
    from notices import polling
    from notices.polling import runs

    source = Source.objects.create(name="interrupted", kind=Source.Kind.FI_WEB, url="http://public.invalid/", interval=60)

    def interrupted(run):
        raise KeyboardInterrupt

    claimed = polling.claim(source.pk, "test", due_only=False)
    original = runs.HANDLERS[Source.Kind.FI_WEB]
    runs.HANDLERS[Source.Kind.FI_WEB] = interrupted
    try:
        with pytest.raises(KeyboardInterrupt):
            polling.poll(claimed, "test")
    finally:
        runs.HANDLERS[Source.Kind.FI_WEB] = original
    source.refresh_from_db()
    assert source.lease_until is None and "interrupted" in source.last_error


# --- TLS: SNI and certificate verification are for the name, not the pinned address ------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A throwaway CA and a certificate for tls.invalid only (no IP address in it)."""
    d = tmp_path_factory.mktemp("tls")

    def run(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=tracker test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=tls.invalid")
    (d / "ext.cnf").write_text("subjectAltName=DNS:tls.invalid\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return d


@pytest.fixture
def tls_server(certificates):
    seen = {"sni": [], "host": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen["host"].append(self.headers["Host"])
            body = b"<notice>over tls</notice>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates / "server.pem", certificates / "server.key")
    context.sni_callback = lambda sock, name, ctx: seen["sni"].append(name)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], seen, certificates / "ca.pem"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_tls_is_verified_for_the_host_name_while_connecting_to_the_pinned_address(network, tls_server):
    port, seen, ca = tls_server
    network.names["tls.invalid"] = [["127.0.0.1"]]
    network.names["other.invalid"] = [["127.0.0.1"]]
    session = requests.Session()
    session.verify = str(ca)
    with override_settings(INGEST_ALLOW_PRIVATE_HOSTS=True):
        assert fetch(f"https://tls.invalid:{port}/n.xml", session=session).data == b"<notice>over tls</notice>"
        assert seen["sni"] == ["tls.invalid"] and seen["host"] == [f"tls.invalid:{port}"]
        assert network.connected == [("127.0.0.1", port)]
        # The certificate names tls.invalid only: the same address under another name fails verification.
        with pytest.raises(FetchError, match="request failed"):
            fetch(f"https://other.invalid:{port}/n.xml", session=session)
    assert seen["host"] == [f"tls.invalid:{port}"]


# --- a file over the size cap ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_file_over_the_size_cap_is_kept_with_its_first_bytes_and_its_size(tmp_path):
    data = corpus_path("eforms-sdk-1.15.1", "cn_24_open.xml").read_bytes()
    path = tmp_path / "big.xml"
    path.write_bytes(data * 3)
    with override_settings(INGEST_MAX_BYTES=len(data)):
        code, out, err = ingest(str(path))
    assert code == 1 and "larger than" in err
    rejection = Rejection.objects.get()
    assert rejection.size == 3 * len(data)
    assert bytes(rejection.raw) == (data * 3)[: len(bytes(rejection.raw))] and len(bytes(rejection.raw)) > 1000


@pytest.mark.django_db
def test_a_response_over_the_size_cap_is_kept_with_its_first_bytes_and_its_size(network):
    body = b"<x>" + b"y" * 5000 + b"</x>"
    with LoopbackServer() as server, override_settings(INGEST_MAX_BYTES=1000, INGEST_ALLOW_PRIVATE_HOSTS=True):
        url = server.serve("/big.xml", Response(200, body, declare_length=False))
        code, out, err = ingest(url)
        assert code == 1
        declared = server.serve("/declared.xml", Response(200, body))
        code, out, err = ingest(declared)
        assert code == 1
    streamed, announced = Rejection.objects.order_by("pk")
    assert bytes(streamed.raw) == body[: len(bytes(streamed.raw))] and len(bytes(streamed.raw)) > 1000
    assert streamed.size > 1000
    assert announced.size == len(body) and bytes(announced.raw) == b""  # never read: only its declared size
