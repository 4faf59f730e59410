"""Read eForms notices (EU TED and Finland's Hilma): UBL 2.3 XML in, one ``NoticeRecord`` per notice out.

Pure: bytes in, records out, or an ``IngestError`` saying what is wrong and where in the document. Paths
follow the eForms SDK 1.15 ``fields/fields.json``; business-term numbers (BT-…) are named where they are read
so a reader of this file can look them up.

Decisions worth knowing (the tests pin them):

* Dates and times each carry their own offset (``2020-04-03+01:00`` + ``12:00:00+01:00``). An instant is the
  date's calendar day at the time's clock reading in the time's offset (the date's offset when the time has
  none). Nothing is converted to UTC, so the offset written survives into ``as_json()``.
* A deadline date without a time becomes 23:59:59 in the date's own offset with ``needs_review=True``: the
  whole day is open, so the end of it is the latest safe reading, and a person should confirm it.
* A date and time with no offset at all are read as UTC with ``needs_review=True``: eForms requires offsets,
  and guessing the buyer's local zone would put the deadline hours off without anyone noticing.
* BT-800 (``efac:AnswerReceptionPeriod``, the answer deadline of a preliminary market consultation, Hilma
  E1) has no kind of its own in ``DEADLINE_KINDS``; it is reported as ``interest`` (BT-630 is the nearest:
  the date by which a market participant must respond).
* An impossible date or amount (``2019-02-30``, ``12,5``) is an ``IngestError`` naming the element, the
  field and the line, not a silent gap.
* Only ``http(s)`` links are kept: a link is shown to people, and ``javascript:`` or ``file:`` URIs from a
  hostile document must not reach a page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from lxml import etree

from notices.readers import xmlsafe
from notices.readers.ids import country_alpha2, identify, language_alpha2, phone
from notices.records import Address, BuyerRecord, DeadlineRecord, IngestError, LotRecord, NoticeRecord

SOURCE = "eforms"

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
EFEXT = "http://data.europa.eu/p27/eforms-ubl-extensions/1"
EFAC = "http://data.europa.eu/p27/eforms-ubl-extension-aggregate-components/1"
EFBC = "http://data.europa.eu/p27/eforms-ubl-extension-basic-components/1"
NS = {"cbc": CBC, "cac": CAC, "ext": EXT, "efext": EFEXT, "efac": EFAC, "efbc": EFBC}
_PREFIX = {uri: prefix for prefix, uri in NS.items()}

# The notice document types eForms defines for procurement (UBL 2.3 document namespaces).
ROOT_NAMES = ("ContractNotice", "PriorInformationNotice", "ContractAwardNotice")
ROOT_TAGS = frozenset(
    f"{{urn:oasis:names:specification:ubl:schema:xsd:{name}-2}}{name}" for name in ROOT_NAMES
)

# Where the eForms extension sits under any UBL element.
_EXTENSION = "ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/efext:EformsExtension"


def _xpath(path: str) -> etree.XPath:
    """Compile once at import: evaluating a compiled XPath skips parsing the expression per notice."""
    return etree.XPath(path, namespaces=NS, smart_strings=False)


def _tag(prefix: str, name: str) -> str:
    """Clark notation for direct-child lookups, which lxml matches without any path parsing."""
    return f"{{{NS[prefix]}}}{name}"


# Notice level.
_NOTICE_ID = _xpath("cbc:ID[@schemeName='notice-id']")
_PUBLICATION_DATE = _xpath(f"{_EXTENSION}/efac:Publication/efbc:PublicationDate")  # OPP-012
_CHANGED_NOTICE = _xpath(f"{_EXTENSION}/efac:Changes/efbc:ChangedNoticeIdentifier")  # BT-758
_CHANGE_REASONS = _xpath(f"{_EXTENSION}/efac:Changes/efac:ChangeReason/cbc:ReasonCode")  # BT-140
_COMPANIES = _xpath(f"{_EXTENSION}/efac:Organizations/efac:Organization/efac:Company")
_SUBTYPE = _xpath(f"{_EXTENSION}/efac:NoticeSubType/cbc:SubTypeCode")  # OPP-070: 16, E3...
_PROCEDURE_TYPE = _xpath("cac:TenderingProcess/cbc:ProcedureCode")  # BT-105
# BT-5071 place of performance (country subdivision, NUTS 3) of the procedure and of each lot.
_PLACES = _xpath(
    "cac:ProcurementProject/cac:RealizedLocation/cac:Address/cbc:CountrySubentityCode"
    " | cac:ProcurementProjectLot/cac:ProcurementProject/cac:RealizedLocation/cac:Address/cbc:CountrySubentityCode"
)
_BUYER_REFS = _xpath("cac:ContractingParty/cac:Party/cac:PartyIdentification/cbc:ID")
_LOTS = _xpath("cac:ProcurementProjectLot[cbc:ID/@schemeName='Lot' or cbc:ID/@schemeName='Part']")
# BT-508 buyer profile, BT-15/BT-615 procurement documents, BT-18 submission URL.
# A union returns them in document order.
_LINKS = _xpath(
    "cac:ContractingParty/cbc:BuyerProfileURI"
    " | cac:TenderingTerms/cac:CallForTendersDocumentReference/cac:Attachment/cac:ExternalReference/cbc:URI"
    " | cac:ProcurementProjectLot/cac:TenderingTerms/cac:CallForTendersDocumentReference"
    "/cac:Attachment/cac:ExternalReference/cbc:URI"
    " | cac:ProcurementProjectLot/cac:TenderingTerms/cac:TenderRecipientParty/cbc:EndpointID"
)

# Under a cac:ProcurementProject (procedure or lot).
_CPV = _xpath(
    "cac:MainCommodityClassification/cbc:ItemClassificationCode[@listName='cpv' or not(@listName)]"
    " | cac:AdditionalCommodityClassification/cbc:ItemClassificationCode[@listName='cpv' or not(@listName)]"
)
_ESTIMATED_VALUE = _xpath("cac:RequestedTenderTotal/cbc:EstimatedOverallContractAmount")  # BT-27

# Under an efac:Company.
_COMPANY_IDS = _xpath("cac:PartyIdentification/cbc:ID")
_COMPANY_NAMES = _xpath("cac:PartyName/cbc:Name")  # BT-500
_COMPANY_LEGAL_IDS = _xpath("cac:PartyLegalEntity/cbc:CompanyID")  # BT-501
_COMPANY_COUNTRY = _xpath("cac:PostalAddress/cac:Country/cbc:IdentificationCode")  # BT-514
_COMPANY_NUTS = _xpath("cac:PostalAddress/cbc:CountrySubentityCode")  # BT-507
_NUTS = re.compile(r"[A-Z]{2}[0-9A-Z]{0,3}", re.ASCII)
_STREET_PARTS = _xpath(
    "cbc:StreetName | cbc:AdditionalStreetName | cac:AddressLine/cbc:Line"
)  # BT-510 a/b/c, under cac:PostalAddress

# Deadlines under a cac:TenderingProcess: (kind, business term, period, date element, time element).
_DEADLINES = tuple(
    (kind, term, _xpath(period), _tag("cbc", date_name), _tag("cbc", time_name))
    for kind, term, period, date_name, time_name in (
        ("tender", "BT-131", "cac:TenderSubmissionDeadlinePeriod", "EndDate", "EndTime"),
        ("participation", "BT-1311", "cac:ParticipationRequestReceptionPeriod", "EndDate", "EndTime"),
        ("questions", "BT-13", "cac:AdditionalInformationRequestPeriod", "EndDate", "EndTime"),
        ("opening", "BT-132", "cac:OpenTenderEvent", "OccurrenceDate", "OccurrenceTime"),
        ("interest", "BT-630", f"{_EXTENSION}/efac:InterestExpressionReceptionPeriod", "EndDate", "EndTime"),
        ("interest", "BT-800", f"{_EXTENSION}/efac:AnswerReceptionPeriod", "EndDate", "EndTime"),
    )
)

_ID = _tag("cbc", "ID")
_NAME = _tag("cbc", "Name")
_DESCRIPTION = _tag("cbc", "Description")
_PROJECT = _tag("cac", "ProcurementProject")
_TENDERING_PROCESS = _tag("cac", "TenderingProcess")

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?", re.ASCII)
_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
_CHANGED_ID = re.compile(
    r"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})-\d{2}"
)
_CONTROL = re.compile("[\x7f-\x9f]")
_HTTP = re.compile(r"https?://\S+", re.I)
_SNIFF = re.compile(
    rb"(?:\s|<\?.*?\?>|<!--.*?-->)*<(?:[A-Za-z_][\w.-]*:)?("
    + b"|".join(n.encode() for n in ROOT_NAMES)
    + rb")[\s/>]",
    re.S,
)
_SNIFF_BYTES = 16 * 1024

# Buyers recur across thousands of notices with the same phone numbers and identifiers, and phonenumbers
# is the slowest step of a read; results are frozen dataclasses, so a bounded cache is safe across threads.
_cached_phone = lru_cache(maxsize=8192)(phone)
_cached_identify = lru_cache(maxsize=8192)(identify)
_END_OF_DAY = dt.time(23, 59, 59)
_MIDNIGHT = dt.time(0, 0, 0)


# ---------------------------------------- public API


def looks_like(data: bytes) -> bool:
    """Whether ``data`` starts like an eForms notice: a ContractNotice, PriorInformationNotice or
    ContractAwardNotice root in its UBL namespace. Cheap (looks at the first 16 KiB only), never raises."""
    try:
        head = bytes(data[:_SNIFF_BYTES])
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            head = head.decode("utf-16", "ignore").encode("utf-8")
        elif head.startswith(b"\xef\xbb\xbf"):
            head = head[3:]
        match = _SNIFF.match(head)
        if not match:
            return False
        start_tag = head[match.start(1) : head.find(b">", match.end(1)) + 1 or len(head)]
        namespace = b"urn:oasis:names:specification:ubl:schema:xsd:" + match.group(1) + b"-2"
        return namespace in start_tag
    except Exception:  # a sniff must answer, not fail
        return False


def read(data: bytes, url: str | None = None) -> list[NoticeRecord]:
    """The notice in ``data`` as a one-element list (an eForms document is one notice).

    ``url`` becomes ``source_url`` and names the document in error messages. Raises ``IngestError`` and
    nothing else, whatever the bytes.
    """
    try:
        root = xmlsafe.parse(data, url)
        if root.tag not in ROOT_TAGS:
            raise IngestError(f"not an eForms notice: root element is {root.tag}")
        return [_notice(root, url)]
    except IngestError as error:
        if url and not error.where:
            raise error.at(url) from None
        raise
    except Exception as error:  # the contract is IngestError only; anything else is a bug to report
        raise IngestError(
            f"unexpected error while reading the eForms notice (a bug in the reader, please report it): "
            f"{type(error).__name__}: {error}",
            url,
        ) from error


# ---------------------------------------- the notice


def _notice(root: etree._Element, url: str | None) -> NoticeRecord:
    """Build the record; each part is read by its own function so a failure names its field."""
    source_id = _required_text(
        _first(_NOTICE_ID(root)), "the notice identifier (BT-701, cbc:ID schemeName='notice-id')"
    )
    notice_type = _required_text(
        root.find(_tag("cbc", "NoticeTypeCode")), "the notice type (BT-02, cbc:NoticeTypeCode)"
    )
    project = root.find(_PROJECT)
    language = _notice_language(root, project)

    titles = _by_language(project.iterchildren(_NAME) if project is not None else (), language)
    descriptions = _by_language(project.iterchildren(_DESCRIPTION) if project is not None else (), language)
    lots, deadlines = _lots_and_deadlines(root, language)
    deadlines = _deadlines(root.find(_TENDERING_PROCESS), None) + deadlines
    title = _pick(titles, language) or next((lot.title for lot in lots if lot.title), None)
    if not title:
        raise IngestError("the notice has no title (BT-21, cac:ProcurementProject/cbc:Name)")
    value, currency = _amount(
        _first(_ESTIMATED_VALUE(project)) if project is not None else None,
        "the estimated value (BT-27) of the procedure",
    )

    return NoticeRecord(
        source=SOURCE,
        source_id=source_id,
        notice_type=notice_type,
        title=title,
        language=language,
        procedure_id=_optional_text(root.find(_tag("cbc", "ContractFolderID"))),
        version=_optional_text(root.find(_tag("cbc", "VersionID"))),
        status=_status(root),
        changes=_changes(root),
        titles=titles,
        descriptions=descriptions,
        buyers=_buyers(root, language),
        deadlines=deadlines,
        lots=lots,
        cpv=_cpv(project),
        links=_links(root),
        published_at=_published_at(root),
        estimated_value=value,
        currency=currency,
        source_url=url,
        nuts=_nuts(root),
        subtype=_optional_text(_first(_SUBTYPE(root))),
        procedure_type=_optional_text(_first(_PROCEDURE_TYPE(root))),
    )


def _notice_language(root: etree._Element, project: etree._Element | None) -> str:
    """ISO 639-1 of BT-702. If the code is unknown, the language of the procedure title stands in."""
    element = root.find(_tag("cbc", "NoticeLanguageCode"))
    written = _optional_text(element)
    language = _language(written)
    if language:
        return language
    if project is not None:
        for name in project.iterchildren(_NAME):
            if language := _language(name.get("languageID")):
                return language
    if written:
        raise IngestError(
            f"unknown notice language {written!r} in cbc:NoticeLanguageCode (BT-702){_line(element)}"
        )
    raise IngestError("the notice has no language (BT-702, cbc:NoticeLanguageCode)")


def _status(root: etree._Element) -> str:
    """Cancelled when a change notice gives reason ``cancel`` (BT-140).

    ``cancel-intent`` only announces an intention, so the notice stays active."""
    cancelled = any(_optional_text(code) == "cancel" for code in _CHANGE_REASONS(root))
    return "cancelled" if cancelled else "active"


def _changes(root: etree._Element) -> str | None:
    """BT-758 names ``<uuid>-<version>``; the store links notices by BT-701, the bare UUID.

    Contract modification notices (``efac:ContractModification``) point at an OJS publication number, not a
    BT-701, so they are not read here."""
    written = _optional_text(_first(_CHANGED_NOTICE(root)))
    if not written:
        return None
    match = _CHANGED_ID.fullmatch(written)
    return match.group(1) if match else written


def _published_at(root: etree._Element) -> dt.datetime | None:
    """OJEU publication date (OPP-012) when the notice has been published, else dispatch (BT-05 date + time).

    The publication date has no time: it is read as the start of that day in its own offset."""
    published = _first(_PUBLICATION_DATE(root))
    if published is not None and _optional_text(published):
        return _instant(published, None, "the publication date (OPP-012)", _MIDNIGHT)[0]
    issue_date = root.find(_tag("cbc", "IssueDate"))
    if issue_date is None or not _optional_text(issue_date):
        return None
    issue_time = root.find(_tag("cbc", "IssueTime"))
    at, _needs_review = _instant(issue_date, issue_time, "the dispatch date (BT-05)", _MIDNIGHT)
    return at


def _links(root: etree._Element) -> tuple[str, ...]:
    """Web addresses a person follows from the notice, first occurrence kept, http(s) only."""
    seen: dict[str, None] = {}
    for element in _LINKS(root):
        value = _optional_text(element)
        if value and _HTTP.fullmatch(value):
            seen.setdefault(value, None)
    return tuple(seen)


def _nuts(root: etree._Element) -> tuple[str, ...]:
    """NUTS codes, each once: the places of performance (BT-5071) of the procedure and its lots, then the
    buyers' addresses (BT-507). A code that is not NUTS-shaped (FI1B1, FI19, FI) is left out."""
    seen: dict[str, None] = {}
    companies = {}
    for company in _COMPANIES(root):
        for ref in _COMPANY_IDS(company):
            if key := _optional_text(ref):
                companies.setdefault(key, company)
    buyers = [companies[k] for ref in _BUYER_REFS(root) if (k := _optional_text(ref)) in companies]
    elements = list(_PLACES(root)) + [e for company in buyers for e in _COMPANY_NUTS(company)]
    for element in elements:
        code = (_optional_text(element) or "").upper()
        if _NUTS.fullmatch(code) and not code.endswith("ZZZ"):
            seen.setdefault(code, None)
    return tuple(seen)


# ---------------------------------------- buyers


def _buyers(root: etree._Element, language: str) -> tuple[BuyerRecord, ...]:
    """The organisations the contracting parties reference (any ORG-nnnn, not necessarily ORG-0001).

    A reference to an organisation the notice does not describe is skipped: there is nothing to record."""
    companies: dict[str, etree._Element] = {}
    for company in _COMPANIES(root):
        for ref in _COMPANY_IDS(company):
            if key := _optional_text(ref):
                companies.setdefault(key, company)
    buyers: list[BuyerRecord] = []
    seen: set[str] = set()
    for ref in _BUYER_REFS(root):
        key = _optional_text(ref)
        if not key or key in seen or key not in companies:
            continue
        seen.add(key)
        if buyer := _buyer(companies[key], language):
            buyers.append(buyer)
    return tuple(buyers)


def _buyer(company: etree._Element, language: str) -> BuyerRecord | None:
    """One ``efac:Company`` as a buyer; None when it has no name (BT-500 is what a person recognises)."""
    names = _by_language(_COMPANY_NAMES(company), language)
    name = _pick(names, language)
    if not name:
        return None
    country = country_alpha2(_optional_text(_first(_COMPANY_COUNTRY(company))))
    identifiers = tuple(
        identifier
        for element in _COMPANY_LEGAL_IDS(company)
        if (identifier := _cached_identify(_optional_text(element), country)) is not None
    )
    address = company.find(_tag("cac", "PostalAddress"))
    contact = company.find(_tag("cac", "Contact"))
    return BuyerRecord(
        name=name,
        names=names,
        identifiers=identifiers,
        address=_address(address, country),
        email=_child_text(contact, "cbc", "ElectronicMail"),  # BT-506
        phone=_cached_phone(_child_text(contact, "cbc", "Telephone"), country),  # BT-503
        fax=_cached_phone(_child_text(contact, "cbc", "Telefax"), country),  # BT-739
        url=_child_text(company, "cbc", "WebsiteURI"),  # BT-505
    )


def _address(address: etree._Element | None, country: str | None) -> Address:
    """BT-510 street lines joined, post code, town, country; ``cbc:Postbox`` is UBL, rare in eForms."""
    if address is None:
        return Address(country=country)
    # Some senders repeat one line in all three street fields; each distinct line is kept once.
    street = ", ".join(dict.fromkeys(filter(None, (_optional_text(part) for part in _STREET_PARTS(address)))))
    return Address(
        street=street or None,
        po_box=_child_text(address, "cbc", "Postbox"),
        postal_code=_child_text(address, "cbc", "PostalZone"),
        city=_child_text(address, "cbc", "CityName"),
        country=country,
    )


# ---------------------------------------- lots


def _lots_and_deadlines(
    root: etree._Element, language: str
) -> tuple[tuple[LotRecord, ...], tuple[DeadlineRecord, ...]]:
    """Lots (and the parts of a prior information notice, which play the same role) with their deadlines.

    Groups of lots (``LotsGroup``) are not lots: they carry no deadlines and would double-count."""
    lots: list[LotRecord] = []
    deadlines: list[DeadlineRecord] = []
    for element in _LOTS(root):
        id_element = element.find(_ID)
        lot_id = _required_text(id_element, f"the lot identifier (BT-137, cbc:ID){_line(id_element)}")
        project = element.find(_PROJECT)
        titles = _by_language(project.iterchildren(_NAME) if project is not None else (), language)
        value, _currency = _amount(
            _first(_ESTIMATED_VALUE(project)) if project is not None else None,
            f"the estimated value (BT-27) of lot {lot_id}",
        )
        lots.append(
            LotRecord(
                id=lot_id,
                title=_pick(titles, language),
                cpv=_cpv(project),
                titles=titles,
                estimated_value=value,
            )
        )
        deadlines.extend(_deadlines(element.find(_TENDERING_PROCESS), lot_id))
    return tuple(lots), tuple(deadlines)


def _deadlines(process: etree._Element | None, lot_id: str | None) -> tuple[DeadlineRecord, ...]:
    """The deadlines in one ``cac:TenderingProcess``: a lot's, or the procedure's when ``lot_id`` is None."""
    if process is None:
        return ()
    found: list[DeadlineRecord] = []
    where = f"lot {lot_id}" if lot_id else "the procedure"
    for kind, term, period_path, date_tag, time_tag in _DEADLINES:
        for period in period_path(process):
            date_element = period.find(date_tag)
            if date_element is None or not _optional_text(date_element):
                continue  # a time without a date names no day; nothing to record
            at, needs_review = _instant(
                date_element, period.find(time_tag), f"the {kind} deadline ({term}) of {where}", _END_OF_DAY
            )
            found.append(DeadlineRecord(kind=kind, at=at, lot=lot_id, needs_review=needs_review))
    return tuple(found)


def _cpv(project: etree._Element | None) -> tuple[str, ...]:
    """Main then additional CPV codes (BT-262, BT-263), each once, in document order."""
    if project is None:
        return ()
    seen: dict[str, None] = {}
    for element in _CPV(project):
        if code := _optional_text(element):
            seen.setdefault(code, None)
    return tuple(seen)


def _amount(element: etree._Element | None, what: str) -> tuple[Decimal | None, str | None]:
    """An xsd:decimal amount and its currency; ``12,5`` or ``NaN`` is an error naming the field."""
    if element is None:
        return None, None
    written = _optional_text(element)
    if not written:
        return None, None
    if not _DECIMAL.fullmatch(written):
        raise IngestError(f"{written!r} is not a number in {_name(element)} ({what}){_line(element)}")
    try:
        value = Decimal(written)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise IngestError(
            f"{written!r} is not a number in {_name(element)} ({what}){_line(element)}"
        ) from None
    currency = (element.get("currencyID") or "").strip().upper() or None
    return value, currency


# ---------------------------------------- dates


def _instant(
    date_element: etree._Element, time_element: etree._Element | None, what: str, default_time: dt.time
) -> tuple[dt.datetime, bool]:
    """An aware instant from an eForms date and optional time, and whether a person should check it.

    The time's offset wins (it says what the clock reads); the date's stands in when the time has none.
    ``default_time`` fills a missing time (end of day for deadlines, midnight for publication)."""
    day, date_zone = _parse_date(date_element, what)
    needs_review = False
    if time_element is None or not _optional_text(time_element):
        clock, time_zone, next_day = default_time, None, False
        needs_review = True
    else:
        clock, time_zone, next_day = _parse_time(time_element, what)
    zone = time_zone or date_zone
    if zone is None:
        zone, needs_review = dt.UTC, True
    try:
        at = dt.datetime.combine(day, clock, zone)
        if next_day:
            at += dt.timedelta(days=1)
    except (OverflowError, ValueError):
        raise IngestError(
            f"{_text(date_element)!r} is out of range in {_name(date_element)} ({what}){_line(date_element)}"
        ) from None
    return at, needs_review


def _parse_date(element: etree._Element, what: str) -> tuple[dt.date, dt.tzinfo | None]:
    """``2019-10-24+01:00``, ``2019-06-24Z`` or ``2019-06-24`` (xsd:date); impossible dates are errors."""
    written = _text(element)
    match = _DATE.fullmatch(written)
    if not match:
        raise IngestError(
            f"{written!r} is not a date (YYYY-MM-DD) in {_name(element)} ({what}){_line(element)}"
        )
    year, month, day, offset = match.groups()
    try:
        value = dt.date(int(year), int(month), int(day))
    except ValueError:
        raise IngestError(
            f"impossible date {written!r} in {_name(element)} ({what}){_line(element)}"
        ) from None
    return value, _zone(offset, element, what)


def _parse_time(element: etree._Element, what: str) -> tuple[dt.time, dt.tzinfo | None, bool]:
    """``12:00:00+01:00`` (xsd:time); ``24:00:00`` is the end of the day, i.e. midnight of the next one."""
    written = _text(element)
    match = _TIME.fullmatch(written)
    if not match:
        raise IngestError(
            f"{written!r} is not a time (hh:mm:ss) in {_name(element)} ({what}){_line(element)}"
        )
    hour, minute, second, fraction, offset = match.groups()
    zone = _zone(offset, element, what)
    if (hour, minute, second) == ("24", "00", "00") and not (fraction or "").strip("0"):
        return _MIDNIGHT, zone, True
    try:
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        return dt.time(int(hour), int(minute), int(second), micro), zone, False
    except ValueError:
        raise IngestError(
            f"impossible time {written!r} in {_name(element)} ({what}){_line(element)}"
        ) from None


def _zone(offset: str | None, element: etree._Element, what: str) -> dt.tzinfo | None:
    """The written offset as a fixed zone; ±14:00 is the widest the XML Schema allows."""
    if not offset:
        return None
    try:
        return _fixed_zone(offset)
    except ValueError:
        raise IngestError(
            f"impossible time zone offset {offset!r} in {_name(element)} ({what}){_line(element)}"
        ) from None


@lru_cache(maxsize=64)
def _fixed_zone(offset: str) -> dt.tzinfo:
    if offset == "Z":
        return dt.UTC
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    if hours > 14 or minutes > 59 or (hours == 14 and minutes):
        raise ValueError(offset)
    delta = dt.timedelta(hours=hours, minutes=minutes)
    return dt.timezone(-delta if offset[0] == "-" else delta)


# ---------------------------------------- text helpers


def _language(code: str | None) -> str | None:
    """ISO 639-1 from eForms' three-letter codes (ENG → en); None when the code is not a language."""
    if not code:
        return None
    two = language_alpha2(code)
    return two if two and len(two) == 2 and two.isascii() and two.isalpha() else None


def _by_language(elements: Iterable[etree._Element], default: str) -> dict[str, str]:
    """Texts keyed by ISO 639-1; an element without ``languageID`` is in the notice language. First wins."""
    texts: dict[str, str] = {}
    for element in elements:
        text = _optional_text(element)
        if not text:
            continue
        written = element.get("languageID")
        key = _language(written) or (written.strip().lower() if written and written.strip() else default)
        texts.setdefault(key, text)
    return texts


def _pick(texts: dict[str, str], language: str) -> str | None:
    """The text in the notice language, else the first one written."""
    return texts.get(language) or next(iter(texts.values()), None)


def _first(elements: list) -> etree._Element | None:
    return elements[0] if elements else None


def _text(element: etree._Element) -> str:
    """An element's text with runs of white space (line breaks in long titles) folded to one space and
    C1 control characters (legal in XML 1.0, left over from bad transcoding, e.g. U+008D) dropped."""
    text = element.text
    if not text:
        return ""
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    return " ".join(text.split())


def _optional_text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    return _text(element) or None


def _child_text(parent: etree._Element | None, prefix: str, name: str) -> str | None:
    return None if parent is None else _optional_text(parent.find(_tag(prefix, name)))


def _required_text(element: etree._Element | None, what: str) -> str:
    """The text of a field the record cannot do without; its absence is an error naming the field."""
    text = _optional_text(element)
    if not text:
        raise IngestError(f"missing {what}")
    return text


def _name(element: etree._Element) -> str:
    """``cbc:EndDate`` rather than ``{urn:…}EndDate``: what a person searching the file would type."""
    qname = etree.QName(element)
    prefix = _PREFIX.get(qname.namespace or "")
    return f"{prefix}:{qname.localname}" if prefix else qname.localname


def _line(element: etree._Element | None) -> str:
    line = getattr(element, "sourceline", None)
    return f", line {line}" if line else ""
