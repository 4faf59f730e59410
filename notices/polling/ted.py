"""TED's search API: the expert query from the watermark, in iteration mode, then each notice's XML."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.utils import timezone

from notices.ingest.fetch import HTTPStatusError, ServerAskedToWait
from notices.models import Source
from notices.polling import tedquery
from notices.polling.runs import PollError, Run, fetch_and_ingest, kind

TED_DEFAULT_QUERY = "buyer-country = FIN AND publication-date >= {since}"
TED_FIELDS = ["publication-number", "publication-date", "links"]
TED_MAX_LIMIT = 250  # the specification: "You can retrieve up to 250 notices per page"
TIMED_OUT_ATTEMPTS = 3  # a page TED says timed out is asked for again, this many times in all
EMPTY_POLLS_BEFORE_CHECK = 3  # polls in a row that listed nothing before TED is asked whether it had any
JSON = "application/json"
XML = "application/xml"

# The error types of the specification's 400 answer (ExpertSearchRequest errors).
QUERY_ERRORS = {
    "QUERY_SYNTAX_ERROR", "QUERY_INVALID_FIELD_FORMAT", "QUERY_UNKNOWN_FIELD", "QUERY_UNSUPPORTED_FIELD_OPERATION",
    "QUERY_UNSUPPORTED_FIELD_VALUE",
}  # fmt: skip
TOKEN_ERRORS = {"EXPIRED_ITERATION_TOKEN", "INVALID_ITERATION_TOKEN"}


class TedRefused(PollError):
    """TED answered 400 with one of its specification's error types (``kind``); ``str()`` says what to do."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


def search_url(base: str) -> str:
    return f"{base}/{settings.TED_API_VERSION}/notices/search"


@kind(Source.Kind.TED)
def poll_ted(run: Run) -> None:
    """TED's search API, then each notice's XML.

    Relied on, from TED's OpenAPI description (``api-v3.yaml``, OP-TED/OP-TED.github.io; the README's table
    says which field comes from where): ``POST /v3/notices/search`` needs no key and takes
    ``PublicExpertSearchRequestV1``: ``query`` (an expert query) and ``fields`` (both required), ``limit``
    (at most 250), ``scope`` (``ALL``: the default, ``ACTIVE``, would leave out every notice no longer
    active: cancellations, corrigenda and results of closed calls), ``paginationMode`` ``ITERATION`` and,
    after the first page, ``iterationNextToken``. The answer (``ExpertSearchResponse``) has ``notices``
    (per notice ``publication-number``, ``publication-date`` and ``links``, as asked), ``totalNoticeCount``
    and ``iterationNextToken``; a 400 has a ``type`` (``QUERY_SYNTAX_ERROR``, ``EXPIRED_ITERATION_TOKEN``...).
    Seen in live answers, not in the specification: ``timedOut: true`` (the page may be incomplete: it is
    asked for again, never skipped), unpadded publication numbers (``479730-2026``, used as they come) and
    ``links.xml.MUL`` (the notice's XML; TED_NOTICE_XML_URL when a notice has none).

    The query runs from the watermark date (``{since}``; POLL_LOOKBACK_DAYS back the first time); the
    notices already fetched at that date, or in a run that did not finish, are in the cursor and are
    not fetched again. The watermark moves on only when a run has finished with nothing left to retry.
    A query that lists nothing for 3 polls in a row while TED had notices for its country is flagged.
    """
    source = run.source
    base = (source.url or settings.TED_API_URL).rstrip("/")
    url = search_url(base)
    lookback = timezone.now() - dt.timedelta(days=settings.POLL_LOOKBACK_DAYS)
    since = source.watermark or lookback.strftime("%Y%m%d")
    query = ted_query(source.query, since)
    if run.dry_run:
        check_syntax(run, url, source.query, query)
    seen = set(source.cursor.get("seen", []))
    failed = dict(source.cursor.get("failed", {}))
    dates: dict[str, str] = {}
    listed = 0
    token, complete, restarted = None, False, False
    for page_number in range(1, settings.POLL_MAX_PAGES + 1):
        body = search_body(query, token)
        try:
            page = search(run, url, body, page_number)
        except TedRefused as exc:
            if exc.kind in TOKEN_ERRORS and token and not restarted:
                # The point in time behind the token is gone (it lasts until the next OJ S release + 24 h):
                # list again from the first page; what was fetched is in ``seen`` and not fetched again.
                run.result.problems.append(f"{exc} on page {page_number}: listed again from the first page")
                token, restarted = None, True
                continue
            if exc.kind in QUERY_ERRORS or exc.kind == "UNSUPPORTED_VALUE":
                run.broken = str(exc)  # it will not mend itself: flagged at once, mailed once
            raise
        if not run.dry_run:
            run.broken = ""  # TED took the query: a flag about it is over (the empty check may set another)
        notices = page["notices"]
        listed += len(notices)
        for item in notices:
            number = _first(item.get("publication-number")) if isinstance(item, dict) else None
            if not isinstance(number, str) or not number:
                run.result.problems.append("a TED search result without a publication-number")
                continue
            dates[number] = _ted_date(item.get("publication-date")) or since
            if number in seen:
                continue
            if run.enough():
                break
            link = _ted_xml_link(item) or settings.TED_NOTICE_XML_URL.format(publication_number=number)
            if fetch_and_ingest(run, number, link, failed, lambda fetched: fetched.data, accept=XML):
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
    watch_empty(run, url, query, since, listed)


def search_body(query: str, token: str | None = None) -> dict:
    """One search request (``PublicExpertSearchRequestV1``)."""
    body = {
        "query": query,
        "fields": TED_FIELDS,
        "limit": max(1, min(settings.POLL_PAGE_SIZE, TED_MAX_LIMIT)),
        "scope": settings.TED_SCOPE,
        "paginationMode": "ITERATION",
    }
    if token:
        body["iterationNextToken"] = token
    return body


def search(run: Run, url: str, body: dict, page_number: int = 1) -> dict:
    """One page of results. A page TED says timed out (``timedOut: true``) may be incomplete: it is asked
    for again (the same request), and if it keeps timing out the poll ends there, its watermark unmoved."""
    for attempt in range(1, TIMED_OUT_ATTEMPTS + 1):
        page = _search_once(run, url, body)
        if page.get("timedOut") is not True:
            run.say(
                f"  -> {len(page['notices'])} notice(s) on page {page_number}"
                f" (totalNoticeCount {page.get('totalNoticeCount', '?')})"
            )
            return page
        run.say(f"  -> timedOut: true on page {page_number} (attempt {attempt} of {TIMED_OUT_ATTEMPTS})")
    raise PollError(
        f"TED's search answered timedOut: true {TIMED_OUT_ATTEMPTS} times for page {page_number}: that page "
        "may be incomplete, so the poll stopped there and the watermark stays; the next poll asks again"
    )


def _search_once(run: Run, url: str, body: dict) -> dict:
    try:
        page = run.post_json(url, body, accept=JSON).json()
    except ServerAskedToWait:
        raise
    except HTTPStatusError as exc:
        if exc.status == 400:
            raise refusal(run.error_json(), run.error_text()) from None
        if detail := _message(run.error_json()) or run.error_text():
            raise PollError(f"{exc}: {detail[:300]}") from None
        raise
    if not isinstance(page, dict) or not isinstance(page.get("notices"), list):
        raise PollError("TED's search answer has no 'notices' list: not shaped as its specification says")
    return page


def refusal(answer, text: str = "") -> TedRefused:
    """TED's 400 answer as a sentence an operator can act on. The specification's error bodies carry a
    ``type`` (and for query errors a ``location``, ``fieldName``...); it may also sit under ``error``."""
    outer = answer if isinstance(answer, dict) else {}
    inner = outer.get("error") if isinstance(outer.get("error"), dict) else {}
    info = {**inner, **{k: v for k, v in outer.items() if k != "error"}}
    kind = str(info.get("type") or inner.get("type") or "")
    where = _location(info.get("location"))
    field = info.get("fieldName")
    fix = ": correct the source's query (admin, Sources)"
    if kind == "QUERY_SYNTAX_ERROR":
        message = f"TED cannot read the source's query{where} (QUERY_SYNTAX_ERROR){fix}"
    elif kind == "QUERY_UNKNOWN_FIELD":
        message = f"TED has no field {field!r} in the source's query{where} (QUERY_UNKNOWN_FIELD){fix}"
    elif kind == "QUERY_INVALID_FIELD_FORMAT":
        pattern = f"; it must match {info['allowedPattern']}" if info.get("allowedPattern") else ""
        message = (
            f"the value of {field!r} in the source's query is not in a form TED reads{where}{pattern} "
            f"(QUERY_INVALID_FIELD_FORMAT){fix}"
        )
    elif kind == "QUERY_UNSUPPORTED_FIELD_OPERATION":
        message = (
            f"TED cannot apply {info.get('operation') or 'this operation'} to the field {field!r}{where} "
            f"(QUERY_UNSUPPORTED_FIELD_OPERATION){fix}"
        )
    elif kind == "QUERY_UNSUPPORTED_FIELD_VALUE":
        message = (
            f"TED does not accept {info.get('fieldValue')!r} for the field {field!r}{where} "
            f"(QUERY_UNSUPPORTED_FIELD_VALUE){fix}"
        )
    elif kind == "UNSUPPORTED_VALUE":
        message = (
            f"TED refused the request's {info.get('parameterName') or 'parameter'} = "
            f"{info.get('unsupportedValue')!r} (UNSUPPORTED_VALUE): check TED_SCOPE, POLL_PAGE_SIZE and "
            "TED_API_VERSION"
        )
    elif kind == "EXPIRED_ITERATION_TOKEN":
        message = "TED's iteration token expired (EXPIRED_ITERATION_TOKEN)"
    elif kind == "INVALID_ITERATION_TOKEN":
        message = "TED did not accept the iteration token it had given (INVALID_ITERATION_TOKEN)"
    else:
        detail = _message(answer) or text
        message = "TED answered HTTP 400" + (f": {detail[:300]}" if detail else "")
    return TedRefused(message, kind)


def check_syntax(run: Run, url: str, written: str, query: str) -> None:
    """Dry runs: the local check of the query as ``written`` (``tedquery``), then TED's own of the query
    as it is sent (``checkQuerySyntax``: checked, not run)."""
    for problem in check_query(written):
        run.say(f"local check: {problem}")
    body = {"query": query, "fields": TED_FIELDS, "checkQuerySyntax": True}
    try:
        run.post_json(url, body, accept=JSON)
    except ServerAskedToWait:
        raise
    except HTTPStatusError as exc:
        if exc.status != 400:
            raise
        refused = refusal(run.error_json(), run.error_text())
        run.say(f"  -> TED's syntax check: {refused}")
        raise refused from None
    run.say("  -> TED's syntax check (checkQuerySyntax): the query is accepted")


def watch_empty(run: Run, url: str, query: str, since: str, listed: int) -> None:
    """A query that lists nothing for ``EMPTY_POLLS_BEFORE_CHECK`` finished polls in a row is compared with
    one more search (its buyer country since the same date, limit 1): if TED had notices, the query is
    flagged, for TED answers a query it cannot match (a date in the wrong form) with nothing, not an error."""
    if run.dry_run:
        return
    empty = 0 if listed else run.source.empty_polls + 1
    run.state["empty_polls"] = empty
    if empty < EMPTY_POLLS_BEFORE_CHECK:
        return
    country = tedquery.country_of(query)
    probe = f"publication-date >= {since}"
    probe = f"buyer-country = {country} AND {probe}" if country else probe
    body = {"query": probe, "fields": ["publication-number"], "limit": 1, "scope": settings.TED_SCOPE}
    try:
        page = _search_once(run, url, body)
    except PollError as exc:
        run.result.problems.append(f"could not check whether TED had notices meanwhile: {exc}")
        return
    total = page.get("totalNoticeCount")
    if page["notices"] or (isinstance(total, int) and total > 0):
        where = f" for buyer-country {country}" if country else ""
        run.broken = (
            f"the query has listed no notice for {empty} polls in a row, while TED has notices{where} published "
            f"since {since}: check the query (TED answers a query it cannot match, a date not written "
            "YYYYMMDD say, with no notices rather than an error)"
        )


def check_query(query: str) -> list[str]:
    """What is wrong with a source's expert query, checked here (``tedquery``); field names are checked
    when ``TED_API_SPEC`` names TED's OpenAPI description. ``{since}`` stands for a date."""
    text = (query or TED_DEFAULT_QUERY).strip()
    return tedquery.check_query(text, tedquery.known_fields(settings.TED_API_SPEC))


def ted_query(query: str, since: str) -> str:
    """The source's expert query with ``{since}`` (the watermark date, YYYYMMDD) filled in; a query
    without ``{since}`` gets ``AND publication-date >= {since}``, so it always runs from the watermark."""
    query = (query or TED_DEFAULT_QUERY).strip()
    if "{since}" not in query:
        query = f"({query}) AND publication-date >= {{since}}"
    return query.replace("{since}", since)


def _location(value) -> str:
    if not isinstance(value, dict):
        return ""
    line, column = value.get("beginLine"), value.get("beginColumn")
    if line is None and column is None:
        return ""
    return f" at line {line if line is not None else '?'}, column {column if column is not None else '?'}"


def _message(answer) -> str:
    return str(answer.get("message") or "") if isinstance(answer, dict) else ""


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
