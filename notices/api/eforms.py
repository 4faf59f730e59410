"""The officer's eForms export in the API (mounted at /api/ in tracker/api.py, token auth like the rest of
``/api/officer/``):

* ``GET|PATCH /api/officer/notices/{id}/eforms`` (and ``/api/officer/drafts/{id}/eforms``): the eForms
  fields a notice needs beyond the draft's own (``notices.export.fields``): as stored (empty: derived),
  the values in use and what each derived one comes from, the notice's eForms ids and its submissions.
  PATCH sets the given fields; 422 with each field's path when one is not acceptable (nothing is saved).
* ``GET /api/officer/notices/{id}/eforms.xml?kind=national|eu`` (and drafts): the eForms XML as it stands.
* ``POST /api/officer/notices/{id}/eforms/validate?kind=national|eu`` (and drafts): the publisher's own
  rules' findings, each with its form field's path, label and text in the request's language. Asked of the
  process that holds the rules compiled: 503 ``unavailable`` with ``Retry-After`` while none does.
* ``POST /api/officer/notices/{id}/eforms/submit``: the EU notice to TED after a clean check; the
  submission as TED answered it (state ``submitted``, ``validation-failed`` with TED's report, ``error``);
  422 with each failed rule when TED's rules fail here first (nothing is sent).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpResponse
from django.utils.translation import get_language
from ninja import Query, Router, Schema
from pydantic import Field

from notices import officers
from notices.api.auth import TokenAuth
from notices.api.errors import responses
from notices.api.schemas import InputSchema, Language
from notices.errors import FieldError, Invalid
from notices.export import checks, fields, service
from notices.export.validate import Finding
from notices.models import Draft
from notices.vocab import LANGUAGES

router = Router(tags=["eforms"], auth=TokenAuth())

Kind = Literal["national", "eu"]
_AUTH = (401, 403, 429)
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
_XML = {"application/xml": {"schema": {"type": "string", "format": "binary"}}}


# ---------------------------------------------------------------------- schemas


class ReviewBodyIn(InputSchema):
    name: str = Field(min_length=1, max_length=300)
    names: dict[Language, str] = {}
    company_id: str | None = Field(None, max_length=40)
    street: str | None = Field(None, max_length=300)
    postal_code: str | None = Field(None, max_length=20)
    city: str = Field(min_length=1, max_length=200)
    nuts: str | None = Field(None, max_length=5)
    country: str = Field("FI", pattern=r"^[A-Z]{2}$")
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=80)
    url: str | None = Field(None, max_length=500)


class AwardCriterionIn(InputSchema):
    type: Literal["price", "quality", "cost"]
    weight: float = Field(ge=0, le=100)
    description: str | None = Field(None, max_length=400)


class EformsFieldsIn(InputSchema):
    """eForms fields to set; those left out are kept. An empty (or null) derived field goes back to being
    derived."""

    legal_basis: str | None = Field(None, max_length=20, description="BT-01 of an EU notice: 32014L0024")
    national_legislation: Literal["procurement-legislation", "defence-legislation"] | None = Field(
        None, description="Hilma FI-11")
    local_legal_basis: str | None = Field(None, max_length=400, description="BT-01(f) of a national notice")
    procedure_type: str | None = Field(None, max_length=20, description="BT-105: open, restricted, neg-w-call...")
    contract_nature: str | None = Field(None, max_length=20, description="BT-23; empty: from the main CPV code")
    buyer_legal_type: str | None = Field(None, max_length=20, description="BT-11")
    buyer_activity: str | None = Field(None, max_length=20, description="BT-10")
    buyer_nuts: str | None = Field(None, max_length=5, description="BT-507, NUTS 3 (e.g. FI1C5)")
    performance_nuts: str | None = Field(None, max_length=5, description="BT-5071; empty: the buyer's")
    submission_method: str | None = Field(None, max_length=20, description="BT-17: required, allowed...")
    submission_url: str | None = Field(None, max_length=500, description="BT-18; empty: the first link")
    tender_languages: list[str] | None = Field(None, max_length=24, description="BT-97; empty: the notice's")
    award_criteria: list[AwardCriterionIn] | None = Field(None, max_length=20, description="BT-539/540/541")
    review_body: ReviewBodyIn | None = Field(None, description="OPT-301, the review body")
    contract_start: dt.date | None = Field(None, description="BT-536; null: derived from the deadlines")
    contract_months: int | None = Field(None, ge=1, le=999, description="BT-36")
    tender_validity_months: int | None = Field(None, ge=1, le=120, description="BT-98")
    predicted_value_over_threshold: bool | None = Field(None, description="Hilma FI-30")
    eu_applicable: bool | None = Field(None, description="Hilma FI-20")


class SubmissionOut(Schema):
    kind: Kind
    notice_id: str = Field(description="BT-701 and BT-757: <uuid>-<version>")
    change_reason: str | None = Field(description="null: the contract notice; update-add or cancel")
    based_on: int = Field(description="The public notice's version it was made from (0: unpublished)")
    state: str = Field(description="exported, submitted, validation-failed, published, stopped, not-published, error")
    state_changed_at: dt.datetime
    publication_number: str | None
    publication_date: dt.date | None
    report: list[dict] = Field(description="TED's validation report as findings (validation-failed)")
    error: str | None


class EformsOut(Schema):
    fields: dict = Field(description="As stored; empty means derived (what PATCH sets)")
    in_use: dict = Field(description="The values the export uses")
    derived_from: dict = Field(description="Field -> what its value in use was derived from")
    notice_id: str | None = Field(description="BT-701 of the contract notice, given at the first export")
    procedure_id: str | None = Field(description="BT-04, given at the first export")
    submissions: list[SubmissionOut]


class FindingOut(Schema):
    rule: str = Field(description="The rule's id (BR-..., FI-..., XSD, or TRACKER-... for the export's own)")
    severity: str
    location: str = Field(description="Where in the XML it fired")
    field: str | None = Field(description="The eForms field (BT-...)")
    path: list[str | int] | None = Field(description="The form field it concerns, as in PATCH; null: none")
    label: str = Field(description="The eForms field's label in the request's language (SDK translations)")
    text: str = Field(description="What the rule requires, in the request's language")
    labels: dict
    messages: dict


class CheckOut(Schema):
    kind: Kind
    ok: bool = Field(description="No finding of severity ERROR")
    findings: list[FindingOut]
    seconds: dict


# ---------------------------------------------------------------------- helpers


def _draft(request, *, draft_id=None, notice_id=None) -> Draft:
    user = request.auth.user
    return officers.get_published(user, notice_id) if notice_id is not None else officers.get_draft(user, draft_id)


def _language(lang: str | None) -> str:
    current = lang or (get_language() or "").split("-")[0]
    return current if current in LANGUAGES else LANGUAGES[0]


def _plain(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def eforms_out(draft: Draft) -> dict:
    row = fields.of(draft)
    in_use = fields.values(row, draft.payload or {})
    return {
        "fields": {name: _plain(getattr(row, name)) for name in fields.EDITABLE},
        "in_use": {name: _plain(value.value) for name, value in in_use.items()},
        "derived_from": {name: value.derived_from for name, value in in_use.items() if value.derived_from},
        "notice_id": str(row.notice_uuid) if row.notice_uuid else None,
        "procedure_id": str(row.procedure_uuid) if row.procedure_uuid else None,
        "submissions": service.states(draft),
    }


_TEXT = ("legal_basis", "local_legal_basis", "procedure_type", "contract_nature", "buyer_legal_type",
         "buyer_activity", "buyer_nuts", "performance_nuts", "submission_method", "submission_url")


def _update(draft: Draft, payload: EformsFieldsIn) -> dict:
    data = payload.model_dump(mode="python", exclude_unset=True)
    for name in _TEXT:
        if name in data and data[name] is None:
            data[name] = ""  # null: back to derived (or refused by the checks when it cannot be)
    if "tender_languages" in data:
        data["tender_languages"] = [str(c).lower() for c in data["tender_languages"] or []]
    for name in ("award_criteria", "review_body"):
        if name in data and data[name] is None:
            del data[name]
    for name in ("contract_months", "tender_validity_months", "predicted_value_over_threshold",
                 "eu_applicable", "national_legislation"):
        if name in data and data[name] is None:
            del data[name]
    if "review_body" in data:
        data["review_body"] = {k: v for k, v in data["review_body"].items() if v not in (None, {})}
    found = fields.update(fields.of(draft), data)
    if found:
        raise Invalid(fields=[FieldError(_body_path(f.path), f.message("en")) for f in found])
    return eforms_out(draft)


def _body_path(path) -> tuple:
    """("eforms", "review_body", "city") -> ("review_body", "city"): PATCH's body is the eForms fields."""
    path = tuple(path or ())
    return path[1:] if path[:1] == ("eforms",) else path


def _xml(draft: Draft, kind: str) -> HttpResponse:
    try:
        notice = service.export(draft, kind)
    except (service.ExportError, ValueError) as exc:
        raise Invalid(f"The notice cannot be made into eForms yet: {exc}") from None
    response = HttpResponse(bytes(notice.xml), content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{service.filename(notice)}"'
    return response


def _finding_out(finding: Finding, lang: str) -> dict:
    return {**finding.as_json(lang), "path": list(finding.path) if finding.path is not None else None}


def _check(draft: Draft, kind: str, lang: str | None) -> dict:
    try:
        report = service.check(draft, kind, rules=checks.ask)
    except (service.ExportError, ValueError) as exc:
        raise Invalid(f"The notice cannot be made into eForms yet: {exc}") from None
    language = _language(lang)
    return {"kind": kind, "ok": report.ok, "findings": [_finding_out(f, language) for f in report.findings],
            "seconds": report.seconds}


class KindQuery(Schema):
    kind: Kind = Field(description="national: for Hilma (E3); eu: for TED (subtype 16)")


class CheckQuery(KindQuery):
    lang: Language | None = Field(None, description="Labels and texts in this language (default: the request's)")


_XML_RESPONSES = {
    "responses": {
        # Integer keys, as ninja's own: merged into its 200, not a second "200" (Swagger UI refuses those).
        200: {"description": "The eForms XML", "content": _XML},
        **{s: {"description": d, "content": _ERROR} for s, d in (
            (401, "No valid token"), (403, "Not this officer's notice"), (404, "No such notice"),
            (422, "A parameter is not valid, or the notice cannot be exported yet"), (429, "Too many bad tokens"))},
    }
}
_CHECK_DESCRIPTION = (
    "Builds the eForms notice (`kind`: national for Hilma, eu for TED) and runs the publisher's own rules "
    "(XML Schema and Schematron) on it. 200 with every finding, each with the path of the form field it "
    "concerns (null: it concerns none), the eForms field's label and what the rule requires in the "
    "request's language. The rules run in the process that holds them compiled: 503 `unavailable` "
    "(`Retry-After`) while none does (\"the rules are being prepared\"). Stores nothing."
)


# ---------------------------------------------------------------------- published notices


@router.get("/officer/notices/{notice_id}/eforms", response={200: EformsOut, **responses(*_AUTH, 404, 422)},
            summary="A notice's eForms fields, ids and submissions")
def get_notice_eforms(request, notice_id: int):
    return eforms_out(_draft(request, notice_id=notice_id))


@router.patch("/officer/notices/{notice_id}/eforms", response={200: EformsOut, **responses(*_AUTH, 404, 422)},
              summary="Set a notice's eForms fields")
def patch_notice_eforms(request, notice_id: int, payload: EformsFieldsIn):
    return _update(_draft(request, notice_id=notice_id), payload)


@router.get("/officer/notices/{notice_id}/eforms.xml", summary="A notice's eForms XML",
            openapi_extra=_XML_RESPONSES,
            description="The eForms notice as it stands (a correction or a cancellation: a change notice).")
def notice_eforms_xml(request, notice_id: int, query: Query[KindQuery]):
    return _xml(_draft(request, notice_id=notice_id), query.kind)


@router.post("/officer/notices/{notice_id}/eforms/validate",
             response={200: CheckOut, **responses(*_AUTH, 404, 422, 503)},
             summary="Check a notice against TED's or Hilma's rules", description=_CHECK_DESCRIPTION)
def validate_notice_eforms(request, notice_id: int, query: Query[CheckQuery]):
    return _check(_draft(request, notice_id=notice_id), query.kind, query.lang)


@router.post(
    "/officer/notices/{notice_id}/eforms/submit",
    response={200: SubmissionOut, **responses(*_AUTH, 404, 422, 503)},
    summary="Submit a notice's EU eForms notice to TED",
    description=(
        "Checked against TED's rules first: 422 with each failed rule's path, and nothing sent. Otherwise the "
        "submission as TED answered it: `submitted` (then `published` with its publication number, asked of "
        "TED on the scheduler's clock), `validation-failed` with TED's report as findings (the next "
        "submission is the notice's next version), or `error` (TED unreachable, the key refused or not set)."
    ),
)
def submit_notice_eforms(request, notice_id: int):
    draft = _draft(request, notice_id=notice_id)
    try:
        notice = service.submit(draft, user=request.auth.user, rules=checks.ask)
    except service.ExportError as exc:
        raise Invalid(exc.message, fields=[
            FieldError(tuple(f.path or ()), f"{f.rule}: {f.label('en')}: {f.message('en')}".replace(": : ", ": "))
            for f in exc.findings
        ]) from None
    except ValueError as exc:
        raise Invalid(f"The notice cannot be made into eForms yet: {exc}") from None
    return next(s for s in service.states(draft) if s["notice_id"] == f"{notice.notice_uuid}-{notice.version_id}"
                and s["kind"] == notice.kind)


# ---------------------------------------------------------------------- drafts


@router.get("/officer/drafts/{draft_id}/eforms", response={200: EformsOut, **responses(*_AUTH, 404, 422)},
            summary="A draft's eForms fields")
def get_draft_eforms(request, draft_id: int):
    return eforms_out(_draft(request, draft_id=draft_id))


@router.patch("/officer/drafts/{draft_id}/eforms", response={200: EformsOut, **responses(*_AUTH, 404, 422)},
              summary="Set a draft's eForms fields")
def patch_draft_eforms(request, draft_id: int, payload: EformsFieldsIn):
    return _update(_draft(request, draft_id=draft_id), payload)


@router.get("/officer/drafts/{draft_id}/eforms.xml", summary="A draft's eForms XML", openapi_extra=_XML_RESPONSES)
def draft_eforms_xml(request, draft_id: int, query: Query[KindQuery]):
    return _xml(_draft(request, draft_id=draft_id), query.kind)


@router.post("/officer/drafts/{draft_id}/eforms/validate",
             response={200: CheckOut, **responses(*_AUTH, 404, 422, 503)},
             summary="Check a draft against TED's or Hilma's rules", description=_CHECK_DESCRIPTION)
def validate_draft_eforms(request, draft_id: int, query: Query[CheckQuery]):
    return _check(_draft(request, draft_id=draft_id), query.kind, query.lang)
