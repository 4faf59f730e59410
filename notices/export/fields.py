"""The eForms fields an officer's draft lacks: defaults, values in use, checks, and where each belongs.

A ``Draft`` holds what every call has (title, lots, CPV codes, deadlines, contacts, links). A subtype-16 or
E3 notice needs more: legal basis, procedure type, main nature of the contract, places as NUTS codes,
submission method and URL, tender languages, award criteria, the review body, the buyer's legal type and
activity, and Hilma's national fields. They live in ``DraftEforms`` (one row per draft, ``of()`` makes it
with defaults an officer sees and may change: ``values()``), so the Draft itself and its content hash stay
as they were. Empty text means "derived", and ``values()`` says from what.

``form_path()`` is the other direction: an eForms field (BT-...) and the place in the XML a rule fired
(``ProcurementProjectLot[3]``, ``Organization[2]``) -> the officer's form field, e.g. ``("lots", 2,
"title")``, ``("deadlines", 4, "at")`` or ``("eforms", "buyer_nuts")``; None when the field is one the
export writes on its own (shown to the officer as "not mapped to a field").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from lxml import etree

from notices.export import build
from notices.export.validate import Finding, labels, sdk_dir
from notices.models import DraftEforms
from notices.vocab import in_range

EDITABLE = (
    "legal_basis", "national_legislation", "local_legal_basis", "procedure_type", "contract_nature",
    "buyer_legal_type", "buyer_activity", "buyer_nuts", "performance_nuts", "submission_method",
    "submission_url", "tender_languages", "award_criteria", "review_body", "contract_start", "contract_months",
    "tender_validity_months",
    "predicted_value_over_threshold", "eu_applicable",
)
# eForms code list of each coded field (labels in fi/sv/en from the SDK's translations/code_*.xml).
CODE_LISTS = {
    "procedure_type": "procurement-procedure-type",
    "contract_nature": "contract-nature",
    "buyer_legal_type": "buyer-legal-type",
    "buyer_activity": "authority-activity",
    "submission_method": "esubmission",
    "buyer_nuts": "nuts",
    "performance_nuts": "nuts",
}
NATIONAL_LEGISLATION = ("procurement-legislation", "defence-legislation")  # Hilma FI-11
# Subtype 16 is the standard regime of Directive 2014/24/EU; the other directives have subtypes of their own.
EU_LEGAL_BASES = ("32014L0024",)
PROCEDURE_TYPES = ("open", "restricted", "neg-w-call", "comp-dial", "innovation")
AWARD_CRITERION_TYPES = ("price", "quality", "cost")
_LOT_ID = re.compile(r"^LOT-\d{4}$")
_NUTS3 = re.compile(r"^[A-Z]{2}[0-9A-Z]{3}$")
_url = URLValidator(schemes=["http", "https"])


# ---------------------------------------------------------------------- the row and its defaults


def of(draft):
    """The draft's eForms fields, made with the defaults the first time. A new row takes the buyer's NUTS
    code from the buyer's latest draft that has one (set once per buyer, then proposed)."""
    row = DraftEforms.objects.filter(draft=draft).first()
    if row is not None:
        return row
    previous = (
        DraftEforms.objects.filter(draft__buyer_id=draft.buyer_id)
        .exclude(buyer_nuts="")
        .order_by("-updated_at")
        .values_list("buyer_nuts", flat=True)
        .first()
    )
    row, _created = DraftEforms.objects.get_or_create(draft=draft, defaults={"buyer_nuts": previous or ""})
    return row


def nature_from_cpv(code: str | None) -> str:
    """BT-23 from the main CPV code: division 45 is works, 03-44 and 48 supplies, the rest services."""
    division = str(code or "")[:2]
    if division == "45":
        return "works"
    if division.isdigit() and (3 <= int(division) <= 44 or division == "48"):
        return "supplies"
    return "services"


@dataclass(frozen=True)
class Value:
    value: object
    derived_from: str | None = None  # None: set (or a static default); else what it was derived from


def values(row, content: dict) -> dict[str, Value]:
    """Every eForms field with the value the export will use and, when it was derived, from what: what the
    form shows."""
    cpv = content.get("cpv") or []
    links = content.get("links") or []
    out = {name: Value(getattr(row, name)) for name in EDITABLE}
    if not row.contract_nature:
        out["contract_nature"] = Value(nature_from_cpv(cpv[0] if cpv else None), "cpv")
    if not row.performance_nuts:
        out["performance_nuts"] = Value(row.buyer_nuts, "buyer_nuts")
    if not row.submission_url:
        out["submission_url"] = Value(links[0] if links else "", "links")
    if not row.tender_languages:
        out["tender_languages"] = Value([content.get("language") or "fi"], "language")
    if not row.contract_start:
        out["contract_start"] = Value(start_after_closing(content), "deadlines")
    return out


def start_after_closing(content: dict):
    """BT-536's default: the first day of a month at least 30 days after the last closing deadline."""

    closing = []
    for deadline in content.get("deadlines") or []:
        if deadline.get("kind") in ("tender", "participation"):
            try:
                at = build.instant(deadline.get("at"))
            except (TypeError, ValueError, OverflowError):
                continue
            if in_range(at):  # an instant outside the gate's years is the officer's to mend, not a default's
                closing.append(at.date())
    if not closing:
        return None
    day = max(closing) + dt.timedelta(days=30)
    return day if day.day == 1 else (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def effective(row, content: dict) -> build.Fields:
    """The values in use, as the builder takes them."""
    v = {name: value.value for name, value in values(row, content).items()}
    review = v["review_body"] or {}
    return build.Fields(
        legal_basis=v["legal_basis"],
        national_legislation=v["national_legislation"],
        local_legal_basis=v["local_legal_basis"],
        procedure_type=v["procedure_type"],
        contract_nature=v["contract_nature"],
        buyer_legal_type=v["buyer_legal_type"],
        buyer_activity=v["buyer_activity"],
        buyer_nuts=v["buyer_nuts"],
        performance_nuts=v["performance_nuts"],
        submission_method=v["submission_method"],
        submission_url=v["submission_url"],
        tender_languages=tuple(v["tender_languages"]),
        award_criteria=tuple(dict(c) for c in v["award_criteria"] or ()),
        review_body=organisation(review) if review else None,
        contract_start=v["contract_start"],
        contract_months=v["contract_months"],
        tender_validity_months=v["tender_validity_months"],
        predicted_value_over_threshold=bool(v["predicted_value_over_threshold"]),
        eu_applicable=bool(v["eu_applicable"]),
    )


def organisation(data: dict) -> build.Organisation:
    plain = {k: str(data.get(k) or "") for k in build.Organisation.__dataclass_fields__ if k != "names"}
    names = tuple(sorted((str(k), str(v)) for k, v in (data.get("names") or {}).items() if v))
    return build.Organisation(**plain, names=names)


def update(row, data: dict, *, now=None) -> list[Finding]:
    """Set the given fields (unknown keys are ignored) and save when they are acceptable; otherwise save
    nothing and return what is wrong, field by field."""

    for name in EDITABLE:
        if name in data:
            setattr(row, name, data[name])
    found = check(row)
    if not found:
        row.updated_at = now or timezone.now()
        row.save()
    return found


# ---------------------------------------------------------------------- checks


def _finding(rule: str, path: tuple, en: str, fi: str, sv: str) -> Finding:
    return Finding(rule=rule, severity="ERROR", location="", field=None, path=path,
                   messages={"fi": fi, "sv": sv, "en": en})


def check(row) -> list[Finding]:
    """The eForms fields' own checks: codes from the SDK's code lists, award criteria adding up."""
    found: list[Finding] = []
    for name, list_name in CODE_LISTS.items():
        value = getattr(row, name)
        if value and value not in codes(list_name):
            found.append(_finding(
                "TRACKER-CODE", ("eforms", name), f"{value!r} is not a {list_name} code",
                f"{value!r} ei ole sallittu koodi ({list_name})", f"{value!r} är ingen tillåten kod ({list_name})",
            ))
    if row.procedure_type and row.procedure_type not in PROCEDURE_TYPES:
        found.append(_finding("TRACKER-PROCEDURE", ("eforms", "procedure_type"),
                              "this procedure type has no contract notice of subtype 16 or E3 here",
                              "tällä menettelyllä ei tehdä tätä ilmoitusta", "detta förfarande stöds inte här"))
    if row.legal_basis not in EU_LEGAL_BASES:
        found.append(_finding("TRACKER-LEGAL-BASIS", ("eforms", "legal_basis"),
                              "a subtype-16 contract notice is made under Directive 2014/24/EU (32014L0024)",
                              "alatyypin 16 ilmoitus tehdään direktiivin 2014/24/EU nojalla (32014L0024)",
                              "ett meddelande av undertyp 16 görs enligt direktiv 2014/24/EU (32014L0024)"))
    if row.national_legislation not in NATIONAL_LEGISLATION:
        found.append(_finding("TRACKER-CODE", ("eforms", "national_legislation"),
                              "procurement-legislation or defence-legislation",
                              "procurement-legislation tai defence-legislation",
                              "procurement-legislation eller defence-legislation"))
    if row.submission_url:
        try:
            _url(row.submission_url)
        except DjangoValidationError:
            found.append(_finding("TRACKER-URL", ("eforms", "submission_url"), "an http or https link",
                                  "http- tai https-linkki", "en http- eller https-länk"))
    languages = row.tender_languages or []
    if not isinstance(languages, list) or any(lang not in build.LANGUAGES for lang in languages):
        found.append(_finding("TRACKER-LANGUAGE", ("eforms", "tender_languages"),
                              f"languages as ISO 639-1 codes among {sorted(build.LANGUAGES)}",
                              "kielet ISO 639-1 -koodeina (fi, sv, en...)", "språk som ISO 639-1-koder (fi, sv, en...)"))
    criteria = row.award_criteria or []
    if not isinstance(criteria, list) or not criteria:
        found.append(_finding("TRACKER-AWARD", ("eforms", "award_criteria"), "at least one award criterion",
                              "vähintään yksi valintaperuste", "minst ett tilldelningskriterium"))
    else:
        total = 0.0
        for i, item in enumerate(criteria):
            kind = (item or {}).get("type") if isinstance(item, dict) else None
            if kind not in AWARD_CRITERION_TYPES:
                found.append(_finding("TRACKER-AWARD", ("eforms", "award_criteria", i, "type"),
                                      f"the type is one of {', '.join(AWARD_CRITERION_TYPES)}",
                                      "tyyppi on price, quality tai cost", "typen är price, quality eller cost"))
            try:
                total += float(item.get("weight", 0))
            except (TypeError, ValueError, AttributeError):
                found.append(_finding("TRACKER-AWARD", ("eforms", "award_criteria", i, "weight"),
                                      "the weight is a number", "painoarvo on luku", "vikten är ett tal"))
        if abs(total - 100) > 1e-6:
            found.append(_finding("TRACKER-AWARD", ("eforms", "award_criteria"),
                                  f"the weights add up to 100 (now {total:g})",
                                  f"painoarvojen summa on 100 (nyt {total:g})", f"vikterna summerar till 100 (nu {total:g})"))
    review = row.review_body or {}
    if not isinstance(review, dict) or not review.get("name") or not review.get("city"):
        found.append(_finding("TRACKER-REVIEW", ("eforms", "review_body"),
                              "the review body needs a name and a town", "muutoksenhakuelimellä on nimi ja kunta",
                              "prövningsorganet behöver namn och ort"))
    elif review.get("nuts") and review["nuts"] not in codes("nuts"):
        found.append(_finding("TRACKER-CODE", ("eforms", "review_body", "nuts"), f"{review['nuts']!r} is not a NUTS code",
                              f"{review['nuts']!r} ei ole NUTS-koodi", f"{review['nuts']!r} är ingen NUTS-kod"))
    return found


def problems(content: dict, row, kind: str | None = None) -> list[Finding]:
    """What keeps this draft and its eForms fields from becoming an eForms notice, before any rule runs:
    the fields' own checks and eForms-shaped lot ids (``LOT-0001``: the ids TED and Hilma will show back);
    for a national notice, a warning beside each opening deadline, which E3 has no place for."""
    found = check(row)
    if kind == "national":
        for i, deadline in enumerate(content.get("deadlines") or []):
            if deadline.get("kind") == "opening":
                found.append(Finding(
                    rule="TRACKER-E3-OPENING", severity="WARN", location="", field="BT-132(d)-Lot",
                    labels=labels("BT-132(d)-Lot"), path=("deadlines", i, "at"),
                    messages={"fi": "Kansallisessa ilmoituksessa (E3) ei ole tarjousten avaamisen aikaa; se jätetään pois.",
                              "sv": "Ett nationellt meddelande (E3) har ingen tid för öppnande av anbud; den utelämnas.",
                              "en": "A national notice (E3) has no tender opening time; it is left out."},
                ))
    for i, lot in enumerate(content.get("lots") or []):
        if not _LOT_ID.match(str(lot.get("id") or "")):
            found.append(_finding(
                "TRACKER-LOT-ID", ("lots", i, "id"),
                f"an eForms lot id is LOT- and four digits (LOT-0001), not {lot.get('id')!r}",
                f"eForms-osan tunnus on LOT- ja neljä numeroa (LOT-0001), ei {lot.get('id')!r}",
                f"ett eForms-delkontrakt heter LOT- och fyra siffror (LOT-0001), inte {lot.get('id')!r}",
            ))
    return found


@lru_cache(maxsize=1)
def _code_labels() -> dict[str, dict[str, dict[str, str]]]:

    parser = etree.XMLParser(no_network=True, load_dtd=False, resolve_entities=False)
    found: dict[str, dict[str, dict[str, str]]] = {}
    for language in ("fi", "sv", "en"):
        root = etree.parse(str(sdk_dir() / "translations" / f"code_{language}.xml"), parser).getroot()
        for entry in root.iter("entry"):
            key = entry.get("key") or ""
            if not key.startswith("code|name|"):
                continue
            list_name, _, code = key[len("code|name|") :].partition(".")
            found.setdefault(list_name, {}).setdefault(code, {})[language] = (entry.text or "").strip()
    return found


def codes(list_name: str) -> dict[str, dict[str, str]]:
    """An eForms code list: code -> {"fi", "sv", "en"} labels (the form's choices)."""
    return _code_labels().get(list_name, {})


# ---------------------------------------------------------------------- rule findings -> form fields

_PROCEDURE = {
    "BT-21-Procedure": ("title",),
    "BT-262-Procedure": ("cpv",),
    "BT-263-Procedure": ("cpv",),
    "BT-26(m)-Procedure": ("cpv",),
    "BT-26(a)-Procedure": ("cpv",),
    "BT-23-Procedure": ("eforms", "contract_nature"),
    "BT-23-Lot": ("eforms", "contract_nature"),
    "BT-5071-Procedure": ("eforms", "performance_nuts"),
    "BT-727-Procedure": ("eforms", "performance_nuts"),
    "BT-728-Procedure": ("eforms", "performance_nuts"),
    "BT-5141-Procedure": ("eforms", "performance_nuts"),
    "BT-5071-Lot": ("eforms", "performance_nuts"),
    "BT-728-Lot": ("eforms", "performance_nuts"),
    "BT-727-Lot": ("eforms", "performance_nuts"),
    "BT-5141-Lot": ("eforms", "performance_nuts"),
    "BT-105-Procedure": ("eforms", "procedure_type"),
    "BT-01-notice": ("eforms", "legal_basis"),
    "BT-01(f)-Procedure": ("eforms", "local_legal_basis"),
    "BT-01(e)-Procedure": ("eforms", "local_legal_basis"),
    "BT-11-Procedure-Buyer": ("eforms", "buyer_legal_type"),
    "BT-10-Procedure-Buyer": ("eforms", "buyer_activity"),
    "BT-702(a)-notice": ("language",),
    "BT-17-Lot": ("eforms", "submission_method"),
    "BT-18-Lot": ("eforms", "submission_url"),
    "BT-97-Lot": ("eforms", "tender_languages"),
    "BT-15-Lot": ("links",),
    "BT-539-Lot": ("eforms", "award_criteria"),
    "BT-540-Lot": ("eforms", "award_criteria"),
    "BT-541-Lot-WeightNumber": ("eforms", "award_criteria"),
    "BT-5421-Lot": ("eforms", "award_criteria"),
    "BT-734-Lot": ("eforms", "award_criteria"),
    "OPT-301-Lot-ReviewOrg": ("eforms", "review_body"),
    "BT-536-Lot": ("eforms", "contract_start"),
    "BT-36-Lot": ("eforms", "contract_months"),
    "BT-537-Lot": ("eforms", "contract_months"),
    "BT-31-Procedure": ("lots",),
    "BT-98-Lot": ("eforms", "tender_validity_months"),
    "OPA-98-Lot-Number": ("eforms", "tender_validity_months"),
    "FI-11": ("eforms", "national_legislation"),
    "FI-30": ("eforms", "predicted_value_over_threshold"),
    "FI-20": ("eforms", "eu_applicable"),
}
# Organisation fields: (buyer's path, review body's path).
_ORGANISATION = {
    "BT-500-Organization-Company": (("buyer",), ("eforms", "review_body", "name")),
    "BT-501-Organization-Company": (("buyer",), ("eforms", "review_body", "company_id")),
    "BT-514-Organization-Company": (("buyer",), ("eforms", "review_body", "country")),
    "BT-507-Organization-Company": (("eforms", "buyer_nuts"), ("eforms", "review_body", "nuts")),
    "BT-510(a)-Organization-Company": (("contacts", 0, "street"), ("eforms", "review_body", "street")),
    "BT-512-Organization-Company": (("contacts", 0, "postal_code"), ("eforms", "review_body", "postal_code")),
    "BT-513-Organization-Company": (("contacts", 0, "city"), ("eforms", "review_body", "city")),
    "BT-506-Organization-Company": (("contacts", 0, "email"), ("eforms", "review_body", "email")),
    "BT-503-Organization-Company": (("contacts", 0, "phone"), ("eforms", "review_body", "phone")),
    "BT-505-Organization-Company": (("contacts", 0, "url"), ("eforms", "review_body", "url")),
}
_DEADLINE_FIELDS = {"BT-131": "tender", "BT-1311": "participation", "BT-13": "questions", "BT-132": "opening"}
_INDEX = re.compile(r"(ProcurementProjectLot|Organization)\[(\d+)\]")


def form_path(field_id: str | None, location: str, content: dict | None, kind: str | None = None) -> tuple | None:
    """The officer's form field an eForms field is, at the place in the XML a rule fired; None if none.
    (A national notice's legal basis is always "other": what an officer can change there is the act.)"""
    if not field_id:
        return None
    if kind == "national" and field_id == "BT-01-notice":
        return ("eforms", "local_legal_basis")
    content = content or {}
    where = {name: int(index) for name, index in _INDEX.findall(location or "")}
    if field_id in _PROCEDURE:
        return _PROCEDURE[field_id]
    if field_id in _ORGANISATION:
        buyer, review = _ORGANISATION[field_id]
        return review if where.get("Organization") == 2 else buyer
    lots = content.get("lots") or []
    lot_index = where.get("ProcurementProjectLot", 1) - 1
    lot = lots[lot_index] if 0 <= lot_index < len(lots) else None
    main = content.get("language") or "fi"
    if field_id == "BT-24-Procedure":
        return ("descriptions", main)
    if field_id in ("BT-21-Lot", "BT-24-Lot"):
        if lot is None:
            return ("title",) if field_id == "BT-21-Lot" else ("descriptions", main)
        return ("lots", lot_index, "title")
    if field_id in ("BT-262-Lot", "BT-263-Lot", "BT-26(m)-Lot", "BT-26(a)-Lot"):
        return ("lots", lot_index, "cpv") if lot is not None else ("cpv",)
    if field_id == "BT-137-Lot":
        return ("lots", lot_index, "id") if lot is not None else None
    match = re.fullmatch(r"(BT-\d+)\([dt]\)-Lot", field_id)
    if match and match.group(1) in _DEADLINE_FIELDS:
        kind = _DEADLINE_FIELDS[match.group(1)]
        deadlines = content.get("deadlines") or []
        lot_id = lot["id"] if lot is not None else ""
        for scope in (lot_id, ""):
            for i, deadline in enumerate(deadlines):
                if deadline.get("kind") == kind and (deadline.get("lot") or "") == scope:
                    return ("deadlines", i, "at")
        return ("deadlines",)
    return None
