"""Sources that are one URL read as a whole: a buyer's web page (fi-web) or an OCDS feed, fetched
conditionally (ETag / Last-Modified), so an unchanged page costs a 304 and nothing is read or written.
A page or feed that once yielded notices and now yields none, or no longer reads, is flagged ("layout
broke").

A buyer's page is often a list: each item only a linked heading (perhaps with a date) leading to a detail
page on the same site. For an item that looks like procurement and says little itself, the poll follows
its link (same site only, at most ``POLL_FOLLOW_LINKS`` a poll, one at a time, each conditionally with
its own validators kept in the source's cursor) and stores what the detail page says under the item's
identity (its link), instead of the item: never both. A detail page is checked again at every poll,
even when the list has not changed. An item linking to a notice in Hilma keeps that link; with a Hilma key
and the link's notice id, the notice is read from Hilma's API as eForms, instead of the item.

An item that looks like procurement but yields no notice (``fi_web.ItemReport.suspicious``) is never a
silent zero: when the page yields no notice at all, the source is flagged with the item's text until the
operator accepts it in the admin; beside notices that were read, it is said in the poll's report
(``last_error``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

from django.conf import settings

from notices.ingest.fetch import FetchError, Payload
from notices.ingest.read import Outcome, parse
from notices.models import Source
from notices.polling import hilma
from notices.polling.runs import PollError, Run, kind
from notices.readers import fi_web

SHORT_ITEM = 300  # characters: an item saying less than this is a heading, perhaps a date, and a link
_HILMA_HOST = re.compile(r"(^|\.)hankintailmoitukset\.fi$")
_HILMA_NOTICE = re.compile(r"/(?:e?notice|ilmoitus)/(\d+)", re.I)


def poll_page(run: Run, fmt: str) -> None:
    """A buyer's web page (fi-web) or an OCDS feed: one URL, fetched conditionally, read as a whole."""
    source = run.source
    fetched = run.get(source.url, etag=source.etag, last_modified=source.last_modified)
    followed = dict(source.cursor.get("links", {}))
    if fetched.not_modified:
        run.say("  -> 304 not modified: nothing to read")
        if followed:  # the list is the same; its detail pages may not be
            _follow(run, list(followed), followed, {})
        run.result.status = "not-modified"
        return
    payload = Payload(fetched.data, fetched.url, fetched.url, fetched.charset)
    outcome = parse(payload, fmt)
    what = "page" if fmt == "fi-web" else "feed"
    if outcome.errors and not outcome.records:
        run.store(payload, outcome)  # each kept as a rejection with its reason
        # Validators are not saved: the same bytes are read again next time (a fixed reader may read them).
        if source.peak_seen:
            run.broken = f"layout broke: the {what} no longer reads ({outcome.errors[0]})"
        raise PollError(outcome.errors[0])
    if outcome.errors:  # some notices could not be kept (each a rejection with its reason); the rest are stored
        run.result.problems.extend(outcome.errors)
    links = _to_follow(source.url, payload, outcome) if fmt == "fi-web" else []
    by_id = {record.source_id: record for record in outcome.records}
    outcome.records = [r for r in outcome.records if r.source_id not in links]
    run.store(payload, outcome)
    seen = len(outcome.records) + _follow(run, links, followed, by_id)
    flagged, key = _suspicious(source, outcome)
    run.state["cursor"] = {
        **source.cursor,
        "links": {url: followed[url] for url in links if url in followed},
        "flagged": key,
    }
    run.counted = True
    run.result.seen = seen
    run.state.update(etag=fetched.etag[:500], last_modified=fetched.last_modified[:100])
    if flagged and not seen:  # a silent zero: the source is flagged until the operator accepts it
        run.broken = flagged
    elif flagged:  # notices were read beside it: said in the poll's report, not a health problem
        run.result.problems.append(flagged)
    if seen:
        run.broken = ""
    elif source.peak_seen and not flagged:
        run.broken = f"layout broke: the {what} yielded {source.peak_seen} notice(s) before and yields none now"


def _to_follow(page_url: str, payload: Payload, outcome: Outcome) -> list[str]:
    """Links to detail pages of this site (or to Hilma notices), at most ``POLL_FOLLOW_LINKS``: the own
    links of notice items that say little themselves, and links whose text is a notice's heading."""
    candidates = [
        item.link
        for item in outcome.items
        if getattr(item, "link", None) and item.taken and len(item.text) <= SHORT_ITEM
    ]
    candidates += [link.url for link in fi_web.notice_links(payload.data, payload.url, payload.charset)]
    complete = {item.link for item in outcome.items if item.taken and len(item.text) > SHORT_ITEM}
    site, page = _host(page_url), page_url.split("#")[0]
    links = [
        link
        for link in candidates
        if link not in complete and link.split("#")[0] != page and (_host(link) == site or _hilma_notice_id(link))
    ]
    return list(dict.fromkeys(links))[: settings.POLL_FOLLOW_LINKS]


def _follow(run: Run, links: list[str], followed: dict, listed: dict) -> int:
    """Read each detail page (or Hilma notice) and store its notice under the item's identity; where a
    page cannot be read, store the item as the list gave it. Returns the notices seen."""
    seen = 0
    for link in links:
        if run.stop():
            run.interrupted = True
            break
        notice_id = _hilma_notice_id(link)
        if notice_id and settings.HILMA_API_KEY:
            seen += hilma.read_notice(run, notice_id)
            followed[link] = {}
            continue
        if notice_id:  # a Hilma notice, no key: the item itself, with Hilma's link among its links
            if link in listed:
                record = listed[link]
                links_with_hilma = tuple(dict.fromkeys((*record.links, link)))
                seen += _store(run, dataclasses.replace(record, links=links_with_hilma), link)
            else:
                run.result.problems.append(f"{link}: a notice in Hilma; set HILMA_API_KEY to read it from there")
            continue
        validators = followed.get(link, {})
        try:
            fetched = run.get(
                link, etag=validators.get("etag", ""), last_modified=validators.get("last_modified", "")
            )
        except FetchError as exc:
            run.result.problems.append(f"{link}: {exc}")
            if link in listed:
                seen += _store(run, listed[link], link)
            continue
        if fetched.not_modified:
            seen += 1
            continue
        outcome = parse(Payload(fetched.data, fetched.url, link, fetched.charset), "fi-web")
        records = outcome.records
        if len(records) == 1:
            # The detail page is the item: keep the item's identity (its link), so list and page are one notice.
            record = records[0]
            aliases = tuple(a for a in (record.source_id, *record.aliases) if a != link)
            outcome.records = [dataclasses.replace(record, source_id=link, aliases=aliases)]
        elif not records and link in listed:
            outcome.records = [listed[link]]
        run.store(Payload(fetched.data, link, link, fetched.charset), outcome)
        seen += len(outcome.records)
        if not outcome.errors:
            followed[link] = {"etag": fetched.etag[:500], "last_modified": fetched.last_modified[:100]}
    return seen


def _store(run: Run, record, origin: str) -> int:
    run.store(Payload(b"", origin, origin), Outcome(origin, "fi-web", [record]))
    return 1


def _suspicious(source: Source, outcome: Outcome) -> tuple[str, str]:
    """(the flag, the item's key) when an item looks like procurement but yields no notice, unless the
    operator accepted that item (the admin's "accept" action moves its key to the cursor's "accepted")."""
    accepted = set(source.cursor.get("accepted", []))
    for item in outcome.items:
        key = hashlib.sha256(f"{item.heading}\n{item.text}".encode()).hexdigest()[:16]
        if getattr(item, "suspicious", False) and key not in accepted:
            text = " ".join(item.text.split())[:300]
            flag = f"an item looks like procurement but yields no notice ({item.reason}): {item.heading[:120]!r}: {text}"
            return flag, key
    return "", ""


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def _hilma_notice_id(url: str) -> str | None:
    parts = urlsplit(url)
    if not _HILMA_HOST.search((parts.hostname or "").lower()):
        return None
    if ids := parse_qs(parts.query).get("noticeId"):
        return ids[0] if ids[0].isdigit() else None
    match = _HILMA_NOTICE.search(parts.path)
    return match.group(1) if match else None


@kind(Source.Kind.FI_WEB)
def poll_fi_web(run: Run) -> None:
    poll_page(run, "fi-web")


@kind(Source.Kind.OCDS)
def poll_ocds(run: Run) -> None:
    poll_page(run, "ocds")
