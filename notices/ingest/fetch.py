"""Getting bytes: files, folders and http(s) URLs.

URLs are fetched with one total deadline per exchange (``INGEST_TIMEOUT``: connecting, headers and body
together), retries with backoff (honouring Retry-After), a size cap, and by default no private, loopback
or link-local hosts (a notice URL must not make the tracker probe its own network);
``INGEST_ALLOW_PRIVATE_HOSTS`` lifts that for tests and closed installations. The address checked is the
address connected to, and URLs that parsers read differently are refused (``notices.ingest.net``).
Redirects are followed by hand so every hop is checked.

``request()`` is the one HTTP exchange under ``fetch()`` and the scheduled sources (notices/polling/):
it also makes conditional requests (ETag / Last-Modified, 304), POSTs JSON (TED's and Hilma's search
endpoints), sends at most one request at a time per host (per process), and turns a long Retry-After
into ``ServerAskedToWait`` instead of sleeping through it.
"""

from __future__ import annotations

import email.message
import json
import os
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

from notices.ingest import net
from notices.ingest.net import FetchError

READABLE_SUFFIXES = {".xml", ".json", ".html", ".htm"}
RETRY_STATUSES = {429, 500, 502, 503, 504}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 5
# What ``fetch()`` accepts: a notice URL may be an eForms XML, an OCDS JSON or a buyer's web page. Callers
# that know what they fetch (an API's JSON endpoint, a notice's XML) say so with ``accept``.
ACCEPT_ANY_NOTICE = "application/xml, application/json, text/html"
# What a rejection keeps of a payload over the size cap: its first bytes (and its size).
KEPT_OF_TOO_LARGE = 64 * 1024


@dataclass(frozen=True)
class Payload:
    data: bytes
    origin: str  # the path or URL, for messages and the version's history
    url: str | None = None  # where a web page came from (links are resolved against it)
    charset: str | None = None  # the HTTP response's charset, for a page that declares none


def is_url(value: str) -> bool:
    return urlsplit(value).scheme in ("http", "https")


def expand(target: str) -> Iterator[str]:
    """A URL as is; a folder as its readable files (sorted, recursively); a file as itself."""
    if is_url(target):
        yield target
        return
    path = Path(target)
    if path.is_dir():
        for child in sorted(path.rglob("*"), key=lambda p: p.parts):  # Path's own order, faster
            if child.is_file() and child.suffix.lower() in READABLE_SUFFIXES:
                yield str(child)
    else:
        yield target


def load(target: str, url: str | None = None) -> Payload:
    return fetch(target) if is_url(target) else read_file(target, url)


def read_file(path: str, url: str | None = None) -> Payload:
    cap = settings.INGEST_MAX_BYTES
    try:
        with open(path, "rb") as handle:
            data = handle.read(cap + 1)
            size = os.fstat(handle.fileno()).st_size if len(data) > cap else len(data)
    except OSError as exc:
        raise FetchError(f"cannot read the file: {exc.strerror or exc}", path) from None
    if len(data) > cap:
        raise FetchError(
            f"the file is larger than the {cap:,} byte limit ({size:,} bytes)",
            path,
            data=data[:KEPT_OF_TOO_LARGE],
            size=max(size, len(data)),
        )
    return Payload(data, path, url)


def fetch(url: str, session: requests.Session | None = None) -> Payload:
    """GET ``url`` politely; see the module docstring. Raises FetchError naming the URL."""
    fetched = request(url, session=session)
    return Payload(fetched.data, fetched.url, fetched.url, fetched.charset)


@dataclass(frozen=True)
class Fetched:
    """What one ``request()`` got: the final URL (after redirects), the status (200-299, or 304 for a
    conditional request whose copy is still current), the body and the response headers."""

    url: str
    status: int
    data: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def charset(self) -> str | None:
        """The charset the ``Content-Type`` header names, or None (never a guess)."""
        message = email.message.Message()
        message["Content-Type"] = self.headers.get("Content-Type", "")
        return message.get_content_charset()

    @property
    def etag(self) -> str:
        return self.headers.get("ETag", "")

    @property
    def last_modified(self) -> str:
        return self.headers.get("Last-Modified", "")

    def json(self):
        try:
            return json.loads(self.data)
        except ValueError as exc:
            raise FetchError(f"the response is not JSON: {exc}", self.url) from None


class HTTPStatusError(FetchError):
    """The server answered with an error status (after the retries)."""

    def __init__(self, detail: str, where: str | None, status: int):
        super().__init__(detail, where)
        self.status = status


class ServerAskedToWait(HTTPStatusError):
    """429 (or 503 with Retry-After): the server asks us to come back later; ``retry_after`` is how many
    seconds it asked for (None when it did not say)."""

    def __init__(self, detail: str, where: str | None, status: int, retry_after: float | None):
        super().__init__(detail, where, status)
        self.retry_after = retry_after


def request(
    url: str,
    *,
    method: str = "GET",
    json_body=None,
    headers: Mapping[str, str] | None = None,
    etag: str = "",
    last_modified: str = "",
    session: requests.Session | None = None,
    user_agent: str | None = None,
    max_wait: float = 60.0,
    accept: str = ACCEPT_ANY_NOTICE,
) -> Fetched:
    """One polite HTTP exchange; what ``fetch()`` and the scheduled sources (notices.polling) use.

    * ``etag`` / ``last_modified``: a conditional request (If-None-Match / If-Modified-Since); a 304
      comes back as ``Fetched(status=304)`` with no body.
    * ``json_body``: sent as JSON (POST for TED's and Hilma's search endpoints).
    * ``accept``: the Accept header; the caller says what it expects (``application/json`` from a JSON API,
      ``application/xml`` for a notice's XML). By default any kind of notice.
    * Every hop is checked (the URL's form, then the address connected to: no private hosts), redirects
      are followed by hand, the body is capped, and each exchange has one deadline (``INGEST_TIMEOUT``).
    * At most one request at a time per host in this process (``host_lock``); between retries the lock
      is released.
    * Retries with backoff on 429/5xx and network errors; a Retry-After up to ``max_wait`` seconds is
      waited for, a longer one ends the exchange at once with ``ServerAskedToWait`` (and later requests to
      that host in this process wait or fail the same way until the time has passed).
    """
    session = net.prepare(session)
    sent = {
        "User-Agent": user_agent or settings.INGEST_USER_AGENT,
        "Accept": accept,
    }
    sent.update(headers or {})
    if etag:
        sent["If-None-Match"] = etag
    if last_modified:
        sent["If-Modified-Since"] = last_modified
    body = None
    if json_body is not None:
        body = json.dumps(json_body).encode()
        sent["Content-Type"] = "application/json"
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        check_url(current)
        status, answer, data = _send(session, method, current, sent, body, max_wait)
        location = answer.get("Location")
        if status in REDIRECT_STATUSES and location:
            current = urljoin(current, location)
            if status == 303 or (status in (301, 302) and method == "POST"):
                method, body = "GET", None
                sent.pop("Content-Type", None)
            continue
        if status == 304:
            return Fetched(current, status, b"", answer)
        if status >= 400:
            retry_after = _retry_after(answer.get("Retry-After"))
            if status == 429 or (status == 503 and retry_after):
                raise ServerAskedToWait(_status_text(status, retry_after), current, status, retry_after)
            raise HTTPStatusError(f"the server answered HTTP {status}", current, status)
        return Fetched(current, status, data, answer)
    raise FetchError(f"more than {MAX_REDIRECTS} redirects", url)


# One request at a time per host (in this process), and the time before which a host asked us (429 +
# Retry-After) not to come back. Keys: the host name for the lock, scheme://host:port for the wait.
_host_locks: dict[str, threading.Lock] = {}
_host_locks_guard = threading.Lock()
_host_wait_until: dict[str, float] = {}


def host_lock(url: str) -> threading.Lock:
    host = (urlsplit(url).hostname or "").lower()
    with _host_locks_guard:
        return _host_locks.setdefault(host, threading.Lock())


def forget_host_waits() -> None:
    """Forget every Retry-After a host asked for (tests; a restarted process forgets them too)."""
    _host_wait_until.clear()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{parts.port or ''}"


def _status_text(status: int, retry_after: float | None) -> str:
    if retry_after:
        return f"the server answered HTTP {status} and asked to wait {retry_after:.0f} s (Retry-After)"
    return f"the server answered HTTP {status}"


def _send(session, method, url, headers, body, max_wait) -> tuple[int, Mapping[str, str], bytes]:
    """Send with retries; returns (status, headers, body). The body is read only for a final 2xx. Each
    attempt has one deadline, ``INGEST_TIMEOUT`` seconds for connecting, headers and body together."""
    attempts = max(1, settings.INGEST_RETRIES)
    timeout = settings.INGEST_TIMEOUT
    origin = _origin(url)
    for attempt in range(1, attempts + 1):
        waited = _host_wait_until.get(origin, 0.0) - time.monotonic()
        if waited > max_wait:
            raise ServerAskedToWait(
                f"the server asked us not to come back for another {waited:.0f} s (Retry-After)",
                url,
                429,
                waited,
            )
        if waited > 0:
            time.sleep(waited)
        failure, response = None, None
        with host_lock(url), net.Deadline(timeout) as deadline:
            try:
                response = session.request(
                    method,
                    url,
                    headers=headers,
                    data=body,
                    timeout=timeout,
                    stream=True,
                    allow_redirects=False,
                )
                status = response.status_code
                if not (status in RETRY_STATUSES and attempt < attempts):
                    if 200 <= status < 300:
                        data = _read_capped(response, url)
                        if deadline.expired:  # cut short by the deadline: not the whole body
                            raise _too_slow(timeout, url)
                        return status, response.headers, data
                    response.close()
                    return status, response.headers, b""
                response.close()
            except requests.RequestException as exc:
                failure = _too_slow(timeout, url) if deadline.expired else exc
            except FetchError as exc:
                if deadline.expired:
                    raise _too_slow(timeout, url) from None
                raise exc.at(url) from None
        if failure is not None:
            if attempt == attempts:
                if isinstance(failure, FetchError):
                    raise FetchError(f"{failure.detail} ({attempts} attempts)", url)
                raise FetchError(
                    f"the request failed after {attempts} attempts: {failure.__class__.__name__}", url
                ) from None
            time.sleep(_backoff(attempt))
            continue
        delay = _retry_after(response.headers.get("Retry-After"))
        if delay is not None and delay > max_wait:
            _host_wait_until[origin] = time.monotonic() + delay
            raise ServerAskedToWait(_status_text(response.status_code, delay), url, response.status_code, delay)
        time.sleep(min(_backoff(attempt) if delay is None else delay, max_wait))
    raise AssertionError("unreachable")


def _too_slow(timeout: int, url: str) -> FetchError:
    return FetchError(
        f"the server did not answer in full within {timeout} s (INGEST_TIMEOUT: connecting, headers and "
        "body together)",
        url,
    )


def check_url(url: str) -> None:
    """Refuse a URL that is not plainly http(s)://host[:port]/... (see ``notices.ingest.net``). Whether
    its host may be fetched (no private addresses) is decided where it is connected to."""
    net.check_url(url)


def _backoff(attempt: int) -> float:
    return 0.5 * 2 ** (attempt - 1)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _read_capped(response: requests.Response, url: str) -> bytes:
    cap = settings.INGEST_MAX_BYTES
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > cap:
        response.close()
        raise FetchError(
            f"the response is larger than the {cap:,} byte limit ({int(declared):,} bytes declared)",
            url,
            size=min(int(declared), 2**63),
        )
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            chunks.append(chunk)
            if size > cap:
                first = b"".join(chunks)[:KEPT_OF_TOO_LARGE]
                raise FetchError(
                    f"the response is larger than the {cap:,} byte limit", url, data=first, size=size
                )
    except requests.RequestException as exc:
        raise FetchError(f"the download failed: {exc.__class__.__name__}", url) from None
    finally:
        response.close()
    return b"".join(chunks)
