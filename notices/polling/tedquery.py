"""A TED expert query checked here, before TED sees it.

TED answers a query it cannot match with a successful, empty answer rather than an error: a date written
``2024-03-01`` instead of ``20240301`` silently finds nothing, and a source polled with it looks healthy
for ever. So a source's query is checked when it is saved (the admin), and ``manage.py poll --dry-run``
also asks TED itself (``checkQuerySyntax``).

What is checked:

* the shape: ``field operator value`` terms (operators ``= != < > <= >= ~``, ``IN (...)``, ``NOT IN
  (...)``), joined by ``AND``/``OR``, negated by ``NOT``, grouped in parentheses, optionally ending in
  ``SORT BY field [ASC|DESC]``; quotes and parentheses balanced;
* dates: a date field's value is ``YYYYMMDD`` (a real day), ``today()``/``today(-7)``, or ``{since}`` (the
  poller's watermark). A field is a date when its name says so (``publication-date``,
  ``deadline-receipt-tender-date-lot``, eForms ``BT-131(d)-Lot``) or it is one of TED's short date codes
  ``PD`` (publication), ``DS`` (dispatch), ``DT`` (deadline);
* field names, when a list of them is given: the names TED's OpenAPI description lists for ``fields``
  (``known_fields()`` reads them from the file ``TED_API_SPEC`` names). Case is not significant.

The checker only reports what it is sure of; TED remains the judge (``checkQuerySyntax``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from collections.abc import Collection
from functools import lru_cache

KEYWORDS = {"AND", "OR", "NOT", "IN", "SORT", "BY", "ASC", "DESC"}
OPERATORS = ("<=", ">=", "!=", "<>", "=", "<", ">", "~")
SHORT_DATE_FIELDS = {"PD", "DS", "DT"}
PLACEHOLDER = "{since}"

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<quoted>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op><=|>=|!=|<>|=|<|>|~)
  | (?P<open>[(\[])
  | (?P<close>[)\]])
  | (?P<comma>,)
  | (?P<word>[^\s()\[\]"'<>=!~,]+(?:\([^()\s"']*\)[^\s()\[\]"'<>=!~,]*)*)
  | (?P<bad>.)
    """,
    re.VERBOSE,
)
_DATE = re.compile(r"\d{8}")
_TODAY = re.compile(r"today\(\s*[+-]?\d*\s*\)", re.IGNORECASE)


class _Token:
    __slots__ = ("column", "kind", "text")

    def __init__(self, kind: str, text: str, column: int):
        self.kind, self.text, self.column = kind, text, column

    @property
    def keyword(self) -> str:
        return self.text.upper() if self.kind == "word" and self.text.upper() in KEYWORDS else ""


def tokens(query: str) -> list[_Token]:
    found = []
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup
        if kind != "space":
            found.append(_Token(kind, match.group(), match.start() + 1))
    return found


def is_date_field(name: str) -> bool:
    lowered = name.lower()
    return (
        name.upper() in SHORT_DATE_FIELDS
        or "date" in re.split(r"[-_]", lowered)
        or "(d)" in lowered
    )


def check_query(query: str, fields: Collection[str] | None = None) -> list[str]:
    """What is wrong with the expert query, one sentence each (empty: nothing found). ``fields``: the
    field names TED knows (None: not checked)."""
    parser = _Parser(tokens(query), {f.lower(): f for f in fields} if fields is not None else None)
    if parser.problems:  # characters the query language has no place for: reading on would only guess
        return parser.problems
    try:
        parser.query()
    except _Stop as stop:
        parser.problems.append(str(stop))
    return parser.problems


def fields_in(query: str) -> list[tuple[str, str, list[str]]]:
    """(field, operator, values) of each term a well-formed query compares, in order."""
    parser = _Parser(tokens(query), None)
    try:
        parser.query()
    except _Stop:
        pass
    return parser.terms


def country_of(query: str) -> str | None:
    """The buyer country the query asks for (``buyer-country = FIN`` or ``IN (FIN SWE)``: the first)."""
    for field, operator, values in fields_in(query):
        if field.lower() == "buyer-country" and operator in ("=", "IN") and values:
            return values[0]
    return None


class _Stop(Exception):
    """The query cannot be read further; ``str()`` says where and why."""


class _Parser:
    """Recursive descent over ``tokens``; problems that do not stop the reading are collected."""

    def __init__(self, items: list[_Token], fields: dict[str, str] | None):
        self.items, self.at, self.fields = items, 0, fields
        self.problems: list[str] = []
        self.terms: list[tuple[str, str, list[str]]] = []
        for token in items:
            if token.kind == "bad":
                self.problems.append(
                    f"column {token.column}: an unclosed quote"
                    if token.text in "\"'"
                    else f"column {token.column}: {token.text!r} is not part of TED's query language"
                )

    def peek(self) -> _Token | None:
        return self.items[self.at] if self.at < len(self.items) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise _Stop("the query ends too early")
        self.at += 1
        return token

    def query(self) -> None:
        if not self.items:
            raise _Stop("the query is empty")
        self.expression()
        token = self.peek()
        if token is not None and token.keyword == "SORT":
            self.take()
            if self.take().keyword != "BY":
                raise _Stop(f"column {token.column}: SORT must be followed by BY and a field")
            while True:
                self.field(self.take())
                if (nxt := self.peek()) is not None and nxt.keyword in ("ASC", "DESC"):
                    self.take()
                if (nxt := self.peek()) is not None and nxt.kind == "comma":
                    self.take()
                    continue
                break
        token = self.peek()
        if token is not None:
            if token.kind == "close":
                raise _Stop(f"column {token.column}: a closing {token.text!r} without its opening one")
            raise _Stop(f"column {token.column}: expected AND, OR or the end of the query, not {token.text!r}")

    def expression(self) -> None:
        self.term()
        while (token := self.peek()) is not None and token.keyword in ("AND", "OR"):
            self.take()
            self.term()

    def term(self) -> None:
        token = self.take()
        if token.keyword == "NOT":
            self.term()
            return
        if token.kind == "open" and token.text == "(":
            self.expression()
            closing = self.peek()
            if closing is None or closing.text != ")":
                raise _Stop(f"column {token.column}: this '(' is not closed")
            self.take()
            return
        name = self.field(token)
        operator = self.take()
        if operator.keyword == "NOT":
            operator = self.take()
            if operator.keyword != "IN":
                raise _Stop(f"column {operator.column}: NOT after a field must be followed by IN")
        if operator.keyword == "IN":
            values = self.values(self.take(), name, listed=True)
            self.terms.append((name, "IN", values))
            return
        if operator.kind != "op" or operator.text == "<>":
            raise _Stop(
                f"column {operator.column}: expected an operator (=, !=, <, >, <=, >=, ~ or IN) after "
                f"{name!r}, not {operator.text!r}"
            )
        values = self.values(self.take(), name, listed=False)
        self.terms.append((name, operator.text, values))

    def field(self, token: _Token) -> str:
        if token.kind != "word" or token.keyword:
            raise _Stop(f"column {token.column}: expected a field name, not {token.text!r}")
        name = token.text
        if self.fields is not None and name.lower() not in self.fields:
            near = difflib.get_close_matches(name.lower(), list(self.fields), n=1, cutoff=0.75)
            hint = f" (did you mean {self.fields[near[0]]}?)" if near else ""
            self.problems.append(
                f"column {token.column}: TED has no field {name!r}{hint}; the field names are those of "
                "TED's expert search"
            )
        return name

    def values(self, token: _Token, field: str, *, listed: bool) -> list[str]:
        """One value, or a list in parentheses (``IN (FIN SWE)``, ``~ (a, b)``) or a range in brackets
        (``[20240101 <> 20240131]``); each date checked when ``field`` is a date."""
        if token.kind == "open":
            closing = ")" if token.text == "(" else "]"
            found = []
            while (item := self.take()).text != closing:
                if item.kind in ("comma",) or item.keyword in ("AND", "OR") or item.text == "<>":
                    continue
                if item.kind not in ("word", "quoted"):
                    raise _Stop(f"column {item.column}: {item.text!r} cannot stand in a list of values")
                found.append(self.value(item, field))
            if not found:
                raise _Stop(f"column {token.column}: an empty list of values")
            return found
        if listed:
            raise _Stop(f"column {token.column}: IN must be followed by a list of values in parentheses")
        if token.kind not in ("word", "quoted") or token.keyword:
            raise _Stop(f"column {token.column}: expected a value after the operator, not {token.text!r}")
        return [self.value(token, field)]

    def value(self, token: _Token, field: str) -> str:
        text = token.text[1:-1] if token.kind == "quoted" else token.text
        if is_date_field(field) and not _is_date(text):
            self.problems.append(
                f"column {token.column}: {field} {text!r} is not a date as TED reads them: write YYYYMMDD "
                "(20240301) or today(-7); TED answers a date in another form with "
                "no notices, not with an error"
            )
        return text


def _is_date(text: str) -> bool:
    if text == PLACEHOLDER or _TODAY.fullmatch(text):
        return True
    if not _DATE.fullmatch(text):
        return False
    try:
        dt.datetime.strptime(text, "%Y%m%d")
    except ValueError:
        return False
    return True


def known_fields(path: str) -> frozenset[str] | None:
    """The field names TED's OpenAPI description lists for a search request's ``fields`` (the names its
    expert search knows), from the YAML file at ``path``; None when there is no such file."""
    if not path:
        return None
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        return None
    return _read_fields(path, stamp)


@lru_cache(maxsize=4)
def _read_fields(path: str, stamp: int) -> frozenset[str] | None:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as handle:
        spec = yaml.load(handle, Loader=loader)  # a safe loader: CSafeLoader or SafeLoader
    schemas = (spec or {}).get("components", {}).get("schemas", {})
    names: set[str] = set()
    for schema in schemas.values():
        prop = (schema.get("properties") or {}).get("fields") if isinstance(schema, dict) else None
        if isinstance(prop, dict):
            # The published file puts the enum beside ``items`` rather than inside it: read both.
            names.update(prop.get("enum") or [])
            names.update((prop.get("items") or {}).get("enum") or [])
    return frozenset(names) or None
