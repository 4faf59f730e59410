"""Hilma's AVP read API: its eForms search index from the watermark, then each notice's eForms XML."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json

from django.conf import settings
from django.utils import timezone

from notices.ingest.fetch import Fetched, HTTPStatusError
from notices.models import Source
from notices.polling.runs import PollError, Run, fetch_and_ingest, kind

HILMA_SEARCH_PATH = "/avp/eformnotices/docs/search"
HILMA_NOTICE_PATH = "/avp-eforms/external-read/v1/notice/{id}"
HILMA_KEY_HEADER = "Ocp-Apim-Subscription-Key"
HILMA_SELECT = "noticeId,datePublished,isEForms,isPlan"
JSON = "application/json"
# What the search index holds besides eForms notices, which nothing here reads (kind: why).
PLAN, PRE_EFORMS = "plan", "pre-eForms"


@kind(Source.Kind.HILMA)
def poll_hilma(run: Run) -> None:
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
    * The index holds eForms notices, pre-eForms notices (published before the switch-over) and
      procurement plans (``isPlan``); public clients tell eForms notices by ``isEForms``. Only eForms
      notices are fetched; a hit with ``isPlan: true`` or ``isEForms: false`` is skipped and counted by
      kind (``Source.skipped``, shown in the admin, ``GET /api/sources`` and the poll's summary): they
      need other read operations (``get-api-avp-notices-noticeid``, the plans' own) and readers we do
      not have. A hit without these flags is fetched as an eForms notice.
    * The notice: ``GET /avp-eforms/external-read/v1/notice/{noticeId}`` answers JSON whose ``eForm`` is
      the eForms XML in Base64. This path and field are from Hilma's "Read API (EForms)" Swagger
      (https://api.hankintailmoitukset.fi/swagger/swagger/external-read-v1/swagger.json) as a public
      client uses it (Aimiten/hilma-mcp); that Swagger could not be read here, so this is the least
      certain part. Hilma documents a read of up to 50 eForms notices at once
      (``get-external-read-v1-notices``) whose parameters we could not see: notices are read one at a time.
    * Every read endpoint is rate limited; a 429's body is a plain string, which the error repeats.

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
    skipped = dict(source.skipped)
    size, skip, complete = settings.POLL_PAGE_SIZE, 0, False
    for _ in range(settings.POLL_MAX_PAGES):
        body = {**params, "orderby": "datePublished asc", "top": size, "skip": skip, "count": True,
                "select": HILMA_SELECT}
        try:
            page = run.post_json(base + HILMA_SEARCH_PATH, body, headers=headers, accept=JSON).json()
        except HTTPStatusError as exc:
            if exc.status in (401, 403):
                raise PollError(f"Hilma refused the subscription key (HTTP {exc.status}): check HILMA_API_KEY") from None
            raise
        documents = page.get("value") if isinstance(page, dict) else None
        if not isinstance(documents, list):
            raise PollError("Hilma's search answer has no 'value' list: not shaped as documented")
        run.say(f"  -> {len(documents)} hit(s) (@odata.count {page.get('@odata.count', '?')})")
        for document in documents:
            notice_id = document.get("noticeId") if isinstance(document, dict) else None
            if notice_id in (None, ""):
                run.result.problems.append("a Hilma search result without a noticeId")
                continue
            notice_id = str(notice_id)
            dates[notice_id] = _odata_instant(document.get("datePublished")) or since
            if notice_id in seen:
                continue
            if unread := unreadable(document):
                run.say(f"  skipped {notice_id}: a {unread}, not an eForms notice")
                run.result.skipped[unread] += 1
                skipped[unread] = skipped.get(unread, 0) + 1
                seen.add(notice_id)  # counted once
                continue
            if run.enough():
                break
            url = base + HILMA_NOTICE_PATH.format(id=notice_id)
            if fetch_and_ingest(run, notice_id, url, failed, _hilma_xml, headers=headers, accept=JSON):
                seen.add(notice_id)
        run.save_progress(cursor={"seen": sorted(seen), "failed": failed}, skipped=skipped)
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


def unreadable(document: dict) -> str | None:
    """Why a search hit is not fetched as an eForms notice (``PLAN``, ``PRE_EFORMS``), or None."""
    if document.get("isPlan") is True:
        return PLAN
    if document.get("isEForms") is False:
        return PRE_EFORMS
    return None


def _hilma_xml(fetched: Fetched) -> bytes:
    answer = fetched.json()
    encoded = answer.get("eForm") if isinstance(answer, dict) else None
    if not isinstance(encoded, str) or not encoded.strip():
        raise PollError(f"{fetched.url}: Hilma's notice answer has no 'eForm' (Base64 eForms XML)")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise PollError(f"{fetched.url}: the 'eForm' of Hilma's notice answer is not Base64") from None


def check_query(query: str) -> list[str]:
    """What is wrong with a Hilma source's query (empty: nothing)."""
    try:
        hilma_params(query)
    except PollError as exc:
        return [str(exc)]
    return []


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


def read_notice(run: Run, notice_id: str) -> int:
    """One eForms notice read from Hilma's API by its id (a buyer's page linked to it): 1 when it was
    stored (or rejected for good), 0 when it should be tried again next poll."""
    base = settings.HILMA_API_URL.rstrip("/")
    url = base + HILMA_NOTICE_PATH.format(id=notice_id)
    headers = {HILMA_KEY_HEADER: settings.HILMA_API_KEY}
    return int(fetch_and_ingest(run, notice_id, url, {}, _hilma_xml, headers=headers))
