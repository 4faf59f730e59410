"""Finding notices and deadlines: full text, filters, the "next deadline" order, counts and cursors.

**Full text** (``q``) covers the title and every title and description in every language; what matches is
said once, in ``Words``: every word and "quoted phrase" must match; a word matches as the beginning of a
word, by its Finnish or Swedish snowball stem ("koulun", "kouluille" find "koulu"), and with three letters or
more inside longer words ("koulu" finds "alakoulun", "skola" finds "lågstadieskola"). PostgreSQL: pg_trgm
(``LIKE '%word%'`` on a stored lower-cased text column with a GIN index, migration 0016) and, for short
words, phrases and relevance, the stored tsvector in the 'finnish', 'swedish' and 'simple' configurations
(0004, 0007). SQLite: an FTS5 trigram table for words inside words (0016) and the unicode61 FTS5 table
(diacritics folded) for short words, phrases and relevance, stems from ``snowballstemmer`` (the same
algorithms as PostgreSQL's). ``sort=relevance`` puts word-level matches before compound-only ones.

**"Next deadline"** is the earliest tender or participation deadline *still ahead*. The notice keeps
``next_deadline`` and ``closes_at`` (the latest), both indexed with ``status``: the store writes the earliest
closing deadline, and runscheduler moves it past each one that passes (``notices.store.
advance_next_deadlines``, every minute), so for nearly every open notice it is the next one. The open list
is read from two sources and merged: notices whose ``next_deadline`` is ahead, in index order, and the few
whose ``next_deadline`` has passed while ``closes_at`` is ahead and that the job has not yet moved (a
partial index holds the notices with ``next_deadline < closes_at``, ordered by ``next_deadline``), whose
next deadline is looked up in their deadlines. Closed and cancelled notices have no deadline ahead; they
follow, most recently closed first (``closes_at`` descending, notices without one last).

**Counts**: ``count`` is exact up to ``API_COUNT_CAP`` (1,000) matches, and then says 1,000 with
``count_exact: false``: counting a million rows (or even 10,000 matches of a broad word) costs more than
the page itself. ``offset`` is limited to 10,000; ``cursor`` (from ``next_cursor``) pages to any depth at
the cost of one index range each.

**Filters held in memory** (``notices.postings``): for the lists (``page``), a filter's matches (words, a CPV
or NUTS prefix, a buyer, a column's value) are read once and held per process, kept current through the
notice versions stored since. Fewer than ``LIST_MAX`` go to the list's queries as a list of ids; more are
intersected in Python with the other held filters (two filters at 10 % each: 1 % left, which no index
finds fast), and the list's queries check each notice with a look-up (SQLite: ``notices_in_set``, a
Python function; PostgreSQL: ``get_bit`` on a bitmap parameter) along the ordering index, whose entries
carry the id. Counts then read the held ids in chunks (open notices), walk the status index (closed and
cancelled ones, or a dense posting on PostgreSQL), or walk another filter's own index (a deadline range:
a ``Driver``) with the look-up. A filter matching more than ``postings.MAX_IDS`` notices, a deadline range
(different nearly every request) and any search outside the lists (alerts, feeds) are not held: a
narrow one (< ``BROAD`` matches, one ``LIMIT``-ed read) is a list, a broad one is checked notice by notice
along the list's index, cheap checks first; on SQLite the text check is ``text_match``, a Python function
over the notice's columns (probing FTS5 for one notice costs about 1 ms), and it is counted by walking its
own index (a ``Driver``) until the cap. The broad verdict of such a search is kept for ``BROAD_FOR``
seconds per process (finding it costs reading 5,000 matches).

**One notice checked in Python** (the last section: ``notice_check``, ``notice_facts``): the same filters
as a test of one notice's facts, for alerts (thousands of saved searches against each new notice); it
says True or False only where it decides exactly what the SQL decides, else None (ask ``notices()``).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import json
import re
import threading
import time
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import snowballstemmer
from django.conf import settings
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from django.db.models import BooleanField, Exists, F, Min, OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from stdnum.fi import ytunnus as fi_ytunnus

from notices import codes, postings
from notices.errors import Invalid
from notices.models import Buyer, BuyerIdentifier, Deadline, Notice, NoticeCpv, NoticeRegion
from notices.readers.ids import identify
from notices.vocab import CLOSING_KINDS, DEADLINE_KINDS, EARLIEST, LATEST, SOURCES, in_range

PARTLY_MAX = 5_000  # partly closed notices passed to the database as a list of ids (more: as a subquery)
STATUSES = ("open", "closed", "cancelled")

# A stored generated column on PostgreSQL (migration 0007), GIN-indexed: the vector of the title, titles and
# descriptions in the 'finnish', 'swedish' and 'simple' configurations.
_PG_VECTOR = '"notices_notice"."search_vector"'
# The same text lower-cased, a stored generated column with a pg_trgm GIN index (migration 0016).
_PG_TEXT = '"notices_notice"."search_text"'
# One word at word level: its Finnish or Swedish stem, or any word it begins (the 'simple' prefix).
_PG_WORD = (
    "(to_tsquery('finnish'::regconfig, %s) || to_tsquery('swedish'::regconfig, %s)"
    " || to_tsquery('simple'::regconfig, %s))"
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # letters and digits: never query syntax of either database
_QUOTED = re.compile(r'"([^"]*)"?')
_MAX_WORDS = 20
COMPOUND_MIN = 3  # a word this long or longer also matches inside longer words
_STEMMERS = (snowballstemmer.stemmer("finnish"), snowballstemmer.stemmer("swedish"))


def count_cap() -> int:
    return settings.API_COUNT_CAP


# --- words --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Words:
    """What ``q`` asks for: single words (lower-cased) and quoted phrases (each a tuple of words).

    Every word and every phrase must match. A word matches a notice when, in its titles or descriptions,
    - a word begins with it or with its Finnish or Swedish stem (word level: "koulun", "kouluille" find
      "koulu"; "skolan" finds "skola"), or
    - it has three letters or more and it, or its stem, appears inside a longer word (a compound:
      "koulu" finds "alakoulun", "skola" finds "lågstadieskola").
    A phrase matches its words in that order, word for word. ``sort=relevance`` puts the notices in which
    every word matches at word level before those where some word matched only inside a compound.
    """

    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases)


def parse_words(q: str | None) -> Words:
    """The words and "quoted phrases" of ``q``; an unclosed quote runs to the end."""
    words: list[str] = []
    phrases: list[tuple[str, ...]] = []
    text = (q or "").lower()
    last = 0
    for match in _QUOTED.finditer(text):
        words += _WORD.findall(text[last : match.start()])
        inner = tuple(_WORD.findall(match.group(1)))
        if len(inner) > 1:
            phrases.append(inner)
        else:
            words += inner
        last = match.end()
    words += _WORD.findall(text[last:])
    words = list(dict.fromkeys(words))[:_MAX_WORDS]
    phrases = list(dict.fromkeys(phrases))[: max(0, _MAX_WORDS - len(words))]
    return Words(tuple(words), tuple(p[:_MAX_WORDS] for p in phrases))


def stems(word: str) -> list[str]:
    """The word and its Finnish and Swedish stems (snowball, as PostgreSQL's text search configurations),
    shortest first, without one that begins with another (that one already covers it)."""
    forms = sorted({word, *(s.stemWord(word) for s in _STEMMERS)} - {""}, key=lambda f: (len(f), f))
    kept: list[str] = []
    for form in forms:
        if not any(form.startswith(k) for k in kept):
            kept.append(form)
    return kept


def inner_forms(word: str) -> list[str]:
    """What is looked for inside longer words: the word and its stems of three letters or more, without
    one that contains another. Empty for a word shorter than three letters."""
    if len(word) < COMPOUND_MIN:
        return []
    forms = sorted({f for f in stems(word) if len(f) >= COMPOUND_MIN} | {word}, key=lambda f: (len(f), f))
    kept: list[str] = []
    for form in forms:
        if not any(k in form for k in kept):
            kept.append(form)
    return kept


def fts_query(q: str) -> str | None:
    """The word-level FTS5 MATCH expression (unicode61 table): each word as a prefix of any of its stems,
    each phrase word for word; None if no words. Every word and phrase must match."""
    return _fts_words(parse_words(q), short_only=False)


def _fts_words(words: Words, *, short_only: bool) -> str | None:
    terms = []
    for word in words.words:
        if short_only and len(word) >= COMPOUND_MIN:
            continue  # the trigram table finds it (inside compounds, which includes word level)
        terms.append("(" + " OR ".join(f'"{form}"*' for form in stems(word)) + ")")
    for phrase in words.phrases:
        terms.append('"' + " ".join(phrase) + '"')
    return " AND ".join(terms) or None


def _trigram_query(words: Words) -> str | None:
    terms = []
    for word in words.words:
        forms = inner_forms(word)
        if forms:
            terms.append("(" + " OR ".join(f'"{form}"' for form in forms) + ")")
    return " AND ".join(terms) or None


# --- filters ------------------------------------------------------------------------------------------


# A filter matching more rows than this is "broad": the list then walks its ordering index and checks
# each notice (a few hundred probes find a page), instead of collecting every match and sorting them.
BROAD = 5_000
_BROAD_AT_START = BROAD


# Filters found broad lately, per process: (database, SQL, parameters) -> when. Finding that a search
# matches 5,000 notices or more costs reading 5,000 of its matches (about 25 ms for a long word inside
# compounds at a million notices); a filter that broad stays broad for minutes, so the verdict is kept.
# Narrow filters' ids are read every time (they change with every stored notice).
BROAD_FOR = 600.0  # seconds
_broad_seen: dict[tuple, float] = {}
_broad_lock = threading.Lock()


def _collect(sql: str, params) -> list[int] | None:
    """The ids ``sql`` yields (its first column) when there are fewer than ``BROAD``, else None (broad).

    A narrow filter's ids are collected once and given to the list's queries as a list: the filter's
    own query (an FTS5 match costs milliseconds) then runs once a request instead of once a query."""
    key = (connection.alias, connection.settings_dict.get("NAME"), sql, tuple(str(p) for p in params))
    seen = _broad_seen.get(key)
    if seen is not None and time.monotonic() - seen < BROAD_FOR and BROAD == _BROAD_AT_START:
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({sql} LIMIT {BROAD}) AS estimate", params)
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) >= BROAD:
        if BROAD != _BROAD_AT_START:  # a test's threshold: no verdict kept
            return None
        with _broad_lock:
            if len(_broad_seen) > 10_000:
                _broad_seen.clear()
            _broad_seen[key] = time.monotonic()
        return None
    return sorted(set(ids))


def forget_broad() -> None:
    """Forget the broad verdicts (tests that change the data under the same search)."""
    with _broad_lock:
        _broad_seen.clear()


def _ids(ids: list[int], field: str = "pk") -> Condition:
    return Condition(Q(**{f"{field}__in": id_list(ids)}), narrow=True, ids=ids if field == "pk" else None)


def id_list(ids: list[int]) -> RawSQL:
    """``ids`` written into the SQL, for ``field__in``: Django's own ``__in`` of a list makes a parameter of
    each id, which cost 2-3 ms a query for 5,000 ids (and SQLite allows only 32,766); as one parameter
    (``json_each``, ``unnest``) the planners cannot tell one id from a million and walked the whole list
    (20 ms for one id). Whole numbers only, so nothing else can enter the SQL. No ids: -1, which no notice
    has (NULL would make ``NOT IN`` match nothing either)."""
    return RawSQL(", ".join(str(int(pk)) for pk in ids) or "-1", ())


# --- SQLite: one notice checked in Python, the same rule as the FTS5 tables --------------------------------
#
# FTS5 answers "which notices match" fast, but checking one given notice (a probe along the list's index)
# costs it about 1 ms (the query is parsed again and every term's list sought). So a broad filter's probe
# is this function over the notice's own columns: the same text the triggers index (title, titles,
# descriptions), the same rule (inside words: a substring of the lower-cased text, as the trigram
# tokenizer; at word level: letters and digits with diacritics folded, as unicode61).

SQLITE_FUNCTION = "notices_text_match"


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@lru_cache(maxsize=256)
def _spec(spec: str) -> tuple:
    data = json.loads(spec)
    return tuple(map(tuple, data["w"])), tuple(map(tuple, data["s"])), tuple(map(tuple, data["p"]))


def _texts(value) -> list[str]:
    if not value:
        return []
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        return []
    return [v for v in data.values() if isinstance(v, str)] if isinstance(data, dict) else []


def text_match(title, titles, descriptions, spec: str) -> int:
    """1 when the notice's text matches ``spec`` (``_match_spec``), else 0: the probe of a broad search."""
    inner, short, phrases = _spec(spec)
    # Most probes fail: an ASCII form absent from the raw columns (JSON escapes only non-ASCII and
    # control characters, never letters or digits) is absent from the text, without decoding anything.
    raw = f"{title or ''} {titles or ''} {descriptions or ''}".lower()
    for forms in inner:
        if all(form.isascii() for form in forms) and not any(form in raw for form in forms):
            return 0
    return _words_in(_plain_text(title, titles, descriptions).lower(), inner, short, phrases)


def _plain_text(title, titles, descriptions) -> str:
    """The text searched: the title, every title and every description (the JSON columns as stored)."""
    return " ".join([title or "", " ".join(_texts(titles)), " ".join(_texts(descriptions))])


def _words_in(text: str, inner, short, phrases, tokens: list[str] | None = None) -> int:
    """1 when the lower-cased ``text`` has every word and phrase of a parsed spec (``_spec``), else 0.
    ``tokens``: its folded words, when the caller has them already."""
    for forms in inner:
        if not any(form in text for form in forms):
            return 0
    if short or phrases:
        if tokens is None:
            tokens = _WORD.findall(_fold(text))
        for forms in short:
            if not any(t.startswith(f) for t in tokens for f in forms):
                return 0
        for phrase in phrases:
            n = len(phrase)
            if not any(tuple(tokens[i : i + n]) == phrase for i in range(len(tokens) - n + 1)):
                return 0
    return 1


def _match_spec(words: Words) -> str:
    return json.dumps({
        "w": [inner_forms(w) for w in words.words if len(w) >= COMPOUND_MIN],
        "s": [[_fold(f) for f in stems(w)] for w in words.words if len(w) < COMPOUND_MIN],
        "p": [[_fold(w) for w in phrase] for phrase in words.phrases],
    }, ensure_ascii=False)


def register_sqlite_functions(sender=None, connection=None, **kwargs) -> None:
    """``connection_created`` receiver (notices.apps): SQLite connections get ``notices_text_match`` and
    ``notices_in_set`` (notices.postings)."""
    if connection is not None and connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 4, text_match, deterministic=True)
        postings.register_sqlite_function(connection)


@dataclass(frozen=True)
class Driver:
    """An index that yields a filter's notice ids in any order, for counting a broad filter by walking its
    matches (``LIMIT`` cap + 1) instead of the list's index: ``FROM {source} ... ON id = {key}``."""

    source: str
    key: str
    where: str
    params: tuple
    distinct: bool = False


@dataclass
class Condition:
    """A filter on notices_notice; ``driver`` is set when the filter is broad and an index can count it."""

    expression: object
    driver: Driver | None = None
    cost: int = 0  # the order checks are made in: 0 a list or a column, 1 an index probe, 2 text
    narrow: bool = False  # a list of fewer than BROAD ids
    posting: postings.Posting | None = None  # a broad filter's ids held in memory (notices.postings)
    ids: list[int] | None = None  # a narrow filter's notice ids


def _filter(sql: str, params, probe, driver: Driver | None = None, cost: int = 1) -> Condition:
    """A filter whose matches ``sql`` yields (notice ids) and ``probe`` checks on one notice. Its ids are
    held in memory (``notices.postings``, kept current) when there are at most ``postings.MAX_IDS``: fewer
    than ``BROAD`` go to the list's queries as a list; more are intersected with the other held filters
    (``_combined``). A filter too broad to hold is checked notice by notice along the list's index
    (``probe``) and counted along its own (``driver``)."""
    def recheck(ids: list[int]) -> list[int]:
        return list(Notice.objects.filter(pk__in=id_list(ids)).filter(probe).values_list("pk", flat=True))

    # Held only for the lists (``page`` opens ``postings.scope()``): a saved search confirmed against a
    # handful of notices (alerts, feeds) would otherwise read every match of each of thousands of filters.
    if not postings.in_scope():
        ids = _collect(sql, params)
        return Condition(probe, driver, cost=cost) if ids is None else _ids(ids)
    posting = postings.held(sql, params, recheck)
    if posting is None:
        return Condition(probe, driver, cost=cost)
    if len(posting) < LIST_MAX:
        return _ids(posting.ordered)
    return Condition(probe, driver, cost=cost, posting=posting)


# Held ids fewer than this go to the list's queries as a list (each looked up, then sorted: about 2 µs an
# id); more are checked along the list's index (a page of 50 then needs 50 ÷ their share of the notices
# checks, at 0.3-0.5 µs each), which is cheaper from about sqrt(10 × the open notices) ids on.
LIST_MAX = 2_500


def _sqlite_text(words: Words) -> list[Condition]:
    trigram = _trigram_query(words)
    short = _fts_words(words, short_only=True)
    table, match = ("notices_notice_trigram", trigram) if trigram else ("notices_notice_fts", short)
    inner = f"SELECT rowid FROM {table} WHERE {table} MATCH %s"
    probe = RawSQL(
        f'{SQLITE_FUNCTION}("notices_notice"."title", "notices_notice"."titles", '
        '"notices_notice"."descriptions", %s)',
        (_match_spec(words),), output_field=BooleanField(),
    )
    driver = Driver(table, f"{table}.rowid", f"{table} MATCH %s", (match,))
    if not (trigram and short):  # one table's match is the whole rule
        return [_filter(inner, (match,), probe, driver, cost=2)]
    # Words inside words and short words or phrases: the trigram table's matches, when few, checked
    # against the word table; else every notice checked by the probe (which applies the whole rule).
    ids = _collect(inner, (match,))
    if ids is None:
        return [Condition(probe, driver, cost=2)]
    found = [_ids(ids)]
    if trigram and short and ids:
        found.append(Condition(RawSQL(
            '"notices_notice"."id" IN (SELECT rowid FROM notices_notice_fts WHERE notices_notice_fts MATCH %s)',
            (short,), output_field=BooleanField(),
        )))
    return found


def _pg_inner(word: str) -> tuple[str, list]:
    forms = inner_forms(word)
    return "(" + " OR ".join([f"{_PG_TEXT} LIKE %s"] * len(forms)) + ")", [f"%{f}%" for f in forms]


def _pg_word_level(words: Words, *, short_only: bool) -> tuple[str | None, list]:
    parts, params = [], []
    for word in words.words:
        if short_only and len(word) >= COMPOUND_MIN:
            continue
        if short_only:
            parts.append("to_tsquery('simple'::regconfig, %s)")
            params.append(f"{word}:*")
        else:
            parts.append(_PG_WORD)
            params += [word, word, f"{word}:*"]
    for phrase in words.phrases:
        parts.append("phraseto_tsquery('simple'::regconfig, %s)")
        params.append(" ".join(phrase))
    if not parts:
        return None, []
    return f"{_PG_VECTOR} @@ ({' && '.join(parts)})", params


def text_conditions(q: str | Words) -> list[Condition]:
    """The conditions on notices_notice for ``q`` (every word and phrase, see ``Words``); none when ``q``
    has nothing to search for."""
    words = q if isinstance(q, Words) else parse_words(q)
    if not words:
        return []
    if connection.vendor != "postgresql":
        return _sqlite_text(words)
    parts = [_pg_inner(word) for word in words.words if len(word) >= COMPOUND_MIN]
    sql, params = _pg_word_level(words, short_only=True)
    if sql:
        parts.append((sql, params))
    found = []
    for sql, params in parts:
        select = f'SELECT "notices_notice"."id" FROM "notices_notice" WHERE {sql}'
        found.append(_filter(select, params, RawSQL(sql, params, output_field=BooleanField()), cost=2))
    return found


def text_condition(q: str | Words):
    """One condition on notices_notice for ``q``, or None when ``q`` has nothing to search for."""
    conditions = text_conditions(q)
    if not conditions:
        return None
    result = Q(conditions[0].expression)
    for more in conditions[1:]:
        result &= Q(more.expression)
    return result


def word_level_condition(q: str | Words):
    """Notices in which every word of ``q`` matches at word level (relevance's first tier), or None."""
    words = q if isinstance(q, Words) else parse_words(q)
    if not words:
        return None
    if connection.vendor == "postgresql":
        sql, params = _pg_word_level(words, short_only=False)
        select = f'SELECT "notices_notice"."id" FROM "notices_notice" WHERE {sql}'
        return _checked(_filter(select, params, RawSQL(sql, params, output_field=BooleanField()), cost=2))
    match = _fts_words(words, short_only=False)
    spec = json.dumps({
        "w": [],
        "s": [[_fold(f) for f in stems(w)] for w in words.words],
        "p": [[_fold(w) for w in phrase] for phrase in words.phrases],
    }, ensure_ascii=False)
    probe = RawSQL(
        f'{SQLITE_FUNCTION}("notices_notice"."title", "notices_notice"."titles", "notices_notice"."descriptions", %s)',
        (spec,), output_field=BooleanField(),
    )
    select = "SELECT rowid FROM notices_notice_fts WHERE notices_notice_fts MATCH %s"
    return _checked(_filter(select, (match,), probe, cost=2))


def _checked(condition: Condition):
    """The condition's expression; a held filter's is the look-up in its posting, not its own probe."""
    return _member(condition.posting) if condition.posting is not None else condition.expression


def _member(posting: postings.Posting) -> RawSQL:
    sql, params = postings.member_sql(posting)
    return RawSQL(sql, params, output_field=BooleanField())


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


def _code_bounds(prefix: str) -> tuple[str, str | None]:
    """[low, high) of the codes under ``prefix``: a CPV prefix (digits) or a NUTS one."""
    return cpv_range(prefix) if prefix.isdigit() else (prefix, prefix + "\U0010ffff")


def _code_rows(model, prefix: str) -> QuerySet:
    low, high = _code_bounds(prefix)
    rows = model.objects.filter(code__gte=low)
    if high is not None:
        rows = rows.filter(code__lt=high)
    return rows


def cpv_rows(prefix: str) -> QuerySet:
    return _code_rows(NoticeCpv, prefix)


def cpv_notice_ids(prefix: str) -> QuerySet:
    return cpv_rows(prefix).values("notice_id")


def _where(qs: QuerySet) -> tuple[str, tuple] | None:
    """The WHERE clause of ``qs`` as SQL ("" when it has none), or None when it can match nothing."""
    try:
        sql, params = qs.query.get_compiler(using=qs.db).compile(qs.query.where)
    except FullResultSet:
        return "", ()
    except EmptyResultSet:
        return None
    return sql, tuple(params)


def _code_condition(model, prefix: str, field: str = "pk") -> Condition:
    """Notices (or deadlines, ``field="notice_id"``) with a code under ``prefix``: an id list when few, a
    held posting or a correlated EXISTS (probed along the ordering index) when many (``_filter``)."""
    rows = _code_rows(model, prefix)
    sql, params = rows.values("notice_id").query.sql_with_params()
    table = model._meta.db_table
    where, where_params = _where(rows) or ("0", ())
    driver = Driver(table, f'"{table}"."notice_id"', where or "1", where_params, distinct=True)
    probe = Exists(rows.filter(notice_id=OuterRef(field)))
    if field == "pk":
        return _filter(sql, params, probe, driver)
    ids = _collect(sql, params)  # deadlines of notices with the code (the calendar list)
    return Condition(probe, driver, cost=1) if ids is None else _ids(ids, field)


def cpv_condition(prefix: str, field: str = "pk"):
    return _code_condition(NoticeCpv, prefix, field).expression


class BuyerForms(NamedTuple):
    """The identifier rows an identifier names: ``value`` or ``as_written`` equal to ``text``, or one of
    the ``(scheme, value)`` pairs."""

    text: str
    pairs: frozenset[tuple[str, str]]

    def names(self, scheme: str, value: str, as_written: str) -> bool:
        return value == self.text or as_written == self.text or (scheme, value) in self.pairs


def buyer_forms(identifier: str) -> BuyerForms:
    """What ``buyers_for`` looks for, for a given identifier in any written form."""
    pairs = set()
    # As written, then read as Finnish (02067145 is a Y-tunnus without its dash in a Finnish tracker).
    for found in (identify(identifier), identify(identifier, "FI")):
        if found is not None and found.scheme:
            pairs.add((found.scheme, found.id))
    scheme, sep, value = identifier.partition(":")
    if sep and scheme and value:  # "FI-PRO:0206714-5"
        inner = identify(value, scheme=scheme)
        pairs.add((scheme, inner.id if inner else value))
    return BuyerForms(identifier.strip(), frozenset(pairs))


def buyers_for(identifier: str) -> QuerySet:
    """Buyers that an identifier, in any written form, names (0206714-5, FI02067145, 2067145-...)."""
    forms = buyer_forms(identifier)
    query = Q(value=forms.text) | Q(as_written=forms.text)
    for scheme, value in sorted(forms.pairs):
        query |= Q(scheme=scheme, value=value)
    return Buyer.objects.filter(pk__in=BuyerIdentifier.objects.filter(query).values("buyer_id"))


STATUS_CHOICES = ("open", "closed", "cancelled", "all")
SORTS = ("deadline", "newest", "relevance")
# Notice subtypes: eForms' own are numbers (1-40) and T01/T02; Finland's national ones E1-E6 (Hilma).
SUBTYPE_GROUPS = ("national", "eu")
NATIONAL_SUBTYPES = ("E1", "E2", "E3", "E4", "E5", "E6")
_SUBTYPE = re.compile(r"(?:E[1-6]|T0[12]|[1-9]|[1-3][0-9]|40|CEI|X0[12])", re.ASCII)
_NUTS = re.compile(r"[A-Z]{2}[0-9A-Z]{0,3}", re.ASCII)


@dataclass
class Filters:
    """What a list asks for: the one definition of what matches, for pages, feeds, CSV and the API alike
    (a saved search is one of these: ``as_dict()`` / ``from_dict()`` give it as plain JSON values).

    ``status``: open, closed, cancelled, or None / "all" for every notice. ``region``: a NUTS code prefix
    (FI1B, FI1B1) of a place of performance or the buyer's address. ``subtype``: an eForms notice subtype
    (16, E3), or "national" (E1-E6) or "eu" (the others). ``value_min``/``value_max``: the estimated value,
    whole units of its currency. ``sort``: deadline (the default), newest, or relevance (with words)."""

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
    region: str | None = None
    subtype: str | None = None
    procedure_type: str | None = None
    value_min: int | None = None
    value_max: int | None = None
    language: str | None = None
    sort: str | None = None

    def as_dict(self) -> dict:
        """The filters that are set, as JSON values (instants in ISO 8601)."""
        out = {}
        for name, value in dataclasses.asdict(self).items():
            if value is None or value == "":
                continue
            out[name] = value.isoformat() if isinstance(value, dt.datetime) else value
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Filters:
        values = {k: v for k, v in data.items() if k in {f.name for f in dataclasses.fields(cls)}}
        for name in ("deadline_after", "deadline_before"):
            if isinstance(values.get(name), str):
                values[name] = dt.datetime.fromisoformat(values[name])
        return cls(**values)


class FilterProblem(NamedTuple):
    """One invalid filter: the parameter, a code the pages translate, its values, and the API's sentence."""

    field: str
    code: str
    params: dict
    message: str


class InvalidFilters(Invalid):
    """``Invalid`` with each problem also as a ``FilterProblem`` (the pages show it beside the field)."""

    def __init__(self, problems: list[FilterProblem]):
        super().__init__(
            "; ".join(f"{p.field}: {p.message}" for p in problems),
            fields=[(["query", p.field], p.message) for p in problems],
        )
        self.problems = problems


def check_cpv(value: str | None, where: str = "cpv") -> str | None:
    if value is None or value.strip() == "":
        return None
    value = value.strip().split("-")[0]
    if not value.isdigit() or not value.isascii() or len(value) > 8:
        raise InvalidFilters([FilterProblem(
            where, "cpv_digits", {}, "expected 1 to 8 digits, the leading digits of a CPV code, e.g. 45 or 45233000"
        )])
    return value


def _ytunnus_check_digit(body: str) -> str | None:
    """The Y-tunnus check digit of seven digits (weights 7 9 10 5 8 4 2, modulo 11); None when no digit
    fits (remainder 1: no business ID is given such digits)."""
    remainder = sum(int(d) * w for d, w in zip(body, (7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    if remainder == 1:
        return None
    return "0" if remainder == 0 else str(11 - remainder)


def _buyer_problem(value: str) -> FilterProblem | None:
    """A Y-tunnus with a wrong check digit, or something that is no business ID at all, unless a stored
    identifier is written exactly so (then it names that buyer, whatever its check says)."""
    text = value.strip()
    if BuyerIdentifier.objects.filter(Q(value=text) | Q(as_written=text)).exists():
        return None
    scheme, sep, rest = text.partition(":")
    if sep and scheme.upper() != "FI-PRO":
        return None  # another scheme: no check here; it simply names no buyer when none has it
    candidate = (rest if sep else text).replace(" ", "")
    upper = candidate.upper()
    digits = upper[2:] if upper.startswith("FI") else upper
    digits = digits.replace("-", "")
    if not digits.isdigit() or not digits.isascii():
        if any(ch.isdigit() for ch in candidate):
            return FilterProblem("buyer", "buyer_format", {"value": text},
                                 f"{text!r} is not a business ID (Y-tunnus), e.g. 0206714-5")
        return None  # a name is not an identifier: it matches no buyer
    if len(digits) not in (7, 8):
        return FilterProblem("buyer", "buyer_format", {"value": text},
                             f"{text!r} is not a business ID (Y-tunnus): seven digits, a dash and a check digit, "
                             "e.g. 0206714-5")
    body = digits[:7]
    expected = _ytunnus_check_digit(body)
    if len(digits) == 7:
        # Seven digits: read as six and a check digit (2067145) when that is valid, else incomplete.
        if fi_ytunnus.is_valid(digits.zfill(8)):
            return None
        return FilterProblem("buyer", "buyer_format", {"value": text},
                             f"{text!r} is not a business ID (Y-tunnus): seven digits, a dash and a check digit, "
                             "e.g. 0206714-5")
    if expected is None:
        return FilterProblem("buyer", "buyer_format", {"value": text},
                             f"{text!r} is not a business ID (Y-tunnus): no check digit fits {body}")
    if digits[7] != expected:
        return FilterProblem(
            "buyer", "buyer_check", {"value": text, "digit": expected, "id": f"{body}-{expected}"},
            f"{text!r} fails its check digit: for {body} it is {expected} ({body}-{expected})",
        )
    return None


def check(filters: Filters) -> Filters:
    """``filters`` made canonical, or ``InvalidFilters`` naming every parameter that is wrong and why."""
    problems: list[FilterProblem] = []
    f = dataclasses.replace(filters)
    if f.status == "all":
        f.status = None
    if f.status is not None and f.status not in STATUS_CHOICES:
        problems.append(FilterProblem("status", "choice", {}, "expected open, closed, cancelled or all"))
    if f.sort not in (None, *SORTS):
        problems.append(FilterProblem("sort", "choice", {}, "expected deadline, newest or relevance"))
    if f.cpv is not None:
        try:
            f.cpv = check_cpv(f.cpv)
        except InvalidFilters as error:
            problems += error.problems
        else:
            if f.cpv and codes.is_loaded("cpv") and not codes.any_begins("cpv", f.cpv):
                problems.append(FilterProblem("cpv", "cpv_unknown", {"value": f.cpv},
                                              f"no CPV code begins with {f.cpv}"))
    if f.buyer is not None and f.buyer.strip():
        if problem := _buyer_problem(f.buyer):
            problems.append(problem)
    if f.region is not None and f.region.strip():
        f.region = f.region.strip().upper()
        if not _NUTS.fullmatch(f.region):
            problems.append(FilterProblem("region", "region_format", {"value": f.region},
                                          f"{f.region!r} is not a NUTS code, e.g. FI1B1 or FI19"))
        elif codes.is_loaded("nuts") and not codes.known("nuts", f.region):
            problems.append(FilterProblem("region", "region_unknown", {"value": f.region},
                                          f"there is no NUTS region {f.region}"))
    else:
        f.region = None
    if f.subtype is not None and f.subtype.strip():
        f.subtype = f.subtype.strip()
        if f.subtype.lower() in SUBTYPE_GROUPS:
            f.subtype = f.subtype.lower()
        elif not _SUBTYPE.fullmatch(f.subtype.upper()):
            problems.append(FilterProblem("subtype", "subtype", {"value": f.subtype},
                                          "expected national, eu or an eForms notice subtype (16, E3...)"))
        else:
            f.subtype = f.subtype.upper()
    else:
        f.subtype = None
    if f.procedure_type is not None and f.procedure_type.strip():
        f.procedure_type = f.procedure_type.strip().lower()
        if codes.is_loaded("procurement-procedure-type") and not codes.known(
            "procurement-procedure-type", f.procedure_type
        ):
            problems.append(FilterProblem("procedure_type", "procedure_type", {"value": f.procedure_type},
                                          f"there is no procedure type {f.procedure_type!r}"))
    else:
        f.procedure_type = None
    if f.language is not None and f.language.strip():
        f.language = f.language.strip().lower()
        if len(f.language) != 2 or not f.language.isascii() or not f.language.isalpha():
            problems.append(FilterProblem("language", "language", {}, "expected a two-letter language code, e.g. fi"))
    else:
        f.language = None
    for name in ("value_min", "value_max"):
        value = getattr(f, name)
        if value is not None and value < 0:
            problems.append(FilterProblem(name, "negative", {}, "must not be negative"))
    if f.value_min is not None and f.value_max is not None and f.value_min > f.value_max:
        problems.append(FilterProblem("value_max", "range", {"low": "value_min"},
                                      "must not be below value_min (the range is inverted)"))
    if f.deadline_after and f.deadline_before and f.deadline_after > f.deadline_before:
        problems.append(FilterProblem("deadline_before", "range", {"low": "deadline_after"},
                                      "must not be before deadline_after (the range is inverted)"))
    if problems:
        raise InvalidFilters(problems)
    return f


def _column(name: str, op: str, value) -> Condition:
    """A condition on a column of the notice itself (``op`` "=", ">=", "<=" or "IN" with a tuple).

    Narrow (a rare value): the matching ids through the column's index, as a list. SQLite's statistics
    know only the column's average rows per value, so without this it walks the whole list to find a
    rare one (2.5 s at a million notices). Broad ("+column" on SQLite): checked on each notice along the
    list's index, and counted by walking the column's index (``Driver``)."""
    values = tuple(value) if op == "IN" else (value,)
    placeholder = "(" + ", ".join(["%s"] * len(values)) + ")" if op == "IN" else "%s"
    match = f'"{name}" {op} {placeholder}'
    select = f'SELECT "id" FROM notices_notice WHERE {match}'
    if connection.vendor != "sqlite":
        return _filter(select, values, RawSQL(f'"notices_notice".{match}', values, output_field=BooleanField()),
                       cost=0)
    expression = RawSQL(f'+"notices_notice".{match}', values, output_field=BooleanField())
    return _filter(select, values, expression, Driver('notices_notice AS "d"', '"d"."id"', f'"d".{match}', values),
                   cost=0)


def _subquery(model, filters: dict, column: str = "notice_id", broad: bool = False, held: bool = True) -> Condition:
    """Notices named by rows of another table (``_filter``; not ``held``: an id list when they are few, an
    EXISTS probe and a driver for the count when they are many or ``broad`` says so)."""
    rows = model.objects.filter(**filters).order_by()  # no model ordering: a sort of every match
    try:
        sql, params = rows.values(column).query.sql_with_params()
    except EmptyResultSet:
        return Condition(Q(pk__in=[]))
    table = model._meta.db_table
    where, where_params = _where(rows) or ("0", ())
    probe = Exists(rows.filter(**{column: OuterRef("pk")}))
    driver = Driver(table, f'"{table}"."{column}"', where or "1", where_params, distinct=True)
    if held:
        return _filter(sql, params, probe, driver)
    # A range of instants: a different filter nearly every request, nothing worth holding in memory.
    ids = None if broad else _collect(sql, params)
    return Condition(probe, driver, cost=1) if ids is None else _ids(ids)


def conditions(filters: Filters) -> list[Condition]:
    """Every filter but ``status`` and ``sort`` as conditions on notices_notice (see ``Condition``)."""
    found: list[Condition] = []
    if filters.q and filters.q.strip():
        found += text_conditions(filters.q.strip())
    if filters.cpv:
        found.append(_code_condition(NoticeCpv, filters.cpv))
    if filters.region:
        found.append(_code_condition(NoticeRegion, filters.region))
    through = Notice.buyers.through
    if filters.buyer and filters.buyer.strip():
        found.append(_subquery(through, {"buyer__in": list(buyers_for(filters.buyer).values_list("pk", flat=True))}))
    if filters.buyer_id is not None:
        found.append(_subquery(through, {"buyer_id": filters.buyer_id}))
    if filters.country:
        found.append(Condition(Q(pk__in=through.objects.filter(
            buyer__country=filters.country.upper()).values("notice_id"))))
    for name in ("source", "notice_type", "procedure_type", "language"):
        value = getattr(filters, name)
        if value:
            found.append(_column(name, "=", value))
    if filters.subtype == "national":
        found.append(_column("subtype", "IN", NATIONAL_SUBTYPES))
    elif filters.subtype == "eu":
        found.append(Condition(~Q(subtype__in=NATIONAL_SUBTYPES) & ~Q(subtype="") & ~Q(source="fi-web")))
    elif filters.subtype:
        found.append(_column("subtype", "=", filters.subtype))
    for name, op in (("value_min", ">="), ("value_max", "<=")):
        value = getattr(filters, name)
        if value is not None:
            found.append(_column("estimated_value", op, value))
    if filters.deadline_after or filters.deadline_before:
        found.append(_deadline_condition(filters.deadline_after, filters.deadline_before))
    return found


def _instant_param(value: dt.datetime):
    """An instant as a raw SQL parameter, written as Django writes the column's values."""
    return connection.ops.adapt_datetimefield_value(value)


def _deadline_condition(after: dt.datetime | None, before: dt.datetime | None) -> Condition:
    """Notices with a tender or participation deadline in [after, before), never one outside the gate's
    years (``notices.gate``: kept as written and flagged, but no filter matches it)."""
    after, before = max(after or EARLIEST, EARLIEST), min(before or LATEST, LATEST)
    rows = {"active": True, "kind__in": CLOSING_KINDS}
    if after:
        rows["at__gte"] = after
    if before:
        rows["at__lt"] = before
    # Broad or narrow by the instants alone (the ``at`` index, no row read): reading 5,000 deadlines to
    # find out costs 15 ms, counting their index entries well under one.
    instants = Deadline.objects.filter(**{k: v for k, v in rows.items() if k.startswith("at")}).order_by()
    sql, params = instants.values("at").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({sql} LIMIT {BROAD}) AS estimate", params)
        broad = cursor.fetchone()[0] >= BROAD
    if not broad:
        return _subquery(Deadline, rows, held=False)
    # Counted by walking the closing deadlines of the range in the partial covering index of
    # (at, notice) (migration 0019): the kinds written out, since SQLite uses a partial index only for a
    # query that states its condition, and bound parameters do not (constants of notices.vocab).
    kinds = ", ".join(f"'{kind}'" for kind in CLOSING_KINDS if kind.isalpha())
    driver_where, driver_params = ['"notices_deadline"."active"', f'"notices_deadline"."kind" IN ({kinds})'], []
    for op, value in ((">=", after), ("<", before)):
        driver_where.append(f'"notices_deadline"."at" {op} %s')
        driver_params.append(_instant_param(value))
    driver = Driver("notices_deadline", '"notices_deadline"."notice_id"', " AND ".join(driver_where),
                    tuple(driver_params), distinct=True)
    # The probe of one notice goes through its own deadlines (the (notice, lot, kind) index): "+" keeps
    # SQLite from scanning the range of every notice's deadlines for each notice instead.
    plus = "+" if connection.vendor == "sqlite" else ""
    where, params = [f"{plus}d.active", "d.kind IN (%s, %s)"], list(CLOSING_KINDS)
    if after:
        where.append(f"{plus}d.at >= %s")
        params.append(_instant_param(after))
    if before:
        where.append(f"{plus}d.at < %s")
        params.append(_instant_param(before))
    probe = RawSQL(
        f'EXISTS (SELECT 1 FROM notices_deadline d WHERE d.notice_id = "notices_notice"."id" AND {" AND ".join(where)})',
        params, output_field=BooleanField(),
    )
    return Condition(probe, driver, cost=1)


def notices(filters: Filters) -> QuerySet:
    """Notices that match every filter but ``status`` (the caller splits by status to order them); also
    the test for one notice: ``notices(filters).filter(pk=...)``."""
    return _apply(Notice.objects.all(), conditions(filters))


def matching(filters: Filters, now: dt.datetime) -> QuerySet:
    """Notices that match every filter, ``status`` included (any order)."""
    return _with_status(notices(filters), filters.status, now)


def _apply(qs: QuerySet, found: list[Condition]) -> QuerySet:
    # SQLite checks the conditions of a probed notice in the order written: the cheap ones first.
    for condition in sorted(found, key=lambda c: c.cost):
        qs = qs.filter(condition.expression)
    return qs


def _with_status(base: QuerySet, status: str | None, now: dt.datetime, walk: bool = False) -> QuerySet:
    """``base`` of ``status``. ``walk``: the list is read in another index's order (newest first), so on
    SQLite the status is checked on each notice ("+status") instead of choosing the status index, which
    would sort every open notice (3 s at a million)."""
    if walk and connection.vendor == "sqlite" and status is not None:
        plus = {
            "open": ('+"notices_notice"."status" = %s AND +"notices_notice"."closes_at" > %s',
                     (Notice.Status.ACTIVE, _instant_param(now))),
            "closed": ('+"notices_notice"."status" = %s AND (+"notices_notice"."closes_at" <= %s '
                       'OR "notices_notice"."closes_at" IS NULL)', (Notice.Status.ACTIVE, _instant_param(now))),
            "cancelled": ('+"notices_notice"."status" = %s', (Notice.Status.CANCELLED,)),
        }[status]
        return base.filter(RawSQL(plus[0], plus[1], output_field=BooleanField()))
    if status == "open":
        return _open_count(base, now)
    if status in ("closed", "cancelled"):
        return _rest(base, status, now)
    return base


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
    # Notices whose next deadline passed while a later one is ahead, not yet moved past it (partial
    # index): found first without the other filters, one index range of next_deadline up to now and
    # usually none (runscheduler moves them every minute). PostgreSQL cannot estimate the two-sided range
    # and, with filters, had planned hash joins over thousands of them (180 ms).
    partly = dict(
        status=Notice.Status.ACTIVE, next_deadline__lt=F("closes_at"), closes_at__gt=now, next_deadline__lte=now
    )
    candidates = list(Notice.objects.filter(**partly).values_list("pk", flat=True)[: PARTLY_MAX + 1])
    if not candidates:
        return first
    if len(candidates) > PARTLY_MAX:
        s2 = base.filter(**partly)
    elif connection.vendor == "postgresql" and base.query.where:
        # Those that pass the filters, before their next deadline is looked up: given as one more id
        # list, the planner scanned a whole index against both lists (240 ms).
        s2 = Notice.objects.filter(pk__in=_pg_among(base, candidates))
    else:
        s2 = base.filter(pk__in=candidates)
    s2 = s2.annotate(ahead=_next_ahead(now))
    if after is not None:
        key, pk = after
        s2 = s2.filter(Q(ahead__gt=key) | Q(ahead=key, pk__gt=pk))
    second = [(pk, ahead or closes) for pk, ahead, closes in s2.order_by("ahead", "pk").values_list("pk", "ahead", "closes_at")[:n]]
    return sorted(first + second, key=lambda r: (r[1], r[0]))[:n]


def _pg_among(base: QuerySet, ids: list[int]) -> list[int]:
    """Which of ``ids`` match ``base``: each id looked up (a join from ``unnest``, which PostgreSQL
    knows the length of), never a scan of the table against the list."""
    compiled = _where(base)
    if compiled is None or not ids:
        return []
    where, params = compiled
    sql = (
        'SELECT "notices_notice"."id" FROM unnest(%s::bigint[]) AS "candidate"("id") '
        'JOIN "notices_notice" ON "notices_notice"."id" = "candidate"."id"'
        + (f" WHERE {where}" if where else "")
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (list(ids), *params))
        return [row[0] for row in cursor.fetchall()]


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


def _rest_rows(base: QuerySet, status: str | None, now: dt.datetime, after, n: int) -> list[int]:
    """Up to ``n`` ids of closed and cancelled notices (or only those of ``status``), most recently closed
    first, notices without a closing instant last, after the cursor key ``after`` ((closes, id) or None).

    Read in index order: each status's range of the (status, closes_at) index backwards, merged here,
    then the notices without one. One query over both with NULLS LAST sorted every closed notice
    (155 ms at a million)."""
    statuses = {"closed": [Notice.Status.ACTIVE], "cancelled": [Notice.Status.CANCELLED]}.get(
        status, [Notice.Status.ACTIVE, Notice.Status.CANCELLED]
    )
    found: list[tuple[dt.datetime, int]] = []
    if after is None or after[0] is not None:
        for value in statuses:
            part = base.filter(status=value, closes_at__isnull=False)
            if value == Notice.Status.ACTIVE:
                part = part.filter(closes_at__lte=now)
            if after is not None:
                closes, pk = after
                part = part.filter(Q(closes_at__lt=closes) | Q(closes_at=closes, pk__lt=pk))
            found += [(c, pk) for pk, c in part.order_by("-closes_at", "-pk").values_list("pk", "closes_at")[:n]]
    ids = [pk for _c, pk in sorted(found, reverse=True)[:n]]
    if len(ids) < n:
        nulls = base.filter(status__in=statuses, closes_at__isnull=True)
        if after is not None and after[0] is None:
            nulls = nulls.filter(pk__lt=after[1])
        ids += list(nulls.order_by("-pk").values_list("pk", flat=True)[: n - len(ids)])
    return ids


def _combined(found: list[Condition]) -> list[Condition]:
    """The broad filters whose ids are held in memory, intersected into one condition: a list of ids when
    fewer than ``BROAD`` remain, else a membership check (``notices.postings``) carrying the posting."""
    held = [c for c in found if c.posting is not None]
    if not held:
        return found
    others = [c for c in found if c.posting is None]
    listed = next((c for c in others if c.ids is not None), None)
    if listed is not None:  # a filter's few ids, kept when every held filter has them
        ids = [pk for pk in listed.ids if all(pk in c.posting.ids for c in held)]
        return [*(c for c in others if c is not listed), _ids(ids)]
    posting = held[0].posting if len(held) == 1 else postings.intersect([c.posting for c in held])
    if len(posting) < LIST_MAX:
        return [*others, _ids(posting.ordered)]
    return [*others, Condition(_member(posting), posting=posting)]


# Counting a held filter: its ids in ascending order are checked against the rest in chunks until the cap is
# passed. Past CHUNKED_MAX ids the rest is selective (closed or cancelled notices, a deadline range), and
# the count walks the rest's own index with the membership check instead.
CHUNKED_MAX = 8_000


def _chunked_count(posting: postings.Posting, rest: QuerySet, cap: int) -> int | None:
    """Matches of ``rest`` among the posting's ids, up to cap + 1; None past ``CHUNKED_MAX`` ids checked."""
    compiled = _where(rest)
    if compiled is None:
        return 0
    where, params = compiled
    if connection.vendor == "postgresql":
        member = '"notices_notice"."id" = ANY(%s)'
    else:
        member = '"notices_notice"."id" IN (SELECT value FROM json_each(%s))'
    ordered, n, start, size = posting.ordered, 0, 0, cap * 3 // 2  # most lists: one chunk
    with connection.cursor() as cursor:
        while n <= cap and start < len(ordered):
            if start >= CHUNKED_MAX:
                return None
            chunk = ordered[start : start + size]
            param = chunk if connection.vendor == "postgresql" else json.dumps(chunk)
            cursor.execute(
                f'SELECT count(*) FROM "notices_notice" WHERE {member}{f" AND {where}" if where else ""}',
                (param, *params),
            )
            n += cursor.fetchone()[0]
            start += size
            size *= 2
    return n


def _capped_count(qs: QuerySet, found: list[Condition] = (), status: str | None = None, now=None) -> tuple[int, bool]:
    """The count, exact up to the cap. A broad filter with a ``Driver`` (SQLite) is counted by walking its
    own index and checking each notice against the rest, until cap + 1 are found: about cap ÷ the rest's
    share of rows, instead of cap ÷ the filter's share when walking the status index."""
    cap = count_cap()
    held = next((c.posting for c in found if c.posting is not None), None)
    others = [c for c in found if c.posting is None]
    # Chunks of the held ids when most of them pass the rest (open notices are 3 in 4); closed or cancelled
    # notices are counted along their status index with the look-up in the posting.
    # (PostgreSQL fetches a row by id in about 2 µs, and walks its status index, which holds the ids, at
    # 0.15 µs a notice: for a posting of more than one notice in 20 the walk is cheaper.)
    dense = held is not None and connection.vendor == "postgresql" and len(held) * 20 > held.ordered[-1]
    if (held is not None and status in (None, "open") and not dense
            and not any(c.driver is not None for c in others)):
        n = _chunked_count(held, _with_status(_apply(Notice.objects.all(), others), status, now), cap)
        if n is not None:
            return (cap, False) if n > cap else (n, True)
    # The first broad filter's: the text's (its matches stream from FTS5 in a few µs each; checking the
    # text of an index's rows instead calls the probe function, about 15 µs from SQLite), then the others.
    driver = next((c.driver for c in found if c.driver is not None), None)
    if any(c.narrow for c in found):
        driver = None  # a short list of ids bounds the work better than any index walk
    if driver is None or (connection.vendor != "sqlite" and held is None):
        n = qs.order_by()[: cap + 1].count()
        return (cap, False) if n > cap else (n, True)
    rest = _with_status(_apply(Notice.objects.all(), [c for c in found if c.driver is not driver and c.posting is None]),
                        status, now)
    compiled = _where(rest)
    if compiled is None:
        return 0, True
    where, params = compiled
    driver_where, driver_params = driver.where, driver.params
    if held is not None:  # checked on the driver's own rows, before the notice is read
        member, member_params = postings.member_sql(held, driver.key)
        driver_where, driver_params = f"{driver_where} AND {member}", (*driver_params, *member_params)
    if connection.vendor == "postgresql":
        n = _pg_driven_count(driver, driver_where, driver_params, where, params, cap)
        return (cap, False) if n > cap else (n, True)
    distinct = "DISTINCT " if driver.distinct else ""
    join = "CROSS JOIN" if connection.vendor == "sqlite" else "JOIN"  # SQLite: the driver's rows first
    sql = (
        f'SELECT count(*) FROM (SELECT {distinct}"notices_notice"."id" FROM {driver.source} '
        f'{join} "notices_notice" ON "notices_notice"."id" = {driver.key} '
        f"WHERE {driver_where}{f' AND {where}' if where else ''} LIMIT {cap + 1}) AS driven"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*driver_params, *params))
        n = cursor.fetchone()[0]
    return (cap, False) if n > cap else (n, True)


def _pg_driven_count(driver: Driver, driver_where: str, driver_params, where: str, params, cap: int) -> int:
    """The driver's matches counted on PostgreSQL, up to cap + 1: the notice ids read in the driver's own
    order and told apart here (a DISTINCT there sorts or hashes every row before the LIMIT: 45 ms)."""
    limit = cap + 1 + cap // 10  # a tenth more, for notices whose lots are named twice
    # The notice checked by a scalar subquery, once per driver row: a join or EXISTS let the planner
    # choose a merge join over both whole indexes (105 ms).
    notice = f'(SELECT true FROM "notices_notice" WHERE "notices_notice"."id" = {driver.key} AND {where})' if where else "true"
    sql = f"SELECT {driver.key} FROM {driver.source} WHERE {driver_where} AND {notice}"
    all_params = (*driver_params, *(params if where else ()))
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT {limit}", all_params)
        ids = [row[0] for row in cursor.fetchall()]
        distinct = len(set(ids))
        if len(ids) < limit or distinct > cap:
            return distinct
        cursor.execute(f"SELECT count(*) FROM (SELECT DISTINCT * FROM ({sql}) AS d LIMIT {cap + 1}) AS driven", all_params)
        return cursor.fetchone()[0]


def _open_count(base: QuerySet, now: dt.datetime) -> QuerySet:
    return base.filter(status=Notice.Status.ACTIVE, closes_at__gt=now)


def page(
    filters: Filters, *, now: dt.datetime, limit: int, offset: int = 0, cursor: str | None = None,
    counted: bool = True,
) -> Page:
    """One page of notices in the filters' order: "next deadline" (see the module docstring), newest first,
    or by relevance. Raises ``InvalidFilters`` for filters that are wrong (``check``)."""
    filters = check(filters)
    with postings.scope():
        return _page(filters, now=now, limit=limit, offset=offset, cursor=cursor, counted=counted)


def _page(filters: Filters, *, now: dt.datetime, limit: int, offset: int, cursor: str | None, counted: bool) -> Page:
    found = _combined(conditions(filters))
    base = _apply(Notice.objects.all(), found)
    status = filters.status
    sort = filters.sort or "deadline"
    closed = None  # closed or cancelled notices with a held filter: one walk of the status index
    if counted and status in ("closed", "cancelled") and any(c.posting for c in found):
        # ... counts them, along the status index with the look-up in the posting, and its first rows are
        # the page (the same order) when paging by offset.
        closed = _rest_rows(base, status, now, None, max(count_cap() + 1, offset + limit + 1))
        count, exact = (count_cap(), False) if len(closed) > count_cap() else (len(closed), True)
    elif counted:
        count, exact = _capped_count(_with_status(base, status, now), found, status, now)
    else:
        count, exact = 0, False
    if sort == "relevance" and parse_words(filters.q):
        return _relevance_page(_with_status(base, status, now, walk=True), filters.q, now=now, limit=limit, offset=offset, cursor=cursor,
                               count=count, exact=exact)
    if sort == "newest":
        return _newest_page(_with_status(base, status, now, walk=True), now=now, limit=limit, offset=offset, cursor=cursor, count=count, exact=exact)

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
            after = (key, key_pk) if segment == "r" else None
            rows += [(pk, None) for pk in _rest_rows(base, status, now, after, limit + 1 - len(rows))]
        more = len(rows) > limit
        rows = rows[:limit]
    else:
        # Offset paging (offset <= API_COUNT_CAP): the open list, then the rest once it has run out.
        want = offset + limit + 1
        rows = _open_rows(base, now, None, want) if with_open else []
        if len(rows) < want and with_rest:
            rest = closed if closed is not None else _rest_rows(base, status, now, None, want - len(rows))
            rows += [(pk, None) for pk in rest[: want - len(rows)]]
        more = len(rows) > offset + limit
        rows = rows[offset : offset + limit]
    return _finish(rows, more, count, exact, now, status)


def _newest() -> tuple:
    """Newest first, notices without a publication date last. SQLite puts NULLs last in a descending
    order by itself and so walks the published_at index; PostgreSQL has an index for exactly this
    order (migration 0016)."""
    if connection.vendor == "sqlite":
        return ("-published_at", "-pk")
    return (F("published_at").desc(nulls_last=True), "-pk")


def _newest_page(qs: QuerySet, *, now, limit, offset, cursor, count, exact) -> Page:
    """Newest first (publication date, then the latest stored); keyset cursor on (published_at, id)."""
    ordered = qs.order_by(*_newest())
    if cursor:
        data = decode_cursor(cursor, ("s", "k", "i"))
        if data["s"] != "p" or not isinstance(data["i"], int):
            raise Invalid("cursor is not one this API gave out", fields=[(["query", "cursor"], "bad segment")])
        key, pk = _instant(data["k"]), data["i"]
        if key is None:
            ordered = ordered.filter(published_at__isnull=True, pk__lt=pk)
        else:
            ordered = ordered.filter(
                Q(published_at__lt=key) | Q(published_at=key, pk__lt=pk) | Q(published_at__isnull=True)
            )
        offset = 0
    found = list(ordered.values_list("pk", "published_at")[offset : offset + limit + 1])
    more = len(found) > limit
    found = found[:limit]
    rows = _with_ahead([pk for pk, _ in found], now)
    next_cursor = None
    if more and found:
        pk, published = found[-1]
        next_cursor = encode_cursor({"s": "p", "k": published.isoformat() if published else None, "i": pk})
    return Page(rows, count, exact, next_cursor)


def _relevance_page(qs: QuerySet, q: str, *, now, limit, offset, cursor, count, exact) -> Page:
    """Notices where every word matched at word level (as written or by its stem) first, then those where
    a word matched only inside a compound; newest first within each. The cursor is an offset (to 10,000).
    Each tier is read in the newest-first index order, like ``sort=newest``."""
    if cursor:
        data = decode_cursor(cursor, ("s", "o"))
        if data["s"] != "v" or not isinstance(data["o"], int) or not 0 <= data["o"] <= 10_000:
            raise Invalid("cursor is not one this API gave out", fields=[(["query", "cursor"], "bad segment")])
        offset = data["o"]
    word_level = word_level_condition(q)
    first = qs.filter(word_level).order_by(*_newest())
    want = offset + limit + 1
    ids = list(first.values_list("pk", flat=True)[:want])
    if len(ids) < want:
        rest = qs.filter(~Q(word_level))
        ids += list(rest.order_by(*_newest()).values_list("pk", flat=True)[: want - len(ids)])
    more = len(ids) > offset + limit
    rows = _with_ahead(ids[offset : offset + limit], now)
    next_cursor = encode_cursor({"s": "v", "o": offset + limit}) if more and offset + limit <= 10_000 else None
    return Page(rows, count, exact, next_cursor)


def _with_ahead(ids: list[int], now: dt.datetime) -> list[tuple[int, dt.datetime | None]]:
    """(id, next deadline still ahead or None) for notices listed in another order than by deadline."""
    if not ids:
        return []
    ahead = dict(
        Deadline.objects.filter(notice_id__in=ids, active=True, kind__in=CLOSING_KINDS, at__gt=now)
        .exclude(notice__status=Notice.Status.CANCELLED)
        .values("notice_id").annotate(m=Min("at")).values_list("notice_id", "m")
    )
    return [(pk, ahead.get(pk)) for pk in ids]


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
    problems = []
    if filters.after and filters.before and filters.after > filters.before:
        problems.append(FilterProblem("before", "range", {"low": "after"},
                                      "must not be before after (the range is inverted)"))
    if filters.buyer and filters.buyer.strip() and (problem := _buyer_problem(filters.buyer)):
        problems.append(problem)
    if problems:
        raise InvalidFilters(problems)
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
        "pk", "kind", "lot", "at", "needs_review", "review_reasons", "notice__id", "notice__title", "notice__status"
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
    "check",
    "conditions",
    "matching",
    "notices",
    "parse_words",
    "FilterProblem",
    "InvalidFilters",
    "Words",
]


# === One notice checked in Python (issue 16: alerts) ======================================================
#
# ``notice_check(filters)`` is ``conditions(filters)`` said once more, as a test of one notice's facts
# (``notice_facts``) in Python, for callers that test many saved searches against a few new notices
# (``scheduler.matching``): asking the database costs a query per filter set. It answers True or False
# only where it decides exactly what the SQL decides, and None ("undecided": ask ``notices()``) otherwise:
#
# - words of three letters or more: a substring of the lower-cased text, any of ``inner_forms`` (SQLite:
#   the text ``text_match`` builds; PostgreSQL: the stored ``search_text`` column itself, which its LIKE
#   reads). Shorter words: on SQLite as ``text_match`` (unicode61's rule); on PostgreSQL the tsvector
#   decides them, which Python does not mirror: undecided. Phrases: undecided on both (SQLite's FTS5
#   table keeps the title and the body apart, so a phrase never spans them there, while ``text_match``,
#   the probe of a broad search, reads them as one text).
# - cpv / region: a code of the notice's rows in [low, high) (``_code_bounds``); a NUTS prefix on a
#   PostgreSQL database whose collation is not code-point order: undecided.
# - buyer: an identifier row of the notice's buyers that ``buyer_forms`` names (what ``buyers_for`` asks
#   the database for); buyer_id, country (a buyer's), source, notice_type, procedure_type, language,
#   subtype ("national", "eu" or one), value_min/value_max (whole numbers) on estimated_value,
#   deadline_after/before on active closing deadlines within the gate's years.
# - a value of an unexpected type, and any filter this section does not know (one added to ``Filters``
#   later): undecided. ``status`` and ``sort`` are not conditions (as in ``conditions``).
#
# tests/alerts/test_property.py holds this to ``notices()`` over the corpus on SQLite and PostgreSQL.

_CHECKED = frozenset({
    "q", "status", "sort", "deadline_after", "deadline_before", "cpv", "buyer", "country", "source",
    "notice_type", "buyer_id", "region", "subtype", "procedure_type", "value_min", "value_max", "language",
})


@dataclass(eq=False, slots=True)
class NoticeFacts:
    """What ``notice_check`` needs of one notice, as the database holds it."""

    id: int
    text: str  # lower-cased as the database's word search sees it
    cpv: tuple[str, ...]  # its NoticeCpv codes
    regions: tuple[str, ...]  # its NoticeRegion codes
    buyers: frozenset[int]
    identifiers: tuple[tuple[str, str, str], ...]  # its buyers' (scheme, value, as_written)
    countries: frozenset[str]  # its buyers' countries
    source: str
    notice_type: str
    subtype: str
    procedure_type: str
    language: str
    estimated_value: object  # as the database returns it, or None
    status: str
    closes_at: dt.datetime | None
    closing: tuple[dt.datetime, ...]  # active tender and participation deadlines
    folded: list[str] | None = None  # folded words of ``text`` (unicode61's), made when first needed

    def words(self) -> list[str]:
        if self.folded is None:
            self.folded = _WORD.findall(_fold(self.text))
        return self.folded


def notice_facts(ids) -> dict[int, NoticeFacts]:
    """The facts of these notices (a few queries per 900 notices), by id; a missing id is left out."""
    postgres = connection.vendor == "postgresql"
    found: dict[int, NoticeFacts] = {}
    ids = sorted(set(ids))
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        rows = Notice.objects.filter(pk__in=chunk)
        if postgres:
            rows = rows.annotate(_text=RawSQL(f"{_PG_TEXT}", ()))
            columns = ("_text",)
        else:
            columns = ("title", "_titles", "_descriptions")
            rows = rows.annotate(_titles=Cast("titles", TextField()), _descriptions=Cast("descriptions", TextField()))
        lists: dict[str, dict[int, list]] = {"cpv": {}, "regions": {}, "buyers": {}, "countries": {}, "closing": {}}
        for name, model in (("cpv", NoticeCpv), ("regions", NoticeRegion)):
            for notice_id, code in model.objects.filter(notice_id__in=chunk).values_list("notice_id", "code"):
                lists[name].setdefault(notice_id, []).append(code)
        for notice_id, buyer_id, country in Notice.buyers.through.objects.filter(notice_id__in=chunk).values_list(
            "notice_id", "buyer_id", "buyer__country"
        ):
            lists["buyers"].setdefault(notice_id, []).append(buyer_id)
            lists["countries"].setdefault(notice_id, []).append(country)
        identifiers: dict[int, list] = {}
        buyer_ids = sorted({b for bs in lists["buyers"].values() for b in bs})
        for part in range(0, len(buyer_ids), 900):
            for buyer_id, *row in BuyerIdentifier.objects.filter(buyer_id__in=buyer_ids[part : part + 900]).values_list(
                "buyer_id", "scheme", "value", "as_written"
            ):
                identifiers.setdefault(buyer_id, []).append(tuple(row))
        for notice_id, at in Deadline.objects.filter(
            notice_id__in=chunk, active=True, kind__in=CLOSING_KINDS
        ).values_list("notice_id", "at"):
            lists["closing"].setdefault(notice_id, []).append(at)
        for row in rows.values_list(
            "id", "source", "notice_type", "subtype", "procedure_type", "language", "estimated_value", "status",
            "closes_at", *columns,
        ):
            pk = row[0]
            text = row[9] if postgres else _plain_text(*row[9:]).lower()
            found[pk] = NoticeFacts(
                pk, text or "", tuple(lists["cpv"].get(pk, ())), tuple(lists["regions"].get(pk, ())),
                frozenset(lists["buyers"].get(pk, ())),
                tuple(i for b in lists["buyers"].get(pk, ()) for i in identifiers.get(b, ())),
                frozenset(lists["countries"].get(pk, ())), *row[1:9],
                tuple(lists["closing"].get(pk, ())),
            )
    return found


_code_point_order: dict[tuple, bool] = {}


def _codes_in_code_point_order() -> bool:
    """Whether the database compares text in code-point order (SQLite; PostgreSQL with a C collation)."""
    if connection.vendor != "postgresql":
        return True
    key = (connection.alias, connection.settings_dict.get("NAME"))
    if key not in _code_point_order:
        with connection.cursor() as cursor:
            cursor.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()")
            collate = cursor.fetchone()[0]
        _code_point_order[key] = collate in ("C", "POSIX", "C.UTF-8", "C.utf8")
    return _code_point_order[key]


@lru_cache(maxsize=1)
def _unchecked() -> tuple[str, ...]:
    """Filters' fields this section does not know (a filter added later): undecided when set."""
    return tuple(f.name for f in dataclasses.fields(Filters) if f.name not in _CHECKED)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _aware(value) -> bool:
    return isinstance(value, dt.datetime) and value.utcoffset() is not None


def notice_check(filters: Filters):
    """A function of ``NoticeFacts``: True when ``notices(filters)`` holds the notice, False when it does
    not, None when this cannot tell (see the section's comment). It depends on the filters alone, so it
    may be kept and used for any number of notices."""
    if any(getattr(filters, name) not in (None, "") for name in _unchecked()):
        return lambda facts: None
    tests = []  # each: facts -> bool | None, cheapest first
    undecided = False

    def equal(name: str, value):
        if not isinstance(value, str):
            return lambda facts: None
        return lambda facts: getattr(facts, name) == value

    for name in ("source", "notice_type", "procedure_type", "language"):
        value = getattr(filters, name)
        if value:
            tests.append(equal(name, value))
    subtype = filters.subtype
    if subtype == "national":
        tests.append(lambda facts: facts.subtype in NATIONAL_SUBTYPES)
    elif subtype == "eu":
        tests.append(lambda facts: facts.subtype not in (*NATIONAL_SUBTYPES, "") and facts.source != "fi-web")
    elif subtype:
        tests.append(equal("subtype", subtype))
    for name, at_least in (("value_min", True), ("value_max", False)):
        value = getattr(filters, name)
        if value is None:
            continue
        if not _is_int(value):
            undecided = True
        elif at_least:
            tests.append(lambda facts, v=value: facts.estimated_value is not None and facts.estimated_value >= v)
        else:
            tests.append(lambda facts, v=value: facts.estimated_value is not None and facts.estimated_value <= v)
    if filters.buyer_id is not None:
        if _is_int(filters.buyer_id):
            tests.append(lambda facts, b=filters.buyer_id: b in facts.buyers)
        else:
            undecided = True
    if filters.country:
        if isinstance(filters.country, str):
            country = filters.country.upper()
            tests.append(lambda facts: country in facts.countries)
        else:
            undecided = True
    for name, attribute in (("cpv", "cpv"), ("region", "regions")):
        prefix = getattr(filters, name)
        if not prefix:
            continue
        if not isinstance(prefix, str) or not (prefix.isdigit() or _codes_in_code_point_order()):
            undecided = True
            continue
        low, high = _code_bounds(prefix)
        tests.append(lambda facts, a=attribute, low=low, high=high: any(
            low <= code and (high is None or code < high) for code in getattr(facts, a)
        ))
    if filters.buyer and isinstance(filters.buyer, str) and filters.buyer.strip():
        forms = buyer_forms(filters.buyer)
        tests.append(lambda facts: any(forms.names(*row) for row in facts.identifiers))
    elif filters.buyer and not isinstance(filters.buyer, str):
        undecided = True
    if filters.deadline_after or filters.deadline_before:
        after, before = filters.deadline_after or EARLIEST, filters.deadline_before or LATEST
        if _aware(after) and _aware(before):
            after, before = max(after, EARLIEST), min(before, LATEST)
            tests.append(lambda facts: any(after <= at < before for at in facts.closing))
        else:
            undecided = True
    if filters.q and isinstance(filters.q, str) and filters.q.strip():
        words = parse_words(filters.q.strip())
        if words:
            inner, short, phrases = _spec(_match_spec(words))
            if connection.vendor == "postgresql" and short:
                undecided, short = True, ()
            undecided = undecided or bool(phrases)
            if short:
                tests.append(lambda facts: bool(_words_in(facts.text, inner, short, (), facts.words())))
            else:
                tests.append(lambda facts: bool(_words_in(facts.text, inner, (), ())))
    elif filters.q and not isinstance(filters.q, str):
        undecided = True
    tests = tuple(tests)
    decided = None if undecided else True

    def check(facts: NoticeFacts) -> bool | None:
        verdict = decided
        for test in tests:
            result = test(facts)
            if result is None:
                verdict = None
            elif not result:
                return False
        return verdict

    return check


__all__ += ["BuyerForms", "NoticeFacts", "buyer_forms", "notice_check", "notice_facts"]
