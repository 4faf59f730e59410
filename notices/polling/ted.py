"""TED's search API: the expert query from the watermark, in iteration mode, then each notice's XML."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.utils import timezone

from notices.models import Source
from notices.polling.runs import PollError, Run, fetch_and_ingest, kind

TED_SEARCH_PATH = "/v3/notices/search"
TED_DEFAULT_QUERY = "buyer-country = FIN AND publication-date >= {since}"
TED_FIELDS = ["publication-number", "publication-date", "links"]


@kind(Source.Kind.TED)
def poll_ted(run: Run) -> None:
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
            if fetch_and_ingest(run, number, url, failed, lambda fetched: fetched.data):
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


def ted_query(query: str, since: str) -> str:
    """The source's expert query with ``{since}`` (the watermark date, YYYYMMDD) filled in; a query
    without ``{since}`` gets ``AND publication-date >= {since}``, so it always runs from the watermark."""
    query = (query or TED_DEFAULT_QUERY).strip()
    if "{since}" not in query:
        query = f"({query}) AND publication-date >= {{since}}"
    return query.replace("{since}", since)


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
