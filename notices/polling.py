"""Scheduled sources: TED, Hilma, buyers' web pages, OCDS feeds and local folders, polled politely.

The ``Source`` rows are the truth; APScheduler (``manage.py runscheduler``, via ``register``) is only the
clock that calls ``tick()``, and ``manage.py poll`` calls the same code by hand.

**Claiming.** A due source (enabled, ``next_poll_at`` passed, no live lease) is claimed with one
conditional UPDATE that sets ``lease_until``/``leased_by``; its row count says who won, so any number of
schedulers (hosts, processes) can run and a source is never polled twice at once. A crashed poller's
lease simply runs out (``POLL_LEASE`` seconds) and the source is claimed again.

**Fetching.** Everything goes through ``notices.sources.request``: a User-Agent (``POLL_USER_AGENT``),
timeouts, retries with backoff honouring 429 and Retry-After, a size cap, no private hosts, and at most
one request at a time per host. A Retry-After longer than ``POLL_MAX_RETRY_WAIT`` ends the poll at once
and pushes ``next_poll_at`` past it. Pages and feeds are fetched conditionally (ETag / Last-Modified),
so an unchanged page costs a 304 and nothing is read or written.

**Ingesting.** Every payload goes through ``notices.ingest.ingest`` - the readers and the one writer
``manage.py ingest`` uses - so a new or changed notice re-plans its followers' reminders in the store's
transaction, and unreadable input is kept as a ``Rejection``.

**Resuming.** State is written after each poll, and TED/Hilma also after each result page: the validators
(ETag, Last-Modified), the watermark (newest publication date seen) and the cursor (the notices already
fetched at the watermark, or in a run that did not finish). A restarted scheduler asks only for what is at
or after the watermark and skips what the cursor lists, so nothing is fetched twice.

**Health** (``health()``): an enabled source is unhealthy when it has had no successful poll for
``POLL_STALE_FACTOR`` x its interval, or when its content broke: a page or feed that once yielded notices
yields none, or no longer reads ("layout broke"). The first poll or sweep that finds a problem starts an
episode and mails the operators (``mail_admins``) once; the episode ends when the source is healthy again.

Which response fields of TED's and Hilma's APIs are relied on, and where that is documented, is said at
``_poll_ted`` and ``_poll_hilma``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import logging
import os
import re
import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path

import requests
from django.conf import settings
from django.core.mail import mail_admins
from django.db.models import Q
from django.utils import timezone

from notices import store
from notices.ingest import ingest
from notices.models import Source
from notices.reading import Outcome
from notices.sources import FetchError, Fetched, Payload, RateLimited, expand, read_file, request

log = logging.getLogger(__name__)

TED_SEARCH_PATH = "/v3/notices/search"
TED_DEFAULT_QUERY = "buyer-country = FIN AND publication-date >= {since}"
TED_FIELDS = ["publication-number", "publication-date", "links"]
HILMA_SEARCH_PATH = "/avp/eformnotices/docs/search"
HILMA_NOTICE_PATH = "/avp-eforms/external-read/v1/notice/{id}"
HILMA_KEY_HEADER = "Ocp-Apim-Subscription-Key"
GIVE_UP_AFTER = 3  # attempts at one notice of an API source before it is rejected and skipped


class PollError(Exception):
    """The poll failed; ``str()`` says why, for ``last_error`` and the operators."""


def new_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


# --- claiming -------------------------------------------------------------------------------------------


def claim(
    pk: int, worker: str, *, due_only: bool = True, enabled_only: bool = True, now=None
) -> Source | None:
    """Take the source for one poll, or None when it is not due (``due_only``), not enabled
    (``enabled_only``) or another poller holds it. One conditional UPDATE: its row count decides."""
    now = now or timezone.now()
    rows = Source.objects.filter(pk=pk).filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
    if enabled_only:
        rows = rows.filter(enabled=True)
    if due_only:
        rows = rows.filter(next_poll_at__lte=now)
    lease = dt.timedelta(seconds=settings.POLL_LEASE)
    if rows.update(lease_until=now + lease, leased_by=worker[:100], last_run=now) != 1:
        return None
    return Source.objects.get(pk=pk)


def due_ids(now=None, *, ignore_intervals: bool = False, limit: int = 1000) -> list[int]:
    now = now or timezone.now()
    rows = Source.objects.filter(enabled=True).filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
    if not ignore_intervals:
        rows = rows.filter(next_poll_at__lte=now)
    return list(rows.order_by("next_poll_at", "pk").values_list("pk", flat=True)[:limit])


# --- one poll -------------------------------------------------------------------------------------------


COUNTED = ("new", "updated", "unchanged", "stale", "rejected")


@dataclass
class Result:
    source: Source
    status: str = "ok"  # ok, not-modified, error, rate-limited
    counts: dict = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))
    seen: int = 0
    error: str = ""
    problems: list[str] = field(default_factory=list)  # items that failed in a poll that went on

    def summary(self) -> str:
        if self.status == "not-modified":
            return "not modified"
        c = self.counts
        text = ", ".join(f"{key}: {c[key]}" for key in ("new", "updated", "unchanged", "rejected"))
        if self.status != "ok":
            text += f"; {self.status}: {self.error}"
        elif self.problems:
            text += f"; {len(self.problems)} item(s) failed: {self.problems[0]}"
        return text


class Run:
    """One poll of one claimed source: the handlers read and update the state here; ``save_progress``
    writes it (and renews the lease) mid-run, ``finish`` at the end."""

    def __init__(self, source: Source, worker: str, stop=None):
        self.source = source
        self.worker = worker
        self.stop = stop or (lambda: False)
        self.started = timezone.now()
        self.session = requests.Session()
        self.result = Result(source)
        self.state: dict = {}  # state fields to write
        self.broken: str | None = None  # None: leave as it was
        self.counted = False  # the poll read content: notices_seen is result.seen
        self.interrupted = False  # stopped (shutdown) before the end: due again at once, to resume

    # HTTP, politely (see notices.sources.request)
    def get(self, url: str, **kw) -> Fetched:
        return request(url, session=self.session, user_agent=settings.POLL_USER_AGENT,
                       max_wait=settings.POLL_MAX_RETRY_WAIT, **kw)

    def post_json(self, url: str, body: dict, **kw) -> Fetched:
        return self.get(url, method="POST", json_body=body, **kw)

    def add(self, outcome: Outcome) -> None:
        for change in outcome.changes:
            self.result.counts[change.outcome] = self.result.counts.get(change.outcome, 0) + 1
        self.result.counts["rejected"] += len(outcome.errors)

    def save_progress(self, **fields) -> None:
        self.state.update(fields)
        now = timezone.now()
        Source.objects.filter(pk=self.source.pk, leased_by=self.worker).update(
            **self.state, lease_until=now + dt.timedelta(seconds=settings.POLL_LEASE), updated_at=now
        )


def poll(source: Source, worker: str, stop=None) -> Result:
    """Poll a source this worker has claimed (``claim``), store what it yields, write its state, release
    it and check its health. Never raises for a source's failure: it is recorded."""
    run = Run(source, worker, stop)
    handler = HANDLERS.get(source.kind)
    error: Exception | None = None
    try:
        if handler is None:
            raise PollError(f"unknown kind {source.kind!r}")
        handler(run)
    except (PollError, FetchError) as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001 - a bug or an outage must not kill the scheduler; it is recorded
        log.exception("polling source %s failed", source.pk)
        error = PollError(f"unexpected {exc.__class__.__name__}: {exc}")
    finish(run, error)
    return run.result


def finish(run: Run, error: Exception | None) -> None:
    source, now = run.source, timezone.now()
    interval = dt.timedelta(seconds=source.interval)
    fields = dict(run.state, lease_until=None, leased_by="", updated_at=now)
    regular = max(run.started + interval, now)
    if error is None:
        run.result.status = "not-modified" if run.result.status == "not-modified" else "ok"
        fields.update(
            last_success=now,
            last_error="; ".join(run.result.problems)[:5000],
            failures=0,
            next_poll_at=now if run.interrupted else regular,
        )
        if run.counted:
            fields.update(notices_seen=run.result.seen, peak_seen=max(source.peak_seen, run.result.seen))
    elif isinstance(error, RateLimited):
        # Honour Retry-After: not before it has passed, and never sooner than the regular interval.
        wait = error.retry_after if error.retry_after is not None else 2 * source.interval
        run.result.status, run.result.error = "rate-limited", str(error)
        fields.update(
            last_error=f"rate limited: {error}"[:5000],
            failures=source.failures + 1,
            next_poll_at=now + max(dt.timedelta(seconds=wait), interval),
        )
    else:
        run.result.status, run.result.error = "error", str(error)
        fields.update(last_error=str(error)[:5000], failures=source.failures + 1, next_poll_at=regular)
    if run.broken is not None:
        fields["broken"] = run.broken
    if not Source.objects.filter(pk=source.pk, leased_by=run.worker).update(**fields):
        log.warning("source %s: its lease was lost before the poll finished; state not saved", source.pk)
    source.refresh_from_db()
    run.result.source = source
    evaluate(source, now=now)


# --- kinds ---------------------------------------------------------------------------------------------


def _poll_page(run: Run, fmt: str) -> None:
    """A buyer's web page (fi-web) or an OCDS feed: one URL, fetched conditionally, read as a whole."""
    source = run.source
    fetched = run.get(source.url, etag=source.etag, last_modified=source.last_modified)
    if fetched.not_modified:
        run.result.status = "not-modified"
        return
    outcome = ingest(Payload(fetched.data, fetched.url, fetched.url), fmt)
    run.add(outcome)
    what = "page" if fmt == "fi-web" else "feed"
    if outcome.errors:
        # Validators are not saved: the same bytes are read again next time (a fixed reader may read them).
        if source.peak_seen:
            run.broken = f"layout broke: the {what} no longer reads ({outcome.errors[0]})"
        raise PollError(outcome.errors[0])
    run.counted = True
    run.result.seen = len(outcome.records)
    run.state.update(etag=fetched.etag[:500], last_modified=fetched.last_modified[:100])
    if outcome.records:
        run.broken = ""
    elif source.peak_seen:
        run.broken = (
            f"layout broke: the {what} yielded {source.peak_seen} notice(s) before and yields none now"
        )


def _poll_fi_web(run: Run) -> None:
    _poll_page(run, "fi-web")


def _poll_ocds(run: Run) -> None:
    _poll_page(run, "ocds")


def _poll_folder(run: Run) -> None:
    """A local folder: each readable file (.xml, .json, .html, recursively) that is new or changed since
    the last poll (modification time and size, kept in the cursor) is ingested."""
    root = Path(run.source.url)
    if not root.is_dir():
        raise PollError(f"{root} is not a folder that can be read")
    known = dict(run.source.cursor.get("files", {}))
    present = set()
    for n, path in enumerate(expand(str(root)), 1):
        try:
            stat = os.stat(path)
        except OSError:
            continue
        present.add(path)
        stamp = [stat.st_mtime_ns, stat.st_size]
        if known.get(path) == stamp:
            continue
        try:
            payload = read_file(path)
        except FetchError as exc:
            run.result.problems.append(str(exc))
            continue
        outcome = ingest(payload)
        run.add(outcome)
        run.result.seen += len(outcome.records)
        known[path] = stamp  # a rejected file is kept as a Rejection and read again once it changes
        if n % 50 == 0:
            run.save_progress(cursor={"files": known})
        if run.stop():
            run.save_progress(cursor={"files": known})
            run.interrupted = True
            return
    run.counted = True
    run.state["cursor"] = {"files": {p: s for p, s in known.items() if p in present}}


def _poll_ted(run: Run) -> None:
    """TED's search API v3, then each notice's XML.

    Relied on (TED Search API, https://docs.ted.europa.eu/api/endpoints/ted-europa-eu.html, and
    "Downloading notices using the Search API", https://docs.ted.europa.eu/reuse/search-api.html):
    ``POST /v3/notices/search`` needs no key and takes ``query`` (an expert query), ``fields``, ``limit``
    (at most 250), ``paginationMode`` ``ITERATION`` and, after the first page, ``iterationNextToken``
    (the token the previous page returned). The response (``ExpertSearchResponse``) has ``notices`` (one
    object per notice with the requested fields) and ``iterationNextToken``; we read per notice
    ``publication-number``, ``publication-date`` (e.g. ``2024-03-01+01:00``) and ``links.xml.MUL`` (the
    notice's eForms XML, e.g. https://ted.europa.eu/en/notice/123456-2024/xml; TED_NOTICE_XML_URL when a
    notice has none). Dates in a query are YYYYMMDD. The iteration ends at a page with no notices, or
    when no (or the same) token comes back: the API is known to return a token with the last page.

    The query runs from the watermark date (``{since}``; POLL_LOOKBACK_DAYS back the first time); the
    notices already fetched at that date, or in a run that did not finish, are in the cursor and are
    not fetched again. The watermark moves on only when a run has finished with nothing left to retry.
    """
    source = run.source
    base = (source.url or settings.TED_API_URL).rstrip("/")
    lookback = timezone.now() - dt.timedelta(days=settings.POLL_LOOKBACK_DAYS)
    since = source.watermark or lookback.strftime("%Y%m%d")
    query = ted_query(source.query, since)
    seen = set(source.cursor.get("seen", []))
    failed = dict(source.cursor.get("failed", {}))
    dates: dict[str, str] = {}
    token, complete = None, False
    for _ in range(settings.POLL_MAX_PAGES):
        body = {"query": query, "fields": TED_FIELDS, "limit": settings.POLL_PAGE_SIZE}
        body["paginationMode"] = "ITERATION"
        if token:
            body["iterationNextToken"] = token
        page = run.post_json(base + TED_SEARCH_PATH, body).json()
        notices = page.get("notices") if isinstance(page, dict) else None
        if not isinstance(notices, list):
            raise PollError("TED's search answer has no 'notices' list: not shaped as documented")
        for item in notices:
            number = _first(item.get("publication-number")) if isinstance(item, dict) else None
            if not isinstance(number, str) or not number:
                run.result.problems.append("a TED search result without a publication-number")
                continue
            dates[number] = _ted_date(item.get("publication-date")) or since
            if number in seen:
                continue
            url = _ted_xml_link(item) or settings.TED_NOTICE_XML_URL.format(publication_number=number)
            if _fetch_and_ingest(run, number, url, failed, lambda fetched: fetched.data):
                seen.add(number)
        run.save_progress(cursor={"seen": sorted(seen), "failed": failed})
        if run.stop():
            run.interrupted = True
            return
        next_token = page.get("iterationNextToken")
        if not notices or not next_token or next_token == token:
            complete = True
            break
        token = next_token
    if not complete or failed:
        return  # the watermark stays; the next poll lists again and skips what was fetched
    watermark = max([since, *dates.values()])
    at_watermark = {n for n, d in dates.items() if d == watermark}
    if watermark == since:
        at_watermark |= seen
    run.state.update(watermark=watermark, cursor={"seen": sorted(at_watermark), "failed": {}})


def _poll_hilma(run: Run) -> None:
    """Hilma's AVP read API: its search index, then each notice's eForms XML.

    Relied on, and where it is documented:

    * https://github.com/Hankintailmoitukset/hilma-api (README, "AVP"): the key from the developer portal
      (https://hns-hilma-prod-apim.developer.azure-api.net/) goes in ``Ocp-Apim-Subscription-Key``; the
      search endpoint "exposes Azure Cognitive Search search endpoint ... the more versatile POST
      endpoint". The README names the legacy index (``/notices/docs/search``, frozen since eForms came in
      on 31.8.2023); the eForms index is ``/avp/eformnotices/docs/search``, as public clients call it
      (github.com/Aimiten/hilma-mcp src/index.ts, and others).
    * Azure's "Search Documents (REST)" (https://learn.microsoft.com/en-us/rest/api/searchservice/
      search-documents): the body's ``search``, ``filter`` (OData), ``orderby``, ``top``, ``skip``,
      ``count``, ``select``; the answer ``{"@odata.count": n, "value": [documents]}``. Of each document
      we read ``noticeId`` and ``datePublished`` (fields of Hilma's index, ``GET /avp/eformnotices``).
    * The notice: ``GET /avp-eforms/external-read/v1/notice/{noticeId}`` answers JSON whose ``eForm`` is
      the eForms XML in Base64. This path and field are from Hilma's "Read API (EForms)" Swagger
      (https://api.hankintailmoitukset.fi/swagger/swagger/external-read-v1/swagger.json) as a public
      client uses it (Aimiten/hilma-mcp); that Swagger could not be read here, so this is the least
      certain part.

    The filter runs from the watermark (``datePublished ge``, POLL_LOOKBACK_DAYS back the first time),
    ANDed with the source's own filter; the cursor works as TED's does.
    """
    key = settings.HILMA_API_KEY
    if not key:
        raise PollError("HILMA_API_KEY is not set: Hilma's API needs a subscription key")
    source = run.source
    base = (source.url or settings.HILMA_API_URL).rstrip("/")
    headers = {HILMA_KEY_HEADER: key}
    lookback = timezone.now() - dt.timedelta(days=settings.POLL_LOOKBACK_DAYS)
    since = source.watermark or _odata_instant(lookback)
    params = hilma_params(source.query)
    condition = f"datePublished ge {since}"
    params["filter"] = f"({params['filter']}) and {condition}" if params.get("filter") else condition
    seen = set(source.cursor.get("seen", []))
    failed = dict(source.cursor.get("failed", {}))
    dates: dict[str, str] = {}
    size, skip, complete = settings.POLL_PAGE_SIZE, 0, False
    for _ in range(settings.POLL_MAX_PAGES):
        body = {**params, "orderby": "datePublished asc", "top": size, "skip": skip, "count": True,
                "select": "noticeId,datePublished"}
        page = run.post_json(base + HILMA_SEARCH_PATH, body, headers=headers).json()
        documents = page.get("value") if isinstance(page, dict) else None
        if not isinstance(documents, list):
            raise PollError("Hilma's search answer has no 'value' list: not shaped as documented")
        for document in documents:
            notice_id = document.get("noticeId") if isinstance(document, dict) else None
            if notice_id in (None, ""):
                run.result.problems.append("a Hilma search result without a noticeId")
                continue
            notice_id = str(notice_id)
            dates[notice_id] = _odata_instant(document.get("datePublished")) or since
            if notice_id in seen:
                continue
            url = base + HILMA_NOTICE_PATH.format(id=notice_id)
            if _fetch_and_ingest(run, notice_id, url, failed, _hilma_xml, headers=headers):
                seen.add(notice_id)
        run.save_progress(cursor={"seen": sorted(seen), "failed": failed})
        if run.stop():
            run.interrupted = True
            return
        skip += len(documents)
        total = page.get("@odata.count")
        if len(documents) < size or (isinstance(total, int) and skip >= total):
            complete = True
            break
    if not complete or failed:
        return
    watermark = max([since, *dates.values()])
    at_watermark = {n for n, d in dates.items() if d == watermark}
    if watermark == since:
        at_watermark |= seen
    run.state.update(watermark=watermark, cursor={"seen": sorted(at_watermark), "failed": {}})


def _fetch_and_ingest(run: Run, key: str, url: str, failed: dict, extract, **kw) -> bool:
    """Fetch one notice of an API source and ingest it. True when it is done with (stored, or rejected
    for good); False when it should be tried again next poll. A rate limit ends the poll (raised)."""
    try:
        fetched = run.get(url, **kw)
        data = extract(fetched)
    except RateLimited:
        raise
    except (FetchError, PollError) as exc:
        failed[key] = failed.get(key, 0) + 1
        run.result.problems.append(str(exc))
        if failed[key] < GIVE_UP_AFTER:
            return False
        store.reject(origin=url, reason=f"{exc} (given up after {GIVE_UP_AFTER} polls)")
        run.result.counts["rejected"] += 1
        del failed[key]
        return True
    failed.pop(key, None)
    outcome = ingest(Payload(data, url, None), "eforms")
    run.add(outcome)
    run.result.seen += len(outcome.records)
    run.counted = True
    return True


def _hilma_xml(fetched: Fetched) -> bytes:
    answer = fetched.json()
    encoded = answer.get("eForm") if isinstance(answer, dict) else None
    if not isinstance(encoded, str) or not encoded.strip():
        raise PollError(f"{fetched.url}: Hilma's notice answer has no 'eForm' (Base64 eForms XML)")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise PollError(f"{fetched.url}: the 'eForm' of Hilma's notice answer is not Base64") from None


def ted_query(query: str, since: str) -> str:
    """The source's expert query with ``{since}`` (the watermark date, YYYYMMDD) filled in; a query
    without ``{since}`` gets ``AND publication-date >= {since}``, so it always runs from the watermark."""
    query = (query or TED_DEFAULT_QUERY).strip()
    if "{since}" not in query:
        query = f"({query}) AND publication-date >= {{since}}"
    return query.replace("{since}", since)


def hilma_params(query: str) -> dict:
    """A Hilma source's query: a JSON object of search parameters, or plain search words."""
    text = (query or "").strip()
    if text.startswith("{"):
        try:
            params = json.loads(text)
        except ValueError as exc:
            raise PollError(f"the query is not a JSON object: {exc}") from None
        if not isinstance(params, dict):
            raise PollError("the query is not a JSON object")
        params.setdefault("search", "*")
        return params
    return {"search": text or "*"}


def _first(value):
    return value[0] if isinstance(value, list) and value else value


def _ted_date(value) -> str | None:
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", str(_first(value) or ""))
    return "".join(match.groups()) if match else None


def _ted_xml_link(item: dict) -> str | None:
    links = item.get("links")
    xml = links.get("xml") if isinstance(links, dict) else None
    if isinstance(xml, dict):
        link = xml.get("MUL") or next((v for v in xml.values() if isinstance(v, str)), None)
        return link if isinstance(link, str) else None
    return xml if isinstance(xml, str) else None


def _odata_instant(value) -> str | None:
    """An instant as an OData DateTimeOffset literal in UTC (2024-05-02T10:00:00Z), or None."""
    if isinstance(value, dt.datetime):
        instant = value
    else:
        try:
            instant = dt.datetime.fromisoformat(str(value))
        except ValueError:
            return None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    # Always milliseconds, so that two of these compare as strings in time order.
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


HANDLERS = {
    Source.Kind.FI_WEB: _poll_fi_web,
    Source.Kind.OCDS: _poll_ocds,
    Source.Kind.FOLDER: _poll_folder,
    Source.Kind.TED: _poll_ted,
    Source.Kind.HILMA: _poll_hilma,
}


# --- health ---------------------------------------------------------------------------------------------


def health(source: Source, now=None) -> tuple[bool, str]:
    """(healthy, problem) as of ``now``; see the module docstring. Disabled sources are not watched."""
    if not source.enabled:
        return True, ""
    if source.broken:
        return False, source.broken
    now = now or timezone.now()
    expected = dt.timedelta(seconds=source.interval * settings.POLL_STALE_FACTOR)
    since = source.last_success or source.created_at
    if now - since <= expected:
        return True, ""
    if source.last_success:
        text = f"no successful poll since {source.last_success:%Y-%m-%d %H:%M} UTC"
    else:
        text = f"no successful poll since it was added on {source.created_at:%Y-%m-%d %H:%M} UTC"
    text += f" (expected every {_duration(source.interval)})"
    if source.last_error:
        text += f"; last error: {source.last_error[:300]}"
    return False, text


def evaluate(source: Source, now=None, *, notify: bool = True) -> tuple[bool, str]:
    """Store the source's health; a problem that starts an episode is mailed to the operators once."""
    now = now or timezone.now()
    healthy, problem = health(source, now)
    rows = Source.objects.filter(pk=source.pk)
    if healthy:
        if not source.healthy or source.problem:
            rows.update(healthy=True, problem="", problem_since=None, problem_notified_at=None)
            source.healthy, source.problem = True, ""
            source.problem_since = source.problem_notified_at = None
        return healthy, problem
    if source.healthy:
        started = rows.filter(healthy=True).update(
            healthy=False, problem=problem, problem_since=now, problem_notified_at=None
        )
        if started:
            source.problem_since, source.problem_notified_at = now, None
        source.healthy = False
    elif problem != source.problem:
        rows.update(problem=problem)
    source.problem = problem
    if notify:
        _notify(source, now)
    return healthy, problem


def _notify(source: Source, now) -> bool:
    """One mail per episode: the conditional UPDATE decides which process sends it."""
    if not Source.objects.filter(pk=source.pk, healthy=False, problem_notified_at__isnull=True).update(
        problem_notified_at=now
    ):
        return False
    source.problem_notified_at = now
    admin_url = f"{settings.SITE_URL}/admin/notices/source/{source.pk}/change/"
    message = "\n".join(
        [
            f"The source \"{source.name}\" ({source.get_kind_display()}) needs attention:",
            "",
            f"    {source.problem}",
            "",
            f"Address:      {source.url or '(default API URL)'}",
            f"Last run:     {source.last_run or 'never'}",
            f"Last success: {source.last_success or 'never'}",
            f"Last error:   {source.last_error or '-'}",
            f"Notices seen: {source.notices_seen} (at most {source.peak_seen})",
            "",
            f"This is the only mail about this problem until the source is healthy again. {admin_url}",
        ]
    )
    try:
        mail_admins(f"Source \"{source.name}\": {source.problem[:120]}", message, fail_silently=False)
    except Exception:  # noqa: BLE001 - the mail is tried again at the next poll or sweep
        log.exception("could not mail the operators about source %s", source.pk)
        Source.objects.filter(pk=source.pk, problem_notified_at=now).update(problem_notified_at=None)
        source.problem_notified_at = None
        return False
    return True


def sweep(now=None) -> int:
    """Evaluate every enabled source (a source that is never polled must still be noticed); returns how
    many are unhealthy."""
    now = now or timezone.now()
    unhealthy = 0
    watched = Source.objects.filter(Q(enabled=True) | Q(healthy=False))
    for source in watched:
        healthy, _ = evaluate(source, now)
        unhealthy += not healthy
    return unhealthy


def _duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400} d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


# --- the clock ------------------------------------------------------------------------------------------


def poll_due(worker: str | None = None, *, ignore_intervals: bool = False, stop=None) -> list[Result]:
    """Claim and poll every due source, one after another; then check every source's health."""
    worker = worker or new_worker_name()
    stop = stop or (lambda: False)
    results = []
    for pk in due_ids(ignore_intervals=ignore_intervals):
        if stop():
            break
        source = claim(pk, worker, due_only=not ignore_intervals)
        if source is not None:
            results.append(poll(source, worker, stop))
    if not stop():
        sweep()
    return results


POLL_JOB_ID = "poll-sources"


def register(scheduler) -> None:
    """The ``SCHEDULER_JOB_HOOKS`` hook (scheduler/jobs.py): poll due sources every ``POLL_TICK`` seconds.
    A poll in flight stops between notices once the scheduler is shutting down (SIGTERM), its progress
    saved."""
    from apscheduler.schedulers.base import STATE_STOPPED

    from scheduler.jobs import job

    worker = new_worker_name()

    def tick():
        poll_due(worker, stop=lambda: scheduler.state == STATE_STOPPED)

    tick.__name__ = tick.__qualname__ = "poll_sources"
    scheduler.add_job(
        job(tick),
        "interval",
        seconds=settings.POLL_TICK,
        id=POLL_JOB_ID,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        next_run_time=timezone.now(),
    )
