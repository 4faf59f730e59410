"""The network under ``notices.ingest.fetch``: which URLs may be fetched, which address is connected to,
and how long one exchange may take.

* ``check_url``: URLs that parsers read differently are refused before anything is looked up: a
  backslash (``http://127.0.0.1:8000\\@example.org/`` is 127.0.0.1 to urllib3, example.org to
  ``urlsplit``), credentials (``user@``), spaces and control characters, a host two parsers disagree
  on, and host names that resolvers read as numbers (``2130706433``, ``0x7f.1``, ``127.1``).
* **The address checked is the address connected to.** ``requests`` is given connections
  (``PinnedAdapter``) that resolve the host urllib3 is about to connect to once (``resolve``, the one
  place names are looked up), refuse it when any of its addresses is private, loopback, link-local or
  reserved (unless ``INGEST_ALLOW_PRIVATE_HOSTS``), and connect to that same address. The host name stays
  what it was, so the Host header, TLS SNI and certificate verification are for the name, as without
  pinning. Every redirect hop is a new request, checked the same way. Proxies from the environment are
  not used (``trust_env`` off): a proxy would resolve the name itself.
* ``Deadline``: one total time for an exchange (connecting, TLS, headers and body together). A server
  that sends one byte a second never lets a read time out; when the deadline passes the connection's
  socket is shut down, so whatever was blocked in it returns at once.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import threading
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, LocationParseError, NewConnectionError
from urllib3.util import connection as urllib3_connection
from urllib3.util import parse_url

from notices.records import IngestError


class FetchError(IngestError):
    """The bytes could not be had: a refused host, a timeout, an HTTP error, too large. ``data`` may hold
    the first bytes of what was too large, and ``size`` its size (for the rejection)."""

    def __init__(self, detail: str, where: str | None = None, *, data: bytes = b"", size: int | None = None):
        super().__init__(detail, where)
        self.data = data
        self.size = size

    def at(self, where: str) -> FetchError:
        if self.where:
            return self
        moved = FetchError(self.detail, where, data=self.data, size=self.size)
        return moved


class RefusedURL(FetchError):
    """A URL (or the address its host has) that is never fetched."""


_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def check_url(url: str) -> None:
    """Raise ``RefusedURL`` (naming the problem) for a URL that is not plainly http(s)://host[:port]/..."""
    if "\\" in url:
        raise RefusedURL("the URL has a backslash, which URL parsers read differently; it is not fetched", url)
    authority = re.split(r"[/?#]", url.partition("://")[2], maxsplit=1)[0]
    if any(ch < " " or ch == "\x7f" for ch in url) or " " in authority or url != url.strip():
        # (A space in the path is sent percent-encoded; one in the host, or a tab, CR or LF anywhere, is
        # read differently by different parsers: urlsplit drops tabs and line breaks.)
        raise RefusedURL("the URL has spaces or control characters; it is not fetched", url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RefusedURL("only http and https URLs with a host can be fetched", url)
    if "@" in parts.netloc:
        raise RefusedURL("the URL carries credentials (user@host), which are never sent; it is not fetched", url)
    try:
        port = parts.port
        parsed = parse_url(url)
    except (ValueError, LocationParseError):
        raise RefusedURL("the URL's host or port cannot be read", url) from None
    host = parts.hostname or ""
    if not host:
        raise RefusedURL("only http and https URLs with a host can be fetched", url)
    if parts.netloc.split(":")[0].startswith("[") or ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise RefusedURL(f"the host {host!r} is not an IPv6 address", url) from None
        ascii_host = host
    else:
        try:
            ascii_host = host.encode("idna").decode("ascii").lower() if not host.isascii() else host.lower()
        except UnicodeError:
            raise RefusedURL(f"the host {host!r} is not a valid name", url) from None
        labels = ascii_host.rstrip(".").split(".")
        if not all(_LABEL.match(label) for label in labels) or len(ascii_host) > 253:
            raise RefusedURL(f"the host {host!r} is not a valid name", url)
        if labels[-1].isdigit() or labels[-1].startswith("0x"):
            # Only an IPv4 address written in full, as four decimal numbers, is an address; resolvers read
            # 2130706433, 0x7f.1, 127.1 and 0177.0.0.1 as 127.0.0.1 while a reader of the URL may not.
            try:
                canonical = str(ipaddress.IPv4Address(ascii_host))
            except ValueError:
                canonical = None
            if canonical != ascii_host:
                raise RefusedURL(f"the host {host!r} is neither a name nor an IPv4 address written in full", url)
    other = (parsed.host or "").strip("[]").lower()
    if other != ascii_host.lower() or (parsed.port or None) != (port or None):
        raise RefusedURL("the URL's host is read differently by different parsers; it is not fetched", url)


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` has, in the resolver's order: the one place a name is looked up (tests
    substitute it)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def open_socket(address: str, port: int, timeout, source_address=None, socket_options=None) -> socket.socket:
    """A TCP connection to this very address (no name is looked up here)."""
    return urllib3_connection.create_connection(
        (address, port), timeout, source_address=source_address, socket_options=socket_options
    )


def pinned_address(host: str, port: int) -> str:
    """The address to connect to for ``host``: resolved once, every address checked."""
    try:
        addresses = resolve(host, port)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedURL(f"the host {host} cannot be resolved ({getattr(exc, 'strerror', None) or exc})") from None
    if not addresses:
        raise RefusedURL(f"the host {host} has no address")
    if not settings.INGEST_ALLOW_PRIVATE_HOSTS:
        for address in addresses:
            if not is_public(address):
                raise RefusedURL(
                    f"the host {host} is a private, loopback or reserved address ({address}); "
                    "set INGEST_ALLOW_PRIVATE_HOSTS to allow it"
                )
    return addresses[0]


def is_public(address: str) -> bool:
    """Whether an address is on the public internet (an IPv4 address inside IPv6 is judged as itself)."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if ip.version == 6:
        embedded = ip.ipv4_mapped or ip.sixtofour or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None
        )
        if embedded is not None and not embedded.is_global:
            return False
    return ip.is_global and not ip.is_multicast


# --- one total deadline per exchange -----------------------------------------------------------------------

_current = threading.local()


class Deadline:
    """``with Deadline(seconds) as d:`` every socket connected or reused inside is shut down when the time
    is up (from a timer thread), so a blocked read returns; ``d.expired`` then says why it failed. The
    sockets are watched through duplicates of their descriptors, so shutting one down never touches a
    descriptor number that has meanwhile been closed and reused."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._closed = False
        self._watched: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._previous = getattr(_current, "deadline", None)
        _current.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()
        _current.deadline = self._previous
        with self._lock:
            self._closed = True
            for watched in self._watched:
                watched.close()
            self._watched.clear()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self._closed:
                return
            try:
                watched = socket.socket(fileno=os.dup(sock.fileno()))
            except OSError:
                return
            self._watched.append(watched)
            if self.expired:
                _shut(watched)

    def _expire(self) -> None:
        with self._lock:
            if self._closed:
                return
            self.expired = True
            for watched in self._watched:
                _shut(watched)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _watch(sock: socket.socket) -> None:
    deadline = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.watch(sock)


# --- connections that connect to the address they checked -------------------------------------------------


class _Pinned:
    """Mixed into urllib3's connections: ``self.host`` is the host urllib3 parsed from the URL and sends as
    Host and SNI; the socket goes to the one address ``pinned_address`` checked for it."""

    def _new_conn(self) -> socket.socket:
        address = pinned_address(self.host, self.port)
        try:
            sock = open_socket(address, self.port, self.timeout, self.source_address, self.socket_options)
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"Connection to {self.host} ({address}) timed out") from exc
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection to {address}: {exc}") from exc
        _watch(sock)
        return sock

    def request(self, *args, **kwargs):
        if self.sock is not None:  # a kept-alive connection, used again: under this exchange's deadline too
            _watch(self.sock)
        return super().request(*args, **kwargs)


class PinnedHTTPConnection(_Pinned, HTTPConnection):
    pass


class PinnedHTTPSConnection(_Pinned, HTTPSConnection):
    pass


class PinnedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = PinnedHTTPConnection


class PinnedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = PinnedHTTPSConnection


class PinnedAdapter(HTTPAdapter):
    """requests' adapter with pinned connections (certificate verification as requests does it)."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": PinnedHTTPConnectionPool,
            "https": PinnedHTTPSConnectionPool,
        }

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        raise RefusedURL("fetching through a proxy is not supported: the proxy would resolve the host itself")


def prepare(session: requests.Session | None = None) -> requests.Session:
    """``session`` (or a new one) with pinned connections and without the environment's proxies and
    .netrc credentials."""
    session = session or requests.Session()
    if not isinstance(session.get_adapter("https://"), PinnedAdapter):
        session.mount("http://", PinnedAdapter())
        session.mount("https://", PinnedAdapter())
    session.trust_env = False
    return session
