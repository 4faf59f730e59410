"""The gate every record passes on its way into the store, whoever made it: a reader (ingest, polling) or
an officer. Pure: no Django, no database, so a reader's worker process runs it too.

``admit(record)`` returns the record as the store may keep it, or raises ``IngestError`` naming the notice
and what cannot be kept. A record that needs no change comes back as the same object, so what was stored
before the gate existed hashes the same and is not re-versioned.

* **Text** (every string, dictionary keys included): NFC; no control characters but tab and newline (a
  CR LF or a lone CR becomes a newline); no bidirectional embeddings, overrides or isolates (U+202A-U+202E,
  U+2066-U+2069: "gnp.exe" with U+202E before it reads "exe.png"); no noncharacters (U+FFFE...); lengths
  capped to what the columns hold and what a page can show (a longer text is cut, with "…"). A lone
  surrogate is no character at all: the record is refused, naming the field.
* **Identities** that cannot be cut without merging two things: a ``source_id`` longer than 500, a lot id
  longer than 100 characters, or an empty ``source_id``: the record is refused.
* **Instants** must lie between 1990 and 2099 (``notices.vocab.EARLIEST``, ``LATEST``). A deadline outside
  is kept as written (its words in ``text``), flagged ``needs_review`` with ``OUT_OF_RANGE`` as its reason,
  and never used for reminders, ``next_deadline``, ``closes_at``, the open/closed status or the order of a
  list (the store and every query keep to the range); if it cannot even be expressed in UTC it is stored
  at the nearest instant that can. A publication date outside the range is dropped with a warning.
* **Amounts** must be finite and below ``MAX_AMOUNT`` in absolute value (the columns keep 20 digits, two
  of them decimals, and SQLite reads them back as 15-digit floating point numbers); others are dropped
  with a warning.
* Other values the columns cannot hold (a language that is not two letters, a currency that is not three,
  a CPV code, identifier or link too long to be one) are dropped with a warning.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from decimal import Decimal

from notices.records import (
    Address,
    BuyerRecord,
    DeadlineRecord,
    IngestError,
    LotRecord,
    NoticeRecord,
    Phone,
)
from notices.vocab import EARLIEST, LATEST, in_range

# Why a deadline is flagged when its instant is outside the usable range (a review reason, translated in
# notices.display like the free-text readers' reasons).
OUT_OF_RANGE = "the date is before 1990 or after 2099; not used for reminders, ordering or the open/closed status"

MAX_AMOUNT = Decimal(10) ** 15

# Caps, in characters. Identities are refused when longer; everything else is cut.
SOURCE_ID = 500
LOT_ID = 100
TITLE = 1_000
DESCRIPTION = 100_000
NAME = 500
LINE = 1_000  # free text such as a deadline's words, a warning
LINK = 2_000
LINKS = 1_000
KEY = 20  # a dictionary key (a language code)
# Columns (notices.models): cut to their max_length.
COLUMNS = {
    "procedure_id": 200, "notice_type": 50, "version": 50, "source_url": 1_000,
    "street": 300, "po_box": 50, "postal_code": 20, "city": 200, "email": 254, "url": 500,
    "phone": 80, "as_written": 200,
}  # fmt: skip

# The earliest and latest instants every time zone can show (datetime stops at years 1 and 9999).
_SAFE_MIN = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
_SAFE_MAX = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)

_NONCHARACTERS = "\ufdd0-\ufdef\ufffe\uffff" + "".join(
    chr(plane * 0x10000 + 0xFFFE) + chr(plane * 0x10000 + 0xFFFF) for plane in range(1, 17)
)
# Control characters but tab and newline (CR is made a newline first), bidi embeddings, overrides and
# isolates, noncharacters.
_UNWANTED = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069{_NONCHARACTERS}]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CPV = re.compile(r"^[0-9A-Za-z-]{1,20}$")


# Controls that separate words (vertical tab, form feed, the information separators, NEL) become a space
# rather than gluing two words together; every other unwanted character goes.
_SEPARATORS = frozenset("\x0b\x0c\x1c\x1d\x1e\x1f\x85")


def _removed(match: re.Match) -> str:
    return " " if match.group() in _SEPARATORS else ""


def clean(text: str, cap: int | None = None) -> str:
    """``text`` as the store keeps it (see the module docstring); raises ``ValueError`` for a lone
    surrogate. Returns ``text`` itself when nothing changes."""
    if not (text.isascii() and text.isprintable()):
        if _SURROGATE.search(text):
            at = _SURROGATE.search(text).start()
            raise ValueError(f"a lone surrogate (U+{ord(text[at]):04X}) at character {at + 1} is not text")
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = _UNWANTED.sub(_removed, text)
        if not text.isascii() and not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
    if cap is not None and len(text) > cap:
        text = text[: cap - 1] + "…"
    return text


def shown(text: str, cap: int | None = None) -> str:
    """``clean`` for words about input (a reason, a file name) rather than the input itself: a lone
    surrogate (an undecodable byte in a file name) becomes U+FFFD instead of an error."""
    return clean(_SURROGATE.sub("\ufffd", text), cap)


def admit(record: NoticeRecord) -> NoticeRecord:
    """The record as the store may keep it; ``IngestError`` when it cannot be kept at all."""
    return _Gate(record).notice()


class _Gate:
    def __init__(self, record: NoticeRecord):
        self.record = record
        self.warnings: list[str] = []

    # --- helpers ---------------------------------------------------------------------------------------

    def refuse(self, what: str) -> IngestError:
        name = shown(self.record.source_id, 80) if isinstance(self.record.source_id, str) else "?"
        return IngestError(f"notice {name!r} cannot be stored: {what}")

    def text(self, value, path: str, cap: int | None) -> str:
        try:
            return clean(value, cap)
        except ValueError as exc:
            raise self.refuse(f"{path}: {exc}") from None

    def optional(self, value, path: str, cap: int | None) -> str | None:
        return None if value is None else self.text(value, path, cap)

    def texts(self, values, path: str, cap: int | None) -> tuple[str, ...]:
        return tuple(self.text(v, f"{path}[{i}]", cap) for i, v in enumerate(values))

    def mapping(self, values: dict, path: str, cap: int) -> dict[str, str]:
        return {self.text(k, f"{path} key", KEY): self.text(v, f"{path}[{k!r}]", cap) for k, v in values.items()}

    def identity(self, value: str, path: str, cap: int) -> str:
        value = self.text(value, path, None)
        if len(value) > cap:
            raise self.refuse(f"{path} is {len(value):,} characters long; at most {cap} can be kept")
        return value

    def amount(self, value: Decimal | None, path: str) -> Decimal | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):  # an int or float from a caller that built the record by hand
            value = Decimal(str(value))
        if not value.is_finite() or abs(value) >= MAX_AMOUNT:
            shown = str(value) if len(str(value)) <= 40 else str(value)[:40] + "…"
            self.warn(f"{path} {shown} was dropped: an amount must be finite and below 10^15")
            return None
        return value

    def warn(self, message: str) -> None:
        self.warnings.append(clean(message, LINE))

    # --- the record ------------------------------------------------------------------------------------

    def notice(self) -> NoticeRecord:
        r = self.record
        source_id = self.identity(r.source_id, "source_id", SOURCE_ID)
        if not source_id.strip():
            raise self.refuse("it has no id at its source")
        language = self.text(r.language, "language", KEY)
        if language and not _LANGUAGE.match(language):
            self.warn(f"the language {language!r} is not an ISO 639-1 code: dropped")
            language = ""
        currency = self.optional(r.currency, "currency", KEY)
        if currency is not None and not _CURRENCY.match(currency):
            self.warn(f"the currency {currency!r} is not an ISO 4217 code: dropped")
            currency = None
        published = r.published_at
        if published is not None and not in_range(published):
            self.warn(f"the publication date {_written(published)} is outside 1990-2099: not used")
            published = None
        cpv = self.cpv(r.cpv, "cpv")
        links = tuple(link for link in self.texts(r.links, "links", None) if self.link(link))
        if len(links) > LINKS:
            self.warn(f"{len(links):,} links: only the first {LINKS:,} are kept")
            links = links[:LINKS]
        values = dict(
            source_id=source_id,
            notice_type=self.text(r.notice_type, "notice_type", COLUMNS["notice_type"]),
            title=self.text(r.title, "title", TITLE),
            language=language,
            procedure_id=self.optional(r.procedure_id, "procedure_id", COLUMNS["procedure_id"]),
            version=self.optional(r.version, "version", COLUMNS["version"]),
            changes=self.optional(r.changes, "changes", None),
            titles=self.mapping(r.titles, "titles", TITLE),
            descriptions=self.mapping(r.descriptions, "descriptions", DESCRIPTION),
            buyers=tuple(self.buyer(b, f"buyers[{i}]") for i, b in enumerate(r.buyers)),
            deadlines=tuple(self.deadline(d, f"deadlines[{i}]") for i, d in enumerate(r.deadlines)),
            lots=tuple(self.lot(lot, f"lots[{i}]") for i, lot in enumerate(r.lots)),
            cpv=cpv,
            links=links,
            published_at=published,
            estimated_value=self.amount(r.estimated_value, "the estimated value"),
            currency=currency,
            source_url=self.optional(r.source_url, "source_url", COLUMNS["source_url"]),
        )
        warnings = tuple(self.text(w, "warnings", LINE) for w in r.warnings) + tuple(self.warnings)
        values["warnings"] = tuple(dict.fromkeys(warnings))
        return _replaced(r, values)

    def cpv(self, codes, path: str) -> tuple[str, ...]:
        kept = []
        for code in self.texts(codes, path, None):
            if _CPV.match(code):
                kept.append(code)
            else:
                self.warn(f"{path}: {code[:40]!r} is not a CPV code: dropped")
        return tuple(kept)

    def link(self, link: str) -> bool:
        if len(link) > LINK:
            self.warn(f"a link of {len(link):,} characters was dropped")
            return False
        return True

    def buyer(self, b: BuyerRecord, path: str) -> BuyerRecord:
        identifiers = []
        for i, ident in enumerate(b.identifiers):
            value = self.text(ident.id, f"{path}.identifiers[{i}]", None)
            scheme = self.optional(ident.scheme, f"{path}.identifiers[{i}].scheme", None)
            if len(value) > 100 or (scheme is not None and len(scheme) > 20):
                self.warn(f"{path}: the identifier {value[:40]!r} is too long to be one: dropped")
                continue
            written = self.optional(ident.as_written, f"{path}.identifiers[{i}]", COLUMNS["as_written"])
            identifiers.append(_replaced(ident, {"id": value, "scheme": scheme, "as_written": written}))
        values = dict(
            name=self.text(b.name, f"{path}.name", NAME),
            names=self.mapping(b.names, f"{path}.names", NAME),
            identifiers=tuple(identifiers),
            address=self.address(b.address, f"{path}.address"),
            email=self.optional(b.email, f"{path}.email", COLUMNS["email"]),
            phone=self.phone(b.phone, f"{path}.phone"),
            fax=self.phone(b.fax, f"{path}.fax"),
            url=self.optional(b.url, f"{path}.url", COLUMNS["url"]),
        )
        return _replaced(b, values)

    def address(self, a: Address, path: str) -> Address:
        country = self.optional(a.country, f"{path}.country", KEY)
        if country is not None and not _COUNTRY.match(country):
            self.warn(f"{path}: the country {country!r} is not an ISO 3166 code: dropped")
            country = None
        values = {
            name: self.optional(getattr(a, name), f"{path}.{name}", COLUMNS[name])
            for name in ("street", "po_box", "postal_code", "city")
        }
        return _replaced(a, {**values, "country": country})

    def phone(self, p: Phone | None, path: str) -> Phone | None:
        if p is None:
            return None
        e164 = self.optional(p.e164, path, None)
        if e164 is not None and len(e164) > 20:
            e164 = None
        return _replaced(p, {"as_written": self.text(p.as_written, path, COLUMNS["phone"]), "e164": e164})

    def lot(self, lot: LotRecord, path: str) -> LotRecord:
        values = dict(
            id=self.identity(lot.id, f"{path}.id", LOT_ID),
            title=self.optional(lot.title, f"{path}.title", TITLE),
            cpv=self.cpv(lot.cpv, f"{path}.cpv"),
            titles=self.mapping(lot.titles, f"{path}.titles", TITLE),
            estimated_value=self.amount(lot.estimated_value, f"the estimated value of lot {lot.id[:40]!r}"),
        )
        return _replaced(lot, values)

    def deadline(self, d: DeadlineRecord, path: str) -> DeadlineRecord:
        values = dict(
            lot=None if d.lot is None else self.identity(d.lot, f"{path}.lot", LOT_ID),
            text=self.optional(d.text, f"{path}.text", LINE),
            review_reasons=self.texts(d.review_reasons, f"{path}.review_reasons", LINE),
        )
        if not in_range(d.at):
            at = _safe(d.at)
            values.update(
                at=at,
                needs_review=True,
                text=values["text"] or (_written(d.at) if at != d.at else None),
                review_reasons=tuple(dict.fromkeys((*values["review_reasons"], OUT_OF_RANGE))),
            )
        return _replaced(d, values)


def _replaced(obj, values: dict):
    """``obj`` itself when every value is what it had (identity of unchanged records), else a copy."""
    if all(getattr(obj, name) == value for name, value in values.items()):
        return obj
    return dataclasses.replace(obj, **values)


def _safe(at: dt.datetime) -> dt.datetime:
    """``at`` when every time zone can show it; else the nearest instant that can (in UTC)."""
    if _SAFE_MIN <= at <= _SAFE_MAX:
        return at
    return _SAFE_MIN if at < EARLIEST else _SAFE_MAX


def _written(at: dt.datetime) -> str:
    return at.isoformat()


__all__ = ["admit", "clean", "shown", "OUT_OF_RANGE", "MAX_AMOUNT", "LATEST", "EARLIEST"]
