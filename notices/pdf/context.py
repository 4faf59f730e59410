"""What the PDF summary shows: everything the template needs, already clipped and formatted.

Notice text is untrusted: each field is capped here (``MAX_*``) before it reaches the template, so no
notice can make a render take long or a document absurdly large; links are kept only for http(s).
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from notices.display import (
    FIELD_LABELS,
    KIND_LABELS,
    SCHEME_LABELS,
    SOURCE_LABELS,
    cancel_reason,
    cpv_labels,
    local_time,
    money,
    review_reasons,
    time_left,
    utc_time,
)
from notices.models import Deadline, Notice
from notices.vocab import KIND_ORDER, natural_key

# Caps on untrusted input, so no notice can make a render take long or a document absurdly large.
MAX_TITLE = 500
MAX_DESCRIPTION = 4_000
MAX_LOTS = 400
MAX_LOT_TITLE = 200
MAX_LOT_CPV = 4
MAX_DEADLINES = 600
MAX_LINKS = 30
MAX_URL = 300
MAX_CPV = 100
MAX_VERSIONS = 30
MAX_CHANGES_PER_VERSION = 20
MAX_LOTS_IN_LABEL = 12
MAX_FIELD = 300  # names, addresses, identifiers, phone numbers


def summary_context(notice: Notice, lang: str, now: dt.datetime) -> dict:
    """Everything the template shows, already clipped and formatted (call inside translation.override)."""
    language = notice.language or ""
    description = notice.descriptions.get(language) or next(iter(notice.descriptions.values()), "")
    other_title = notice.titles.get(lang) if lang != language else None
    if other_title and other_title.strip() == notice.title.strip():
        other_title = None
    lots = sorted(notice.lots.all()[: MAX_LOTS + 1], key=lambda lot: natural_key(lot.lot_id))
    deadlines = list(notice.deadlines.filter(active=True)[: MAX_DEADLINES + 1])
    versions = list(notice.versions.defer("raw", "record").order_by("-number")[: MAX_VERSIONS + 1])
    lot_titles = {lot.lot_id: lot.title for lot in lots}
    current = notice.current_version
    return {
        "lang": lang,
        "notice": notice,
        "language": language,
        "title": _clip(notice.title, MAX_TITLE),
        "other_title": _clip(other_title, MAX_TITLE) if other_title else "",
        "description": _clip(description, MAX_DESCRIPTION),
        "description_clipped": len(description) > MAX_DESCRIPTION,
        "cancelled": notice.status == Notice.Status.CANCELLED,
        "cancel_reason": _clip(_one_line(cancel_reason(notice)), MAX_DESCRIPTION),
        "version": current.number if current else None,
        "version_received": local_time(current.received_at, short=True) if current else "",
        "published": local_time(notice.published_at, short=True, publication=True) if notice.published_at else "",
        "rendered": local_time(now, short=True),
        "procedure_id": _clip(notice.procedure_id, MAX_FIELD),
        "buyers": [_buyer(b) for b in notice.buyers.prefetch_related("identifiers")],
        "contacts": [_contact(c) for c in notice.contacts.all()],
        "deadline_groups": _deadline_groups(deadlines[:MAX_DEADLINES], lot_titles, now),
        "deadlines_by_lot": any(d.lot for d in deadlines),
        "deadlines_clipped": len(deadlines) > MAX_DEADLINES,
        "lots": [_lot(lot, lang) for lot in lots[:MAX_LOTS]],
        "lots_clipped": len(lots) > MAX_LOTS,
        "cpv": [_clip(c["text"], 160) for c in cpv_labels((notice.all_cpv or notice.cpv)[:MAX_CPV], lang)],
        "estimated_value": money(notice.estimated_value, notice.currency),
        "links": _links(notice.links[:MAX_LINKS]),
        "source": {
            "name": SOURCE_LABELS.get(notice.source, notice.source),
            "url": _url(notice.source_url),
            "id": _clip(notice.source_id, MAX_URL),
        },
        "versions": [_version(v) for v in versions[:MAX_VERSIONS]],
        "versions_clipped": len(versions) > MAX_VERSIONS,
    }


def _clip(text: str | None, limit: int) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _one_line(text: str | None) -> str:
    """Line breaks as spaces, for text in a ``white-space: pre-line`` cell of the template: the cell's own
    line breaks separate its lines, the notice's must not add more (elsewhere they are plain spaces)."""
    return _LINE_BREAKS.sub(" ", text) if text else ""


_LINE_BREAKS = re.compile(r"\r\n|[\r\n]")


def _deadline_groups(rows: list[Deadline], lot_titles: dict[str, str], now: dt.datetime) -> list[dict]:
    """Deadlines by lot (the whole procedure first, then lots in natural order), each lot's by kind.
    Lots whose deadlines are all the same are one group ("LOT-1, LOT-2, LOT-3"), as eForms notices
    often repeat one deadline for each of hundreds of lots."""
    rows = sorted(rows, key=lambda d: (d.lot != "", natural_key(d.lot), KIND_ORDER.get(d.kind, 9), d.at))
    by_lot: dict[str, list[Deadline]] = {}
    for d in rows:
        by_lot.setdefault(d.lot, []).append(d)
    merged: dict[tuple, list[str]] = {}
    for lot, deadlines in by_lot.items():
        signature = (lot == "", tuple((d.kind, d.at, d.needs_review, tuple(d.review_reasons)) for d in deadlines))
        merged.setdefault(signature, []).append(lot)
    groups = []
    for lots in merged.values():
        deadlines = by_lot[lots[0]]
        label = ", ".join(_clip(lot, MAX_FIELD) for lot in lots[:MAX_LOTS_IN_LABEL])
        if len(lots) > MAX_LOTS_IN_LABEL:
            label += f" … (+{len(lots) - MAX_LOTS_IN_LABEL})"
        groups.append(
            {
                "lot": label,
                "lot_count": len(lots),
                "lot_title": _clip(lot_titles.get(lots[0], ""), 200) if len(lots) == 1 else "",
                "rows": [
                    {
                        "kind": KIND_LABELS.get(d.kind, d.kind),
                        "local": local_time(d.at, short=True),
                        "utc": utc_time(d.at, short=True),
                        "left": time_left(d.at - now, short=True),
                        "passed": d.at <= now,
                        "needs_review": d.needs_review,
                        "review_reasons": "; ".join(review_reasons(d.review_reasons)),
                    }
                    for d in deadlines
                ],
            }
        )
    return groups


def _buyer(buyer) -> dict:
    return {
        "name": _clip(_one_line(buyer.name), MAX_FIELD),
        "identifiers": [
            {
                "scheme": SCHEME_LABELS.get(i.scheme) or _one_line(i.scheme),
                "code": i.scheme,
                "value": _clip(_one_line(i.value), MAX_FIELD),
                "invalid": i.valid is False,
            }
            for i in buyer.identifiers.all()[:20]
        ],
    }


def _contact(c) -> dict:
    address = []
    if c.street:
        address.append(c.street)
    if c.po_box:
        address.append(_("P.O. Box %(number)s") % {"number": c.po_box})
    place = " ".join(p for p in (c.postal_code, c.city) if p)
    if place:
        address.append(place)
    if c.country and c.country != "FI":
        address.append(c.country)
    return {
        "address": _clip(", ".join(address), MAX_FIELD),
        "email": _clip(c.email, MAX_FIELD),
        "phone": _phone(c.phone, c.phone_e164, c.phone_valid),
        "fax": _phone(c.fax, c.fax_e164, c.fax_valid),
        "url": _url(c.url),
        "url_text": _clip(c.url, MAX_URL),
    }


def _phone(as_written: str, e164: str, valid: bool | None) -> dict | None:
    if not as_written and not e164:
        return None
    shown = as_written or e164
    return {
        "text": _clip(shown, MAX_FIELD),
        "e164": e164 if valid and e164 and e164 != shown.replace(" ", "") else "",
        "invalid": valid is False,
    }


def _lot(lot, lang: str) -> dict:
    return {
        "id": _clip(lot.lot_id, MAX_FIELD),
        "title": _clip(lot.title, MAX_LOT_TITLE),
        "cpv": "; ".join(_clip(c["text"], 80) for c in cpv_labels(lot.cpv[:MAX_LOT_CPV], lang))
        + (" …" if len(lot.cpv) > MAX_LOT_CPV else ""),
        "value": money(lot.estimated_value, ""),
    }


def _url(url: str | None) -> str:
    """A link target only for http(s): anything else is shown as text and never made clickable."""
    url = (url or "").strip()
    return url[:MAX_URL] if urlsplit(url).scheme.lower() in ("http", "https") else ""


def _links(links: list[str]) -> list[dict]:
    return [{"href": _url(link), "text": _clip(link, MAX_URL)} for link in links]


def _version(v) -> dict:
    changes = v.changes or {}
    lines: list[str] = []

    def where(c):
        kind = KIND_LABELS.get(c.get("kind"), c.get("kind") or "")
        lot = c.get("lot")
        return _("%(kind)s, lot %(lot)s") % {"kind": kind, "lot": lot} if lot else str(kind)

    def when(value):
        try:
            return local_time(dt.datetime.fromisoformat(value), short=True)
        except (TypeError, ValueError):
            return str(value or "")

    if changes.get("outcome") == "stale":
        lines.append(_("older than the version in force; kept for the record"))
    if changes.get("outcome") == "attached":  # TED's or Hilma's published copy of an officer's notice
        where = "TED" if changes.get("kind") == "eu" else "Hilma"
        lines.append(_("the copy published in %(where)s; the notice here is unchanged") % {"where": where})
    if changes.get("cancelled"):
        lines.append(_("the notice was cancelled"))
    for c in changes.get("moved", []):
        lines.append(
            _("moved: %(what)s from %(old)s to %(new)s")
            % {"what": where(c), "old": when(c.get("old")), "new": when(c.get("new"))}
        )
    for c in changes.get("added", []):
        if v.number > 1:
            lines.append(_("added: %(what)s %(new)s") % {"what": where(c), "new": when(c.get("new"))})
    for c in changes.get("removed", []):
        lines.append(_("removed: %(what)s (was %(old)s)") % {"what": where(c), "old": when(c.get("old"))})
    fields = list(dict.fromkeys(str(FIELD_LABELS.get(f, f)) for f in changes.get("fields", [])))
    if fields:
        lines.append(_("changed: %(fields)s") % {"fields": ", ".join(fields)})
    if v.number == 1 and not lines:
        lines.append(_("first version"))
    clipped = len(lines) > MAX_CHANGES_PER_VERSION
    lines = [_clip(_one_line(line), 400) for line in lines[:MAX_CHANGES_PER_VERSION]]
    if clipped:
        lines.append("…")
    return {
        "number": v.number,
        "received": local_time(v.received_at, short=True),
        "issued": local_time(v.issued_at, short=True, publication=True) if v.issued_at else "",
        "ref": _clip(_one_line(v.source_ref), MAX_URL),
        "origin": _one_line(_url(v.origin)),
        "lines": lines,
    }
