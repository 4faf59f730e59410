"""Getting bytes: files, folders and http(s) URLs.

URLs are fetched with timeouts, retries with backoff (honouring Retry-After), a size cap, and by default
no private, loopback or link-local hosts (a notice URL must not make the tracker probe its own network);
``INGEST_ALLOW_PRIVATE_HOSTS`` lifts that for tests and closed installations. Redirects are followed by
hand so every hop is checked.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

from notices.records import IngestError

READABLE_SUFFIXES = {".xml", ".json", ".html", ".htm"}
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_REDIRECTS = 5


class FetchError(IngestError):
    """The bytes could not be had: a refused host, a timeout, an HTTP error, too large."""


@dataclass(frozen=True)
class Payload:
    data: bytes
    origin: str  # the path or URL, for messages and the version's history
    url: str | None = None  # where a web page came from (links are resolved against it)


def is_url(value: str) -> bool:
    return urlsplit(value).scheme in ("http", "https")


def expand(target: str) -> Iterator[str]:
    """A URL as is; a folder as its readable files (sorted, recursively); a file as itself."""
    if is_url(target):
        yield target
        return
    path = Path(target)
    if path.is_dir():
        for child in sorted(path.rglob("*")):
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
    except OSError as exc:
        raise FetchError(f"cannot read the file: {exc.strerror or exc}", path) from None
    if len(data) > cap:
        raise FetchError(f"the file is larger than the {cap:,} byte limit", path)
    return Payload(data, path, url)


def fetch(url: str, session: requests.Session | None = None) -> Payload:
    """GET ``url`` politely; see the module docstring. Raises FetchError naming the URL."""
    session = session or requests.Session()
    headers = {"User-Agent": settings.INGEST_USER_AGENT, "Accept": "application/xml, application/json, text/html"}
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        check_host(current)
        response = _get_with_retries(session, current, headers)
        if response.is_redirect:
            location = response.headers.get("Location", "")
            response.close()
            current = urljoin(current, location)
            continue
        if response.status_code >= 400:
            response.close()
            raise FetchError(f"the server answered HTTP {response.status_code}", current)
        return Payload(_read_capped(response, current), current, current)
    raise FetchError(f"more than {MAX_REDIRECTS} redirects", url)


def check_host(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError("only http and https URLs with a host can be fetched", url)
    if settings.INGEST_ALLOW_PRIVATE_HOSTS:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"the host {parts.hostname} cannot be resolved ({exc.strerror})", url) from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise FetchError(
                f"the host {parts.hostname} is a private, loopback or reserved address ({address}); "
                "set INGEST_ALLOW_PRIVATE_HOSTS to allow it",
                url,
            )


def _get_with_retries(session: requests.Session, url: str, headers: dict) -> requests.Response:
    attempts = max(1, settings.INGEST_RETRIES)
    for attempt in range(1, attempts + 1):
        try:
            response = session.get(
                url, headers=headers, timeout=settings.INGEST_TIMEOUT, stream=True, allow_redirects=False
            )
        except requests.RequestException as exc:
            if attempt == attempts:
                raise FetchError(f"the request failed after {attempts} attempts: {exc.__class__.__name__}", url) from None
            time.sleep(_backoff(attempt))
            continue
        if response.status_code in RETRY_STATUSES and attempt < attempts:
            delay = _retry_after(response.headers.get("Retry-After"))
            delay = _backoff(attempt) if delay is None else delay
            response.close()
            time.sleep(min(delay, 60))
            continue
        return response
    raise AssertionError("unreachable")


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
        raise FetchError(f"the response is larger than the {cap:,} byte limit", url)
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > cap:
                raise FetchError(f"the response is larger than the {cap:,} byte limit", url)
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise FetchError(f"the download failed: {exc.__class__.__name__}", url) from None
    finally:
        response.close()
    return b"".join(chunks)
