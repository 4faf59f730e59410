"""Open Contracting Data Standard (OCDS) reader: JSON bytes in, ``NoticeRecord``s out. Pure.

Accepted shapes (``looks_like`` recognises the same three):

* a release package ``{"releases": [...]}``: one notice per release that has a ``tender`` object;
* a record package ``{"records": [...]}``: one notice per record, read from its ``compiledRelease``, or,
  when there is none, from the latest (by ``date``) of its embedded releases that has a ``tender``;
* a bare release ``{"ocid": ...}``.

Decisions, and why:

* A release without a ``tender`` (planning-only, contract, implementation) is skipped: it announces
  nothing a bidder can act on. A package of only such releases reads as ``[]``, which is not an error.
  A planning release that does carry a ``tender`` (status "planned") is kept, like an eForms prior
  information notice: its ``notice_type`` is "planning".
* ``source_id`` and ``procedure_id`` are the ocid, ``version`` the release ``id`` (the ``date`` as written
  when there is no id), ``notice_type`` the release ``tag`` list joined with "," ("tender",
  "tenderAmendment", "tender,award"; "release" when there is no tag).
* ``changes`` is set only for amendment releases (a tag ending in "Amendment"): as for eForms it names the
  notice being changed, which in OCDS is the same contracting process, so it is the ocid. (Which release
  an amendment amends, ``amendsReleaseID``, stays in the stored raw release.)
* ``status`` is "cancelled" when ``tender.status`` is "cancelled" or "withdrawn", else "active".
* Buyers: the ``buyer`` reference (resolved against ``parties``, or the embedded organisation of OCDS
  1.0), then parties with role "buyer", then parties with role "procuringEntity", then
  ``tender.procuringEntity``; duplicates (same party id, identifier or name) are dropped. The procuring
  entity is kept beside the buyer because in real data (Mexico) the buyer party is a bare name and the
  procuring unit carries the identifiers, address and contact point.
* Identifier schemes pass to ``identify`` only when they look like an org-id.guide code ("GB-LAC",
  "FI-PRO"); free-text schemes ("Registro Federal de Contribuyentes de México") become ``None``.
* Phones are parsed in the organisation's country; without one we pass the unknown region "ZZ", so
  only numbers written with "+" get an E.164 form (``ids.phone`` would otherwise assume Finland).
* Dates must be ISO 8601 / RFC 3339. Impossible dates are an ``IngestError`` naming the JSON path. A date
  without an offset (or without a time) is not valid OCDS but is common; it is read as UTC and any
  deadline from it gets ``needs_review=True``. All instants are returned in UTC.
* Numbers are read as ``Decimal`` straight from the JSON text. A ``value.amount`` of 0 is read as
  unknown (publishers write 0 when there is no estimate). CPV codes are normalised to their 8 digits
  ("45233130-7" and the spreadsheet artefact "45233130.0" both become "45233130"); values under scheme
  "CPV" that are not CPV-shaped are dropped.
* null is treated as absent everywhere. A value of the wrong JSON type where we read it (a string
  where an object is expected) is an ``IngestError`` naming the path; numbers are accepted where text is
  expected (ids are often integers). Fields we do not read are not checked.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, NamedTuple

import pycountry

from notices.readers.ids import country_alpha2, identify, language_alpha2, phone
from notices.records import (
    Address,
    BuyerRecord,
    DeadlineRecord,
    Identifier,
    IngestError,
    LotRecord,
    NoticeRecord,
)

SOURCE = "ocds"
DEFAULT_LANGUAGE = "en"
_CANCELLED = {"cancelled", "withdrawn"}
_BUYER_ROLES = ("buyer", "procuringEntity")
_UNKNOWN_REGION = "ZZ"  # phonenumbers' "no default region"
_ORG_ID_SCHEME = re.compile(r"^[A-Z]{2}-[A-Z0-9]{2,}$")
_CPV = re.compile(r"^(\d{8})(?:-\d|\.0+)?$", re.ASCII)
_LANGUAGE = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$")
_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$",
    re.ASCII,
)
_EARLIEST = dt.datetime.min.replace(tzinfo=dt.timezone.utc)


# --- bytes to JSON -------------------------------------------------------------------------------


def looks_like(data: bytes) -> bool:
    """Whether ``data`` is OCDS JSON this reader takes: an object with ``releases`` or ``records``, or a
    release (an object with ``ocid``). Never raises."""
    try:
        raw = _without_bom(bytes(data))
        if not _OBJECT_START.match(raw):  # cheap: most payloads are XML or HTML
            return False
        document = _parse(raw.lstrip())
    except (IngestError, TypeError, ValueError):
        return False
    return isinstance(document, dict) and any(key in document for key in ("releases", "records", "ocid"))


def read(data: bytes, url: str | None = None) -> list[NoticeRecord]:
    """The notices in an OCDS release package, record package or release.

    Raises ``IngestError`` (naming ``url`` when given) for anything that is not readable OCDS.
    """
    try:
        return list(_notices(_parse(bytes(data)), url))
    except IngestError as error:
        if url:
            raise error.at(url) from None
        raise


_OBJECT_START = re.compile(rb"\s*\{")


def _without_bom(raw: bytes) -> bytes:
    return raw[len(codecs.BOM_UTF8) :] if raw.startswith(codecs.BOM_UTF8) else raw


def _parse(raw: bytes) -> Any:
    """JSON text to Python values, with every failure turned into a sentence.

    Floats become ``Decimal`` so amounts keep their written digits; NaN and Infinity (which Python's json
    accepts but JSON does not) are refused.
    """
    raw = _without_bom(raw)
    if not raw.strip():
        raise IngestError("the file is empty: expected OCDS JSON")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise IngestError(
            f"the file is not UTF-8 text (byte 0x{raw[error.start]:02x} at offset {error.start}); "
            "OCDS JSON must be UTF-8"
        ) from None
    try:
        return json.loads(text, parse_float=_json_number, parse_constant=_json_constant)
    except IngestError:
        raise
    except json.JSONDecodeError as error:
        raise IngestError(
            f"the file is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    except RecursionError:
        raise IngestError("the file is not usable JSON: it is nested too deeply") from None
    except ValueError as error:  # an integer longer than Python's 4,300-digit limit
        if "digits" in str(error):
            raise IngestError("the file is not usable JSON: it holds a number of more than 4,300 digits") from None
        raise IngestError(f"the file is not usable JSON: {error}") from None


def _json_number(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise IngestError(f"the file is not usable JSON: the number {_clip(text)} is out of range") from None


def _json_constant(text: str) -> Any:
    raise IngestError(f"the file is not valid JSON: {text} is not a JSON value")


# --- typed access with JSON paths ----------------------------------------------------------------


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _kind(value: Any) -> str:
    """How a JSON value is named in an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"a string ({_clip(value)!r})"
    if isinstance(value, (int, Decimal)):
        return f"the number {_clip(str(value))}"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _where(path: str) -> str:
    return path or "the top level"


def _as_text(value: Any, path: str, *, line: bool = True) -> str | None:
    """A string (numbers accepted, as ids often are integers); None when absent or blank.

    ``line`` collapses runs of whitespace, for names and titles.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise IngestError(f"{_where(path)}: expected text, found {_kind(value)}")
    text = " ".join(str(value).split()) if line else str(value).strip()
    return text or None


def _as_object(value: Any, path: str) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise IngestError(f"{_where(path)}: expected an object, found {_kind(value)}")
    return value


def _as_list(value: Any, path: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise IngestError(f"{_where(path)}: expected a list, found {_kind(value)}")
    return value


class _When(NamedTuple):
    at: dt.datetime  # aware, UTC
    exact: bool  # False when the source gave no offset (or no time) and UTC was assumed


def _as_instant(value: Any, path: str) -> _When | None:
    """An OCDS date-time, validated; impossible dates name their path."""
    text = _as_text(value, path)
    if text is None:
        return None
    match = _DATE.match(text.upper())
    if not match:
        raise IngestError(
            f"{path}: {_clip(text)!r} is not a valid date (expected ISO 8601, e.g. 2010-04-01T18:00:00Z)"
        )
    try:
        parsed = dt.datetime.fromisoformat(text.upper())
        exact = parsed.tzinfo is not None
        if not exact:
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        return _When(parsed.astimezone(dt.timezone.utc), exact)
    except (ValueError, OverflowError) as error:
        raise IngestError(f"{path}: {_clip(text)!r} is not a valid date ({error})") from None


def _as_amount(value: Any, path: str) -> Decimal | None:
    """A JSON number (or a string holding one, as some publishers write)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise IngestError(f"{path}: expected a number, found {_kind(value)}")
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            raise IngestError(f"{path}: {_clip(value)!r} is not a number") from None
    amount = Decimal(value)
    if not amount.is_finite():
        raise IngestError(f"{path}: {_clip(str(value))!r} is not a number")
    return amount


@dataclass(frozen=True)
class _Node:
    """A JSON object and where it sits, so every read can name its path in an error."""

    data: dict
    path: str

    def at(self, key: str) -> str:
        return _join(self.path, key)

    def obj(self, key: str) -> _Node | None:
        value = _as_object(self.data.get(key), self.at(key))
        return None if value is None else _Node(value, self.at(key))

    def objs(self, key: str) -> list[_Node]:
        """The objects in a list; null entries are skipped (real data has ``[null]``)."""
        path = self.at(key)
        nodes = []
        for index, item in enumerate(_as_list(self.data.get(key), path)):
            value = _as_object(item, f"{path}[{index}]")
            if value is not None:
                nodes.append(_Node(value, f"{path}[{index}]"))
        return nodes

    def texts(self, key: str) -> list[str]:
        """A list of strings; a lone string counts as a list of one."""
        value, path = self.data.get(key), self.at(key)
        items = [value] if isinstance(value, str) else _as_list(value, path)
        return [t for i, item in enumerate(items) if (t := _as_text(item, f"{path}[{i}]"))]

    def text(self, key: str, *, line: bool = True) -> str | None:
        return _as_text(self.data.get(key), self.at(key), line=line)

    def instant(self, key: str) -> _When | None:
        return _as_instant(self.data.get(key), self.at(key))

    def amount(self, key: str) -> Decimal | None:
        return _as_amount(self.data.get(key), self.at(key))

    def variants(self, key: str, language: str, *, line: bool = True) -> dict[str, str]:
        """``{language: text}`` for ``key`` and its OCDS language variants (``title_es``, ``title_fr``)."""
        found: dict[str, str] = {}
        if text := self.text(key, line=line):
            found[language] = text
        prefix = key + "_"
        for name in self.data:
            if not name.startswith(prefix) or not (match := _LANGUAGE.match(name[len(prefix) :])):
                continue
            variant = language_alpha2(match.group(1))
            if variant and variant not in found and (text := self.text(name, line=line)):
                found[variant] = text
        return found


# --- packages, records, releases ------------------------------------------------------------------


def _notices(document: Any, url: str | None) -> Iterator[NoticeRecord]:
    """Dispatch on the package type; see the module docstring for what each yields."""
    if not isinstance(document, dict):
        raise IngestError(
            f"the top level is {_kind(document)}: expected an OCDS release package, record package "
            "or release (a JSON object)"
        )
    root = _Node(document, "")
    if "records" in document:
        for record in root.objs("records"):
            if notice := _record_notice(record, url):
                yield notice
    elif "releases" in document:
        for release in root.objs("releases"):
            if notice := _notice(release, url):
                yield notice
    elif "ocid" in document:
        if notice := _notice(root, url):
            yield notice
    else:
        raise IngestError(
            "this JSON is not OCDS: the top level has no 'releases', 'records' or 'ocid' "
            f"(its keys are: {_clip(', '.join(map(str, document)) or 'none')})"
        )


def _record_notice(record: _Node, url: str | None) -> NoticeRecord | None:
    """A record's notice: its compiled release, else its latest embedded release with a tender.

    Releases without a tender are passed over so that a trailing contract release does not hide the
    tender; linked releases (only url/date/tag) have no tender and are passed over too.
    """
    ocid = record.text("ocid")
    compiled = record.obj("compiledRelease")
    if compiled is not None:
        return _notice(compiled, url, ocid)
    latest: tuple[dt.datetime, int, _Node] | None = None
    for index, release in enumerate(record.objs("releases")):
        if release.obj("tender") is None:
            continue
        when = release.instant("date")
        candidate = (when.at if when else _EARLIEST, index, release)
        if latest is None or candidate[:2] >= latest[:2]:
            latest = candidate
    return _notice(latest[2], url, ocid) if latest else None


def _notice(release: _Node, url: str | None, ocid: str | None = None) -> NoticeRecord | None:
    """One release as a notice, or None when it has no tender."""
    tender = release.obj("tender")
    if tender is None:
        return None
    ocid = release.text("ocid") or ocid
    if not ocid:
        raise IngestError(f"{_where(release.path)}: the release has no 'ocid'; every OCDS release needs one")
    language = _language(release)
    published = release.instant("date")
    tags = release.texts("tag")
    version = release.text("id") or release.text("date")
    titles = tender.variants("title", language)
    value = tender.obj("value")
    items = _items(tender)
    return NoticeRecord(
        source=SOURCE,
        source_id=ocid,
        procedure_id=ocid,
        version=version,
        notice_type=",".join(tags) or "release",
        status=_status(tender),
        changes=ocid if _is_amendment(tags) else None,
        title=titles.get(language) or next(iter(titles.values()), None) or _fallback_title(release, ocid),
        language=language,
        titles=titles,
        descriptions=tender.variants("description", language, line=False),
        buyers=_buyers(release, tender, language),
        deadlines=_deadlines(tender),
        lots=_lots(tender, items, language),
        cpv=_unique(code for _, codes in items for code in codes),
        links=_unique(link for document in tender.objs("documents") if (link := document.text("url"))),
        published_at=published.at if published else None,
        estimated_value=_estimate(value),
        currency=_currency(value),
        source_url=url,
    )


def _language(release: _Node) -> str:
    """ISO 639-1 of the release (``language`` may be "es", "spa" or "es-MX"); "en" when unknown."""
    text = release.text("language")
    match = _LANGUAGE.match(text) if text else None
    return (language_alpha2(match.group(1)) if match else None) or DEFAULT_LANGUAGE


def _fallback_title(release: _Node, ocid: str) -> str:
    """A tender without a title: the planning budget's project name, else the ocid."""
    planning = release.obj("planning")
    budget = planning.obj("budget") if planning else None
    return (budget.text("project") if budget else None) or ocid


def _status(tender: _Node) -> str:
    status = tender.text("status")
    return "cancelled" if status and status.lower() in _CANCELLED else "active"


def _is_amendment(tags: list[str]) -> bool:
    return any(tag.lower().endswith("amendment") for tag in tags)


def _unique(values: Iterator[str] | list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


# --- organisations --------------------------------------------------------------------------------


def _buyers(release: _Node, tender: _Node, language: str) -> tuple[BuyerRecord, ...]:
    """Buyer and procuring entity organisations, in that order, without duplicates."""
    parties = release.objs("parties")
    by_id: dict[str, _Node] = {}
    for party in parties:
        if (party_id := party.text("id")) and party_id not in by_id:
            by_id[party_id] = party

    candidates: list[_Node] = []
    if (buyer := _resolve(release.obj("buyer"), by_id)) is not None:
        candidates.append(buyer)
    for role in _BUYER_ROLES:
        candidates.extend(party for party in parties if role in party.texts("roles"))
    if (entity := _resolve(tender.obj("procuringEntity"), by_id)) is not None:
        candidates.append(entity)

    buyers: list[BuyerRecord] = []
    seen: set[tuple] = set()
    for organisation in candidates:
        record = _buyer(organisation, language)
        keys = _identity(organisation, record)
        if record is None or keys & seen:
            continue
        seen |= keys
        buyers.append(record)
    return tuple(buyers)


def _resolve(reference: _Node | None, by_id: dict[str, _Node]) -> _Node | None:
    """An organisation reference resolved against ``parties``; unresolved, the reference itself (an
    OCDS 1.0 release embeds the whole organisation here). The party wins; the reference fills gaps."""
    if reference is None:
        return None
    party = by_id.get(reference.text("id") or "")
    if party is None:
        return reference
    merged = {**reference.data, **{k: v for k, v in party.data.items() if v is not None}}
    return _Node(merged, party.path)


def _identity(organisation: _Node, record: BuyerRecord | None) -> set[tuple]:
    """Keys under which two mentions are the same organisation: party id, identifiers, name."""
    if record is None:
        return set()
    keys: set[tuple] = {("name", record.name.casefold())}
    if party_id := organisation.text("id"):
        keys.add(("id", party_id))
    keys.update(("identifier", i.scheme, i.id) for i in record.identifiers)
    return keys


def _buyer(organisation: _Node, language: str) -> BuyerRecord | None:
    """An OCDS Organization as a buyer; None when it has no name at all."""
    identifier = organisation.obj("identifier")
    names = organisation.variants("name", language)
    name = names.get(language) or (identifier.text("legalName") if identifier else None)
    if not name:
        return None
    names.setdefault(language, name)
    address_node = organisation.obj("address")
    address = _address(address_node) if address_node else Address()
    contact = organisation.obj("contactPoint")
    region = address.country or _UNKNOWN_REGION
    return BuyerRecord(
        name=name,
        names=names,
        identifiers=_identifiers(organisation, address.country),
        address=address,
        email=contact.text("email") if contact else None,
        phone=phone(contact.text("telephone"), region) if contact else None,
        fax=phone(contact.text("faxNumber"), region) if contact else None,
        url=contact.text("url") if contact else None,
    )


def _identifiers(organisation: _Node, country: str | None) -> tuple[Identifier, ...]:
    """``identifier`` and ``additionalIdentifiers``, each placed and checked by ``identify``."""
    main = organisation.obj("identifier")
    nodes = ([main] if main else []) + organisation.objs("additionalIdentifiers")
    found: dict[tuple, Identifier] = {}
    for node in nodes:
        written_scheme = node.text("scheme")
        scheme = written_scheme.upper() if written_scheme else None
        if scheme and not _ORG_ID_SCHEME.match(scheme):
            scheme = None  # free text such as "Registro Federal de Contribuyentes de México"
        identifier = identify(node.text("id"), country, scheme)
        if identifier is not None:
            found.setdefault((identifier.scheme, identifier.id), identifier)
    return tuple(found.values())


def _address(node: _Node) -> Address:
    country = node.text("countryName")
    return Address(
        street=node.text("streetAddress"),
        postal_code=node.text("postalCode"),
        city=node.text("locality"),
        country=_country(country) if country else None,
    )


@lru_cache(maxsize=512)
def _country(written: str) -> str | None:
    """Alpha-2 from a code ("MX", "MEX") or an English name, accents ignored ("MÉXICO", "Paraguay")."""
    if len(written) in (2, 3) and (code := country_alpha2(written)):
        return code
    if len(written) > 80:
        return None
    folded = unicodedata.normalize("NFKD", written).encode("ascii", "ignore").decode("ascii").strip()
    if not folded:
        return None
    try:
        return pycountry.countries.lookup(folded).alpha_2
    except LookupError:
        return None


# --- tender content -------------------------------------------------------------------------------


def _deadlines(tender: _Node) -> tuple[DeadlineRecord, ...]:
    """Period end dates as deadlines: tender-wide, then per lot (lots extension ``lots[].tenderPeriod``)."""
    found: list[DeadlineRecord] = []

    def add(kind: str, holder: _Node | None, key: str, lot: str | None = None) -> None:
        when = holder.instant(key) if holder else None
        if when is None:
            return
        deadline = DeadlineRecord(kind=kind, at=when.at, lot=lot, needs_review=not when.exact)
        if deadline not in found:
            found.append(deadline)

    for scope, lot in [(tender, None)] + [(node, _lot_id(node)) for node in tender.objs("lots")]:
        add("tender", scope.obj("tenderPeriod"), "endDate", lot)
        add("questions", scope.obj("enquiryPeriod"), "endDate", lot)
        add("opening", scope.obj("bidOpening"), "date", lot)  # bid opening extension
    return tuple(found)


def _lot_id(lot: _Node) -> str:
    lot_id = lot.text("id")
    if not lot_id:
        raise IngestError(f"{lot.path}: the lot has no 'id'")
    return lot_id


def _items(tender: _Node) -> list[tuple[str | None, tuple[str, ...]]]:
    """Each item's ``relatedLot`` and CPV codes (classification and additional classifications)."""
    items = []
    for item in tender.objs("items"):
        main = item.obj("classification")
        classifications = ([main] if main else []) + item.objs("additionalClassifications")
        codes = _unique(
            code
            for c in classifications
            if (c.text("scheme") or "").upper() == "CPV" and (code := _cpv(c.text("id")))
        )
        items.append((item.text("relatedLot"), codes))
    return items


def _cpv(written: str | None) -> str | None:
    match = _CPV.match(written) if written else None
    return match.group(1) if match else None


def _lots(
    tender: _Node, items: list[tuple[str | None, tuple[str, ...]]], language: str
) -> tuple[LotRecord, ...]:
    lots: dict[str, LotRecord] = {}
    for node in tender.objs("lots"):
        lot_id = _lot_id(node)
        if lot_id in lots:
            continue
        titles = node.variants("title", language)
        lots[lot_id] = LotRecord(
            id=lot_id,
            title=titles.get(language) or next(iter(titles.values()), None),
            cpv=_unique(code for related, codes in items if related == lot_id for code in codes),
            titles=titles,
            estimated_value=_estimate(node.obj("value")),
        )
    return tuple(lots.values())


def _estimate(value: _Node | None) -> Decimal | None:
    """``value.amount``; 0 means "not given" in real data, so it reads as unknown."""
    amount = value.amount("amount") if value else None
    return amount if amount else None


def _currency(value: _Node | None) -> str | None:
    currency = value.text("currency") if value else None
    return currency.upper() if currency else None
