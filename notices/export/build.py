"""An officer's notice as eForms XML: pure, plain data in, UTF-8 bytes out.

Two kinds, one builder, because a Finnish national notice is an eForms notice with a national extension:

* ``eu``: an EU contract notice, subtype 16 (``cn-standard``, Directive 2014/24/EU by default), for TED.
* ``national``: a Finnish national contract notice, subtype E3 (*Kansallinen hankintailmoitus*), with Hilma's
  ``hilma:NationalExtension`` (FI-11 applicable legislation, FI-30, FI-20), for Hilma; shaped like Hilma's
  ``E3_minimum.xml``. Its legal basis is ``other`` with the Finnish act as BT-01(f).

A correction or a cancellation is a **change notice**: a full notice with its own BT-701 whose
``efac:Changes`` names the changed notice as ``<uuid>-<version>`` (BT-758) with reason ``update-add`` or
``cancel`` (BT-140), as the SDK's ``change-cn_24_open_dates.xml`` changes ``cn_24_open.xml``.

What goes where (the README's "eForms export" table lists every field):

* The buyer is ORG-0001 (name, Y-tunnus as BT-501, address with its NUTS code, contact point); the review
  body (Markkinaoikeus by default) is ORG-0002.
* eForms notices always have lots. A draft without lots becomes one lot, ``LOT-0000``, carrying the
  procedure's title, description, CPV codes and deadlines. A draft's lots keep their ids, which must be
  eForms lot ids (``LOT-0001``; ``notices.export.fields.problems`` says so beside the field).
* Deadlines belong to lots in eForms: a procedure-level deadline goes into every lot that has no deadline
  of that kind of its own. Each keeps the UTC offset the officer wrote (date and time both carry it).
  Hilma's E3 has no tender opening (its rule FI-E3-BT-132 forbids it): a national notice leaves the
  opening out (``fields.problems`` says so beside the deadline).
* CPV: the first code is the main classification (BT-262), the rest additional (BT-263); a lot without
  codes of its own gets the procedure's main code (BT-262-Lot is mandatory).
* Languages: the notice language (BT-702) and each other language in which the procedure title, its
  description and every lot title are given (an eForms notice must carry every text in every language
  it declares); tender languages (BT-97) from the eForms fields.
* Links: every link is a procurement document (BT-15) of every lot; the submission URL (BT-18) is the
  one set, else the first link.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pycountry
from lxml import etree

from notices.vocab import DEADLINE_KINDS

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
EFEXT = "http://data.europa.eu/p27/eforms-ubl-extensions/1"
EFAC = "http://data.europa.eu/p27/eforms-ubl-extension-aggregate-components/1"
EFBC = "http://data.europa.eu/p27/eforms-ubl-extension-basic-components/1"
HILMA = "urn:hanselHilma:NationalNoticeExtension"
CN = "urn:oasis:names:specification:ubl:schema:xsd:ContractNotice-2"
NSMAP = {None: CN, "cac": CAC, "cbc": CBC, "ext": EXT, "efac": EFAC, "efext": EFEXT, "efbc": EFBC}

HELSINKI = ZoneInfo("Europe/Helsinki")
CUSTOMIZATION = "eforms-sdk-1.15"
SUBTYPES = {"eu": "16", "national": "E3"}
KINDS = tuple(SUBTYPES)
BUYER_ORG, REVIEW_ORG = "ORG-0001", "ORG-0002"
NO_LOTS_ID = "LOT-0000"
# ISO 639-1 (the draft) -> ISO 639-2/B as eForms writes languages.
LANGUAGES = {"fi": "FIN", "sv": "SWE", "en": "ENG", "et": "EST", "de": "DEU", "fr": "FRA", "ru": "RUS"}
# (deadline kind, period element, date element, time element) under a lot's cac:TenderingProcess, in the
# order the schema wants them.
_PERIODS = (
    ("tender", "TenderSubmissionDeadlinePeriod", "EndDate", "EndTime"),
    ("participation", "ParticipationRequestReceptionPeriod", "EndDate", "EndTime"),
    ("questions", "AdditionalInformationRequestPeriod", "EndDate", "EndTime"),
)
assert {k for k, *_ in _PERIODS} | {"opening", "interest"} == set(DEADLINE_KINDS)

# Texts the builder writes itself, in the languages a notice may declare.
_DOCUMENTS_NOTE = {"fi": "Hankinta-asiakirjat", "sv": "Upphandlingsdokument", "en": "Procurement documents"}
_CRITERION_NAMES = {
    "price": {"fi": "Hinta", "sv": "Pris", "en": "Price"},
    "quality": {"fi": "Laatu", "sv": "Kvalitet", "en": "Quality"},
    "cost": {"fi": "Kustannukset", "sv": "Kostnad", "en": "Cost"},
}
_PROCUREMENT_ACT = {
    "fi": "Laki julkisista hankinnoista ja käyttöoikeussopimuksista (1397/2016)",
    "sv": "Lag om offentlig upphandling och koncession (1397/2016)",
    "en": "Act on Public Procurement and Concession Contracts (1397/2016)",
}
_CHANGE_TEXTS = {
    "update-add": {"fi": "Ilmoitusta on korjattu.", "sv": "Meddelandet har rättats.", "en": "The notice was corrected."},
    "cancel": {"fi": "Hankinta on peruttu.", "sv": "Upphandlingen har avbrutits.", "en": "The procurement was cancelled."},
}


@dataclass(frozen=True)
class Organisation:
    """A party of the notice (the buyer, the review body) as eForms describes it."""

    name: str
    company_id: str  # BT-501, e.g. a Y-tunnus 0206714-5
    city: str = ""
    street: str = ""
    postal_code: str = ""
    nuts: str = ""  # BT-507, NUTS 3
    country: str = "FI"  # ISO 3166-1 alpha-2
    email: str = ""
    phone: str = ""
    url: str = ""
    names: tuple[tuple[str, str], ...] = ()  # (language, name) where the name differs by language

    def name_in(self, language: str) -> str:
        return dict(self.names).get(language) or self.name


@dataclass(frozen=True)
class Fields:
    """The eForms fields an officer's draft does not hold (``notices.models.DraftEforms``), with every
    default applied: the values the XML will carry."""

    legal_basis: str = "32014L0024"
    national_legislation: str = "procurement-legislation"
    local_legal_basis: str = "Laki julkisista hankinnoista ja käyttöoikeussopimuksista (1397/2016)"
    procedure_type: str = "open"
    contract_nature: str = "services"
    buyer_legal_type: str = "body-pl"
    buyer_activity: str = "gen-pub"
    buyer_nuts: str = ""
    performance_nuts: str = ""
    submission_method: str = "required"
    submission_url: str = ""
    tender_languages: tuple[str, ...] = ("fi",)
    award_criteria: tuple[dict, ...] = ({"type": "price", "weight": 100},)
    review_body: Organisation | None = None
    contract_start: dt.date | None = None  # BT-536
    contract_months: int | None = 12  # BT-36
    tender_validity_months: int | None = 3  # BT-98
    predicted_value_over_threshold: bool = True
    eu_applicable: bool = False


@dataclass(frozen=True)
class Change:
    """What makes a notice a change notice: the notice it changes and why."""

    changes: str  # BT-758, "<uuid>-<version>"
    reason: str  # BT-140: "update-add" (a correction) or "cancel"
    description: dict = field(default_factory=dict)  # BT-762 per language; empty: a standard sentence


@dataclass(frozen=True)
class Notice:
    """Everything one eForms notice is built from."""

    kind: str  # "national" or "eu"
    content: dict  # the officer's content (``Draft.payload`` shape: title, lots, deadlines...)
    buyer: Organisation
    fields: Fields
    notice_uuid: str  # BT-701
    procedure_uuid: str  # BT-04
    issued_at: dt.datetime  # BT-05, aware
    version_id: str = "01"  # BT-757
    change: Change | None = None


# ---------------------------------------------------------------------- small helpers


def _e(parent, ns: str, name: str, text=None, **attributes) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{name}", {k.replace("_", "-"): v for k, v in attributes.items()})
    if text is not None:
        element.text = str(text)
    return element


def cbc(parent, name, text=None, **attributes):
    return _e(parent, CBC, name, text, **attributes)


def cac(parent, name, **attributes):
    return _e(parent, CAC, name, None, **attributes)


def _country3(alpha2: str) -> str:
    found = pycountry.countries.get(alpha_2=(alpha2 or "FI").upper())
    return found.alpha_3 if found else (alpha2 or "FIN").upper()


def _offset(at: dt.datetime) -> str:
    delta = at.utcoffset() or dt.timedelta(0)
    if not delta:
        return "Z"
    sign = "-" if delta < dt.timedelta(0) else "+"
    minutes = abs(int(delta.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _date(at: dt.datetime) -> str:
    return f"{at.date().isoformat()}{_offset(at)}"


def _time(at: dt.datetime) -> str:
    return f"{at.strftime('%H:%M:%S')}{_offset(at)}"


def instant(value) -> dt.datetime:
    """An officer's deadline (ISO 8601 with its offset, or an aware datetime) as an aware datetime."""
    at = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if at.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return at


def cpv8(code) -> str:
    return str(code).split("-")[0]


# ---------------------------------------------------------------------- what the notice says


def main_language(content: dict) -> str:
    return content.get("language") or "fi"


def notice_languages(content: dict) -> list[str]:
    """The notice language first, then every other language every text is written in."""
    main = main_language(content)
    found = [main]
    titles = content.get("titles") or {}
    descriptions = content.get("descriptions") or {}
    for language in sorted(set(titles) | set(descriptions)):
        if language == main or language not in LANGUAGES:
            continue
        if not (titles.get(language) and descriptions.get(language)):
            continue
        if all((lot.get("titles") or {}).get(language) for lot in content.get("lots") or []):
            found.append(language)
    return found


def _text(content_texts: dict, main_text, language: str, main: str):
    if language == main:
        return (main_text or "").strip() or (content_texts or {}).get(language)
    return (content_texts or {}).get(language)


@dataclass(frozen=True)
class LotView:
    id: str
    titles: dict  # language -> title
    descriptions: dict
    cpv: tuple[str, ...]
    deadlines: dict  # kind -> aware datetime


def lots(content: dict) -> list[LotView]:
    """The lots the XML has: the draft's, or one LOT-0000 standing for the procedure; each with its deadlines
    (its own, else the procedure's of that kind) and CPV codes (its own, else the procedure's main one)."""
    main = main_language(content)
    languages = notice_languages(content)
    procedure_cpv = tuple(cpv8(c) for c in content.get("cpv") or [])
    own: dict[str, dict[str, dt.datetime]] = {}
    for deadline in content.get("deadlines") or []:
        try:
            at = instant(deadline.get("at"))
        except (TypeError, ValueError):
            continue
        own.setdefault(deadline.get("lot") or "", {}).setdefault(deadline["kind"], at)
    procedure_deadlines = own.get("", {})
    title = content.get("title")
    titles = {lang: _text(content.get("titles"), title, lang, main) for lang in languages}
    descriptions = {lang: (content.get("descriptions") or {}).get(lang) for lang in languages}
    if not content.get("lots"):
        return [LotView(NO_LOTS_ID, titles, descriptions, procedure_cpv, dict(procedure_deadlines))]
    views = []
    for lot in content["lots"]:
        lot_titles = {lang: _text(lot.get("titles"), lot.get("title"), lang, main) for lang in languages}
        lot_descriptions = {
            lang: (lot.get("descriptions") or {}).get(lang) or lot_titles.get(lang) for lang in languages
        }
        deadlines = {**procedure_deadlines, **own.get(lot["id"], {})}
        cpv = tuple(cpv8(c) for c in lot.get("cpv") or []) or procedure_cpv[:1]
        views.append(LotView(lot["id"], lot_titles, lot_descriptions, cpv, deadlines))
    return views


# ---------------------------------------------------------------------- the document


def build(notice: Notice) -> bytes:
    """The notice as eForms XML (UTF-8, with an XML declaration)."""
    if notice.kind not in SUBTYPES:
        raise ValueError(f"unknown kind {notice.kind!r}: national or eu")
    content = notice.content
    national = notice.kind == "national"
    nsmap = dict(NSMAP, hilma=HILMA) if national else NSMAP
    root = etree.Element(f"{{{CN}}}ContractNotice", nsmap=nsmap)
    languages = notice_languages(content)
    main = languages[0]

    _extensions(root, notice, languages)
    cbc(root, "UBLVersionID", "2.3")
    cbc(root, "CustomizationID", CUSTOMIZATION)
    cbc(root, "ID", notice.notice_uuid, schemeName="notice-id")
    cbc(root, "ContractFolderID", notice.procedure_uuid)
    issued = notice.issued_at.astimezone(HELSINKI).replace(microsecond=0)
    cbc(root, "IssueDate", _date(issued))
    cbc(root, "IssueTime", _time(issued))
    cbc(root, "VersionID", notice.version_id)
    cbc(root, "RegulatoryDomain", "other" if national else notice.fields.legal_basis)
    cbc(root, "NoticeTypeCode", "cn-standard", listName="competition")
    language_code = cbc(root, "NoticeLanguageCode", LANGUAGES[main])
    if national:
        language_code.set("listName", "eu-official-language")
    for language in languages[1:]:
        cbc(cac(root, "AdditionalNoticeLanguage"), "ID", LANGUAGES[language])

    _contracting_party(root, notice)
    _procedure_terms(root, notice, languages)
    process = cac(root, "TenderingProcess")
    cbc(process, "ProcedureCode", notice.fields.procedure_type, listName="procurement-procedure-type")
    if not national:
        justification = cac(process, "ProcessJustification")
        cbc(justification, "ProcessReasonCode", "false", listName="accelerated-procedure")
    _project(cac(root, "ProcurementProject"), notice, languages, content.get("title"), content.get("titles"),
             content.get("descriptions") or {}, tuple(cpv8(c) for c in content.get("cpv") or []))
    for view in lots(content):
        _lot(root, notice, languages, view)
    if national:
        _national_extension(root, notice)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _texts(parent, name: str, texts: dict, languages: list[str], ns=CBC):
    """One element per language that has a text (missing ones are left for the rules to report)."""
    for language in languages:
        value = (texts.get(language) or "").strip() if texts else ""
        if value:
            _e(parent, ns, name, value, languageID=LANGUAGES[language])


def _extensions(root, notice: Notice, languages: list[str]) -> None:
    content = _e(_e(_e(root, EXT, "UBLExtensions"), EXT, "UBLExtension"), EXT, "ExtensionContent")
    eforms = _e(content, EFEXT, "EformsExtension")
    if notice.change is not None:
        changes = _e(eforms, EFAC, "Changes")
        _e(changes, EFBC, "ChangedNoticeIdentifier", notice.change.changes)
        reason = _e(changes, EFAC, "ChangeReason")
        cbc(reason, "ReasonCode", notice.change.reason, listName="change-corrig-justification")
        texts = notice.change.description or _CHANGE_TEXTS.get(notice.change.reason, {})
        _texts(reason, "ReasonDescription", texts, languages, ns=EFBC)
    subtype = _e(eforms, EFAC, "NoticeSubType")
    cbc(subtype, "SubTypeCode", SUBTYPES[notice.kind], listName="notice-subtype")
    organizations = _e(eforms, EFAC, "Organizations")
    _organisation(organizations, BUYER_ORG, notice.buyer, languages, buyer=True)
    if notice.fields.review_body is not None:
        _organisation(organizations, REVIEW_ORG, notice.fields.review_body, languages)


def _organisation(parent, org_id: str, org: Organisation, languages: list[str], buyer: bool = False) -> None:
    organization = _e(parent, EFAC, "Organization")
    if buyer:
        _e(organization, EFBC, "AcquiringCPBIndicator", "false")
        _e(organization, EFBC, "AwardingCPBIndicator", "false")
    company = _e(organization, EFAC, "Company")
    if org.url:
        cbc(company, "WebsiteURI", org.url)
    cbc(cac(company, "PartyIdentification"), "ID", org_id, schemeName="organization")
    for language in languages:  # a multilingual notice names each party in each of its languages
        cbc(cac(company, "PartyName"), "Name", org.name_in(language), languageID=LANGUAGES[language])
    address = cac(company, "PostalAddress")
    if org.street:
        cbc(address, "StreetName", org.street)
    if org.city:
        cbc(address, "CityName", org.city)
    if org.postal_code:
        cbc(address, "PostalZone", org.postal_code)
    if org.nuts:
        cbc(address, "CountrySubentityCode", org.nuts, listName="nuts")
    cbc(cac(address, "Country"), "IdentificationCode", _country3(org.country), listName="country")
    if org.company_id:
        cbc(cac(company, "PartyLegalEntity"), "CompanyID", org.company_id)
    if org.phone or org.email:
        contact = cac(company, "Contact")
        if org.phone:
            cbc(contact, "Telephone", org.phone)
        if org.email:
            cbc(contact, "ElectronicMail", org.email)


def _contracting_party(root, notice: Notice) -> None:
    party = cac(root, "ContractingParty")
    cbc(cac(party, "ContractingPartyType"), "PartyTypeCode", notice.fields.buyer_legal_type,
        listName="buyer-legal-type")
    cbc(cac(party, "ContractingActivity"), "ActivityTypeCode", notice.fields.buyer_activity,
        listName="authority-activity")
    cbc(cac(cac(party, "Party"), "PartyIdentification"), "ID", BUYER_ORG, schemeName="organization")


def _procedure_terms(root, notice: Notice, languages: list[str]) -> None:
    terms = cac(root, "TenderingTerms")
    if notice.kind == "national":
        reference = cac(terms, "ProcurementLegislationDocumentReference")
        cbc(reference, "ID", "LocalLegalBasis")
        act = notice.fields.local_legal_basis
        names = _PROCUREMENT_ACT if act == _PROCUREMENT_ACT["fi"] else {}
        _texts(reference, "DocumentDescription", {lang: names.get(lang, act) for lang in languages}, languages)
    request = cac(terms, "TendererQualificationRequest")
    cbc(cac(request, "SpecificTendererRequirement"), "TendererRequirementTypeCode", "epo-procurement-document",
        listName="exclusion-grounds-source")
    count = len(notice.content.get("lots") or [])
    if count > 1:  # BT-31: a tenderer may tender for every lot
        cbc(cac(terms, "LotDistribution"), "MaximumLotsSubmittedNumeric", count)


def _project(project, notice: Notice, languages, title, titles, descriptions, cpv, internal_id=None,
             period: bool = False) -> None:
    main = languages[0]
    if internal_id:
        cbc(project, "ID", internal_id, schemeName="InternalID")
    _texts(project, "Name", {lang: _text(titles, title, lang, main) for lang in languages}, languages)
    _texts(project, "Description", descriptions, languages)
    cbc(project, "ProcurementTypeCode", notice.fields.contract_nature, listName="contract-nature")
    if cpv:
        cbc(cac(project, "MainCommodityClassification"), "ItemClassificationCode", cpv[0], listName="cpv")
        for code in cpv[1:]:
            cbc(cac(project, "AdditionalCommodityClassification"), "ItemClassificationCode", code, listName="cpv")
    address = cac(cac(project, "RealizedLocation"), "Address")
    nuts = notice.fields.performance_nuts or notice.fields.buyer_nuts
    if nuts:
        cbc(address, "CountrySubentityCode", nuts, listName="nuts")
    cbc(cac(address, "Country"), "IdentificationCode", _country3(notice.buyer.country), listName="country")
    fields = notice.fields
    if period and (fields.contract_start or fields.contract_months):
        planned = cac(project, "PlannedPeriod")
        if fields.contract_start:
            start = fields.contract_start
            offset = _offset(dt.datetime.combine(start, dt.time(12), HELSINKI))
            cbc(planned, "StartDate", f"{start.isoformat()}{offset}")
        if fields.contract_months:
            cbc(planned, "DurationMeasure", fields.contract_months, unitCode="MONTH")


def _lot(root, notice: Notice, languages: list[str], view: LotView) -> None:
    fields = notice.fields
    national = notice.kind == "national"
    links = [link for link in notice.content.get("links") or [] if link]
    lot = cac(root, "ProcurementProjectLot")
    cbc(lot, "ID", view.id, schemeName="Lot")

    terms = cac(lot, "TenderingTerms")
    cbc(terms, "FundingProgramCode", "no-eu-funds", listName="eu-funded")
    for number, link in enumerate(links, 1):
        reference = cac(terms, "CallForTendersDocumentReference")
        cbc(reference, "ID", f"DOC-{number}")
        cbc(reference, "DocumentType", "non-restricted-document")
        cbc(cac(cac(reference, "Attachment"), "ExternalReference"), "URI", link)
    for code, list_name in (("epo-procurement-document", "selection-criteria-source"), ("none", "reserved-procurement")):
        request = cac(terms, "TendererQualificationRequest")
        cbc(cac(request, "SpecificTendererRequirement"), "TendererRequirementTypeCode", code, listName=list_name)
    requirements = [("no", "reserved-execution"), ("not-allowed", "ecatalog-submission")]
    if not national:
        requirements.insert(1, ("required", "einvoicing"))
    for code, list_name in requirements:
        cbc(cac(terms, "ContractExecutionRequirement"), "ExecutionRequirementCode", code, listName=list_name)
    _award_criteria(terms, fields.award_criteria, languages)
    submission_url = fields.submission_url or (links[0] if links else "")
    if submission_url and fields.submission_method != "not-allowed":
        cbc(cac(terms, "TenderRecipientParty"), "EndpointID", submission_url)
    if fields.tender_validity_months:
        cbc(cac(terms, "TenderValidityPeriod"), "DurationMeasure", fields.tender_validity_months, unitCode="MONTH")
    appeal = cac(terms, "AppealTerms")
    information = cac(appeal, "AppealInformationParty")
    cbc(cac(information, "PartyIdentification"), "ID", BUYER_ORG, schemeName="organization")
    if fields.review_body is not None:
        receiver = cac(appeal, "AppealReceiverParty")
        cbc(cac(receiver, "PartyIdentification"), "ID", REVIEW_ORG, schemeName="organization")
    for language in fields.tender_languages or (languages[0],):
        cbc(cac(terms, "Language"), "ID", LANGUAGES.get(language, language.upper()))
    post_award = cac(terms, "PostAwardProcess")
    if not national:
        cbc(post_award, "ElectronicOrderUsageIndicator", "false")
    cbc(post_award, "ElectronicPaymentUsageIndicator", "true")

    process = cac(lot, "TenderingProcess")
    cbc(process, "SubmissionMethodCode", fields.submission_method, listName="esubmission")
    if not national:
        cbc(process, "GovernmentAgreementConstraintIndicator", "true")
    for kind, period, date_name, time_name in _PERIODS:
        at = view.deadlines.get(kind)
        if at is not None:
            element = cac(process, period)
            cbc(element, date_name, _date(at))
            cbc(element, time_name, _time(at))
    opening = None if national else view.deadlines.get("opening")  # E3 has no opening (FI-E3-BT-132)
    if opening is not None:
        event = cac(process, "OpenTenderEvent")
        cbc(event, "OccurrenceDate", _date(opening))
        cbc(event, "OccurrenceTime", _time(opening))
    if not national:
        cbc(cac(process, "AuctionTerms"), "AuctionConstraintIndicator", "false")
    for code, list_name in (("none", "framework-agreement"), ("none", "dps-usage")):
        cbc(cac(process, "ContractingSystem"), "ContractingSystemTypeCode", code, listName=list_name)

    project = cac(lot, "ProcurementProject")
    _project(project, notice, languages, view.titles.get(languages[0]), view.titles, view.descriptions,
             view.cpv, internal_id=view.id, period=True)


def _award_criteria(terms, criteria, languages: list[str]) -> None:
    if not criteria:
        return
    criterion = cac(cac(terms, "AwardingTerms"), "AwardingCriterion")
    for item in criteria:
        sub = cac(criterion, "SubordinateAwardingCriterion")
        eforms = _e(_e(_e(_e(sub, EXT, "UBLExtensions"), EXT, "UBLExtension"), EXT, "ExtensionContent"),
                    EFEXT, "EformsExtension")
        parameter = _e(eforms, EFAC, "AwardCriterionParameter")
        _e(parameter, EFBC, "ParameterCode", "per-exa", listName="number-weight")
        _e(parameter, EFBC, "ParameterNumeric", _number(item.get("weight", 100)))
        kind = item.get("type") or "price"
        cbc(sub, "AwardingCriterionTypeCode", kind, listName="award-criterion-type")
        names = item.get("names") or _CRITERION_NAMES.get(kind, {})
        descriptions = item.get("descriptions") or names
        _texts(sub, "Name", names, languages)
        _texts(sub, "Description", descriptions, languages)


def _number(value) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else str(number)


def _national_extension(root, notice: Notice) -> None:
    extension = _e(root, HILMA, "NationalExtension")
    project = _e(extension, HILMA, "ProcurementProject")
    _e(project, HILMA, "ApplicableLegislationCode", notice.fields.national_legislation,
       listName="applicable-legislation-national")
    _e(project, HILMA, "PredictedValueConstraintIndicator", str(notice.fields.predicted_value_over_threshold).lower())
    _e(project, HILMA, "IsEUApplicableConstraintIndicator", str(notice.fields.eu_applicable).lower())
