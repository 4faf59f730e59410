"""Finding notices and deadlines: full text, filters, the "next deadline" order, counts and cursors.

**Full text** (``q``) covers the title and every title and description in every language.
PostgreSQL: each word as its 'finnish' or 'swedish' stem or (three letters or more) as a prefix in
'simple' ("tie" finds "Tienhoito", "urakan" finds "urakka"), all words ANDed, against one tsvector
made in the same three configurations, a stored generated column with a GIN index (migrations 0004,
0007): Finnish and Swedish words match in any inflected form their stemmer knows, other
languages and codes word for word. SQLite: FTS5 (unicode61, diacritics folded), kept in sync by triggers;
FTS5 has no Finnish stemmer, so each word of six letters or more is searched by its stem less the last two
letters, as a prefix ("urakan" finds "urakka"), shorter words as prefixes. All words must match.

**"Next deadline"** is the earliest tender or participation deadline *still ahead*. The store keeps
``Notice.next_deadline`` (earliest of them) and ``closes_at`` (latest), both indexed with ``status``. For
nearly every notice the earliest is the next one; it is not only for a notice with lots closing at
different times whose first lot has closed. The open list is therefore read from two sources and merged:
notices whose ``next_deadline`` is ahead, in index order, and the few whose ``next_deadline`` has passed
while ``closes_at`` is ahead (a partial index holds exactly the notices with ``next_deadline <
closes_at``), whose next deadline is looked up in their deadlines. Closed and cancelled notices have no
deadline ahead; they follow, most recently closed first (``closes_at`` descending, notices without one
last).

**Counts**: ``count`` is exact up to ``API_COUNT_CAP`` (1,000) matches, and then says 1,000 with
``count_exact: false``: counting a million rows (or even 10,000 matches of a broad word) costs more than
the page itself. ``offset`` is limited to 10,000; ``cursor`` (from ``next_cursor``) pages to any depth at
the cost of one index range each.

**Broad and narrow filters**: a word or CPV prefix matching more than ``BROAD`` (5,000) rows is probed
notice by notice along the ordering index (a page needs a few hundred probes); a narrower one is collected
and sorted (cheaper than probing the index until a page fills). One ``LIMIT``-ed count decides.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Exists, F, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL

from notices.errors import Invalid
from notices.models import Buyer, BuyerIdentifier, Deadline, Notice, NoticeCpv
from notices.readers.ids import identify
from notices.vocab import CLOSING_KINDS, DEADLINE_KINDS, EARLIEST, LATEST, SOURCES, in_range

PARTLY_MAX = 5_000  # partly closed notices passed to the database as a list of ids (more: as a subquery)
STATUSES = ("open", "closed", "cancelled")

# A stored generated column on PostgreSQL (migration 0007), GIN-indexed: the vector of the title, titles and
# descriptions in the 'finnish', 'swedish' and 'simple' configurations.
_PG_VECTOR = '"notices_notice"."search_vector"'
# One word: its Finnish or Swedish stem, or (three letters or more) any word it starts, as on SQLite.
_PG_WORD = (
    "(to_tsquery('finnish'::regconfig, %s) || to_tsquery('swedish'::regconfig, %s)"
    " || to_tsquery('simple'::regconfig, %s))"
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # letters and digits: never query syntax of either database
_MAX_WORDS = 20


def count_cap() -> int:
    return settings.API_COUNT_CAP


# --- filters ------------------------------------------------------------------------------------------


def fts_query(q: str) -> str | None:
    """An FTS5 MATCH expression for free text: every word, as a (stemmed) prefix; None if no words."""
    terms = []
    for word in _WORD.findall(q.casefold())[:_MAX_WORDS]:
        stem = word[:-2] if len(word) >= 6 else word
        terms.append('"' + stem.replace('"', "") + '"*')
    return " ".join(terms) or None


# A filter matching more rows than this is "broad": the list then walks its ordering index and checks
# each notice (a few hundred probes find a page), instead of collecting every match and sorting them.
BROAD = 5_000


def _broad(sql: str, params) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({sql} LIMIT {BROAD}) AS estimate", params)
        return cursor.fetchone()[0] >= BROAD


def text_condition(q: str):
    """A condition on notices_notice for ``q`` (all words), or None when ``q`` has nothing to search."""
    if connection.vendor == "postgresql":
        words = _WORD.findall(q.casefold())[:_MAX_WORDS]
        if not words:
            return None
        query = " && ".join([_PG_WORD] * len(words))
        params = [p for w in words for p in (w, w, f"{w}:*" if len(w) >= 3 else w)]
        return RawSQL(f"{_PG_VECTOR} @@ ({query})", params, output_field=BooleanField())
    match = fts_query(q)
    if match is None:
        return None
    inner = "SELECT rowid FROM notices_notice_fts WHERE notices_notice_fts MATCH %s"
    # "+id" keeps SQLite from driving the query by the matches' ids when they are many: it walks the
    # list's index instead and checks each notice against the matches (collected once).
    plus = "+" if _broad(inner, (match,)) else ""
    return RawSQL(f'{plus}"notices_notice"."id" IN ({inner})', (match,), output_field=BooleanField())


def text_ids(q: str) -> QuerySet | None:
    """Ids of notices matching ``q`` (a subquery), or None when ``q`` has nothing to search for."""
    condition = text_condition(q)
    return None if condition is None else Notice.objects.filter(condition).values("id")


def cpv_range(prefix: str) -> tuple[str, str | None]:
    """Codes starting with ``prefix`` (digits) are those in [low, high): an index range in any collation."""
    low = prefix
    stripped = prefix.rstrip("9")
    high = (stripped[:-1] + str(int(stripped[-1]) + 1)) if stripped else None
    return low, high


def cpv_rows(prefix: str) -> QuerySet:
    low, high = cpv_range(prefix)
    rows = NoticeCpv.objects.filter(code__gte=low)
    if high is not None:
        rows = rows.filter(code__lt=high)
    return rows


def cpv_notice_ids(prefix: str) -> QuerySet:
    return cpv_rows(prefix).values("notice_id")


def cpv_condition(prefix: str, field: str = "pk"):
    """Notices (or deadlines, ``field="notice_id"``) with a code under ``prefix``: a correlated EXISTS
    when the prefix is broad (probed along the ordering index), an id list when it is narrow."""
    rows = cpv_rows(prefix)
    sql, params = rows.values("pk").query.sql_with_params()
    if _broad(sql, params):
        return Exists(rows.filter(notice_id=OuterRef(field)))
    return Q(**{f"{field}__in": rows.values("notice_id")})


def buyers_for(identifier: str) -> QuerySet:
    """Buyers that an identifier, in any written form, names (0206714-5, FI02067145, 2067145-...)."""
    query = Q(value=identifier.strip()) | Q(as_written=identifier.strip())
    # As written, then read as Finnish (02067145 is a Y-tunnus without its dash in a Finnish tracker).
    for found in (identify(identifier), identify(identifier, "FI")):
        if found is not None and found.scheme:
            query |= Q(scheme=found.scheme, value=found.id)
    scheme, sep, value = identifier.partition(":")
    if sep and scheme and value:  # "FI-PRO:0206714-5"
        inner = identify(value, scheme=scheme)
        query |= Q(scheme=scheme, value=inner.id if inner else value)
    return Buyer.objects.filter(pk__in=BuyerIdentifier.objects.filter(query).values("buyer_id"))


@dataclass
class Filters:
    q: str | None = None
    status: str | None = None
    deadline_after: dt.datetime | None = None
    deadline_before: dt.datetime | None = None
    cpv: str | None = None
    buyer: str | None = None
    country: str | None = None
    source: str | None = None
    notice_type: str | None = None
    buyer_id: int | None = None


def check_cpv(value: str | None, where: str = "cpv") -> str | None:
    if value is None or value.strip() == "":
        return None
    value = value.strip().split("-")[0]
    if not value.isdigit() or not value.isascii() or len(value) > 8:
        raise Invalid(
            "cpv must be the leading digits of a CPV code, e.g. 45 or 45233000",
            fields=[(["query", where], "expected 1 to 8 digits")],
        )
    return value


def notices(filters: Filters) -> QuerySet:
    """Notices that match every filter but ``status`` (the caller splits by status to order them)."""
    qs = Notice.objects.all()
    if filters.q and filters.q.strip():
        condition = text_condition(filters.q.strip())
        if condition is not None:
            qs = qs.filter(condition)
    if filters.cpv:
        qs = qs.filter(cpv_condition(filters.cpv))
    if filters.buyer and filters.buyer.strip():
        through = Notice.buyers.through.objects.filter(buyer__in=buyers_for(filters.buyer))
        qs = qs.filter(id__in=through.values("notice_id"))
    if filters.buyer_id is not None:
        through = Notice.buyers.through.objects.filter(buyer_id=filters.buyer_id)
        qs = qs.filter(id__in=through.values("notice_id"))
    if filters.country:
        through = Notice.buyers.through.objects.filter(buyer__country=filters.country.upper())
        qs = qs.filter(id__in=through.values("notice_id"))
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.notice_type:
        qs = qs.filter(notice_type=filters.notice_type)
    if filters.deadline_after or filters.deadline_before:
        deadlines = Deadline.objects.filter(active=True, kind__in=CLOSING_KINDS, at__gte=EARLIEST, at__lt=LATEST)
        if filters.deadline_after:
            deadlines = deadlines.filter(at__gte=filters.deadline_after)
        if filters.deadline_before:
            deadlines = deadlines.filter(at__lt=filters.deadline_before)
        qs = qs.filter(id__in=deadlines.values("notice_id"))
    return qs


# --- cursors ------------------------------------------------------------------------------------------


def encode_cursor(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, keys: tuple[str, ...]) -> dict:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(data, dict) or not all(k in data for k in keys):
            raise ValueError
        return data
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid(
            "cursor is not one this API gave out", fields=[(["query", "cursor"], "use next_cursor as given")]
        ) from None


def _instant(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise Invalid("cursor is not one this API gave out", fields=[(["query", "cursor"], "bad instant")]) from None
    if value.tzinfo is None or value.utcoffset() is None or not in_range(value):
        # Every instant a cursor holds is one the store keeps in range; one outside was not made here.
        raise Invalid("cursor is not one this API gave out", fields=[(["query", "cursor"], "bad instant")])
    return value


# --- notices in "next deadline" order -----------------------------------------------------------------


@dataclass
class Page:
    rows: list[tuple[int, dt.datetime | None]]  # (notice id, next deadline still ahead or None)
    count: int
    count_exact: bool
    next_cursor: str | None


def _next_ahead(now: dt.datetime):
    return Subquery(
        Deadline.objects.filter(notice=OuterRef("pk"), active=True, kind__in=CLOSING_KINDS, at__gt=now, at__lt=LATEST)
        .order_by()
        .values("notice")
        .annotate(m=Min("at"))
        .values("m")[:1]
    )


def _open_rows(base: QuerySet, now: dt.datetime, after: tuple[dt.datetime, int] | None, n: int) -> list:
    """Up to ``n`` open notices in (next deadline ahead, id) order, after the key ``after``."""
    s1 = base.filter(status=Notice.Status.ACTIVE, next_deadline__gt=now)
    if after is not None:
        key, pk = after
        s1 = s1.filter(Q(next_deadline__gt=key) | Q(next_deadline=key, pk__gt=pk))
    first = list(s1.order_by("next_deadline", "pk").values_list("pk", "next_deadline")[:n])
    # Notices whose first closing deadline passed while a later one is ahead (partial index).
    partly = dict(
        status=Notice.Status.ACTIVE, next_deadline__lt=F("closes_at"), closes_at__gt=now, next_deadline__lte=now
    )
    if connection.vendor == "postgresql" and base.query.where:
        # Found first without the other filters (few rows, one index range): PostgreSQL cannot estimate
        # the two-sided range and, with filters, planned hash joins over thousands of them (180 ms).
        candidates = list(Notice.objects.filter(**partly).values_list("pk", flat=True)[: PARTLY_MAX + 1])
        s2 = base.filter(pk__in=candidates) if len(candidates) <= PARTLY_MAX else base.filter(**partly)
    else:
        s2 = base.filter(**partly)
    s2 = s2.annotate(ahead=_next_ahead(now))
    if after is not None:
        key, pk = after
        s2 = s2.filter(Q(ahead__gt=key) | Q(ahead=key, pk__gt=pk))
    second = [(pk, ahead or closes) for pk, ahead, closes in s2.order_by("ahead", "pk").values_list("pk", "ahead", "closes_at")[:n]]
    return sorted(first + second, key=lambda r: (r[1], r[0]))[:n]


def _rest(base: QuerySet, status: str | None, now: dt.datetime) -> QuerySet:
    if status == "cancelled":
        qs = base.filter(status=Notice.Status.CANCELLED)
    elif status == "closed":
        qs = base.filter(Q(closes_at__lte=now) | Q(closes_at__isnull=True), status=Notice.Status.ACTIVE)
    else:  # everything not open
        qs = base.filter(
            Q(status=Notice.Status.CANCELLED) | Q(closes_at__lte=now) | Q(closes_at__isnull=True)
        )
    return qs


def _rest_ordered(qs: QuerySet) -> QuerySet:
    return qs.order_by(F("closes_at").desc(nulls_last=True), "-pk")


def _rest_after(qs: QuerySet, closes: dt.datetime | None, pk: int) -> QuerySet:
    if closes is None:
        return qs.filter(closes_at__isnull=True, pk__lt=pk)
    return qs.filter(Q(closes_at__lt=closes) | Q(closes_at=closes, pk__lt=pk) | Q(closes_at__isnull=True))


def _capped_count(qs: QuerySet) -> tuple[int, bool]:
    cap = count_cap()
    n = qs.order_by()[: cap + 1].count()
    return (cap, False) if n > cap else (n, True)


def _open_count(base: QuerySet, now: dt.datetime) -> QuerySet:
    return base.filter(status=Notice.Status.ACTIVE, closes_at__gt=now)


def page(
    filters: Filters, *, now: dt.datetime, limit: int, offset: int = 0, cursor: str | None = None
) -> Page:
    """One page of notices in "next deadline" order (see the module docstring)."""
    base = notices(filters)
    status = filters.status
    if status == "open":
        counted = _open_count(base, now)
    elif status in ("closed", "cancelled"):
        counted = _rest(base, status, now)
    else:
        counted = base
    count, exact = _capped_count(counted)

    segment, key, key_pk = "o", None, None
    if cursor:
        data = decode_cursor(cursor, ("s", "k", "i", "n"))
        if data["s"] not in ("o", "r") or not isinstance(data["i"], int):
            raise Invalid("cursor is not one this API gave out", fields=[(["query", "cursor"], "bad segment")])
        segment, key, key_pk = data["s"], _instant(data["k"]), data["i"]
        now = _instant(data["n"])  # the same "now" for every page of one walk
        if segment == "o" and key is None:
            raise Invalid("cursor is not one this API gave out", fields=[(["query", "cursor"], "bad key")])

    rows: list[tuple[int, dt.datetime | None]] = []
    with_open = status in (None, "open")
    with_rest = status != "open"
    if cursor:
        # Keyset paging: continue after the cursor's key, open notices first, then the rest.
        if segment == "o" and with_open:
            rows = _open_rows(base, now, (key, key_pk), limit + 1)
        if len(rows) <= limit and with_rest:
            rest = _rest_ordered(_rest(base, status, now))
            if segment == "r":
                rest = _rest_after(rest, key, key_pk)
            rows += [(pk, None) for pk in rest.values_list("pk", flat=True)[: limit + 1 - len(rows)]]
        more = len(rows) > limit
        rows = rows[:limit]
    else:
        # Offset paging (offset <= API_COUNT_CAP): the open list, then the rest once it has run out.
        want = offset + limit + 1
        rows = _open_rows(base, now, None, want) if with_open else []
        if len(rows) < want and with_rest:
            rest = _rest_ordered(_rest(base, status, now))
            rows += [(pk, None) for pk in rest.values_list("pk", flat=True)[: want - len(rows)]]
        more = len(rows) > offset + limit
        rows = rows[offset : offset + limit]
    return _finish(rows, more, count, exact, now, status)


def _finish(rows, more, count, exact, now, status) -> Page:
    next_cursor = None
    if more and rows:
        pk, ahead = rows[-1]
        if ahead is not None:
            data = {"s": "o", "k": ahead.isoformat(), "i": pk, "n": now.isoformat()}
        else:
            closes = Notice.objects.filter(pk=pk).values_list("closes_at", flat=True).first()
            data = {"s": "r", "k": closes.isoformat() if closes else None, "i": pk, "n": now.isoformat()}
        next_cursor = encode_cursor(data)
    return Page(rows, count, exact, next_cursor)


# --- deadlines ----------------------------------------------------------------------------------------


@dataclass
class DeadlineFilters:
    after: dt.datetime | None = None
    before: dt.datetime | None = None
    kind: str | None = None
    cpv: str | None = None
    buyer: str | None = None


def deadlines(filters: DeadlineFilters, *, now: dt.datetime) -> QuerySet:
    """Active deadlines of notices that are not cancelled, from ``after`` (default now) on."""
    # Only instants in the usable range (notices.gate): a year-9999 deadline a source wrote is shown on
    # its notice, flagged, but is no deadline to list.
    qs = Deadline.objects.filter(active=True, at__gte=max(filters.after or now, EARLIEST), at__lt=LATEST).exclude(
        notice__status=Notice.Status.CANCELLED
    )
    if filters.before:
        qs = qs.filter(at__lt=filters.before)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.cpv:
        qs = qs.filter(cpv_condition(filters.cpv, "notice_id"))
    if filters.buyer and filters.buyer.strip():
        through = Notice.buyers.through.objects.filter(buyer__in=buyers_for(filters.buyer))
        qs = qs.filter(notice_id__in=through.values("notice_id"))
    return qs


def deadline_page(filters: DeadlineFilters, *, now: dt.datetime, limit: int, offset: int, cursor: str | None):
    qs = deadlines(filters, now=now)
    count, exact = _capped_count(qs)
    ordered = qs.order_by("at", "pk")
    if cursor:
        data = decode_cursor(cursor, ("k", "i"))
        key = _instant(data["k"])
        if key is None or not isinstance(data["i"], int):
            raise Invalid("cursor is not one this API gave out", fields=[(["query", "cursor"], "bad key")])
        ordered = ordered.filter(Q(at__gt=key) | Q(at=key, pk__gt=data["i"]))
        offset = 0
    rows = list(ordered.select_related("notice").only(
        "pk", "kind", "lot", "at", "needs_review", "notice__id", "notice__title", "notice__status"
    )[offset : offset + limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor({"k": rows[-1].at.isoformat(), "i": rows[-1].pk}) if more and rows else None
    return rows, count, exact, next_cursor


__all__ = [
    "DEADLINE_KINDS",
    "SOURCES",
    "STATUSES",
    "Filters",
    "DeadlineFilters",
    "page",
    "deadline_page",
    "buyers_for",
    "check_cpv",
]
