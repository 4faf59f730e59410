"""Notices API (django-ninja routers, mounted at /api/ in tracker/api.py).

Public, no authentication: ``GET /api/notices`` (search, filters, "next deadline" order, offset or
cursor pages), ``GET /api/notices/{id}`` (the ingest contract's fields plus lots, deadlines in UTC and
Helsinki time, versions and what each changed), ``GET /api/notices/{id}/summary.pdf``,
``GET /api/buyers/{identifier}``, ``GET /api/deadlines``.

Officers (``Authorization: Bearer <API token>``; see notices/api/auth.py and notices/officers.py):
drafts under ``/api/officer/drafts``, published notices under ``/api/officer/notices/{notice id}``.
Errors: the one shape of notices/errors.py.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Literal

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from ninja import Query, Router, Status
from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from notices import officers, pdf, search, spreadsheet
from notices.api.auth import TokenAuth
from notices.api.errors import responses
from notices.api.schemas import (
    BuyerCreatedOut,
    BuyerIn,
    BuyerOut,
    BuyerRequestOut,
    CancelIn,
    DeadlineKind,
    DeadlineList,
    DraftIn,
    DraftPatch,
    InputSchema,
    Instant,
    MeOut,
    NoticeList,
    NoticeOut,
    OfficerNoticeList,
    OfficerNoticeOut,
    ValidationOut,
    unstorable,
)
from notices.display import in_helsinki
from notices.errors import BadRequest, Invalid, NotFound
from notices.models import Buyer, Deadline, Draft, Notice
from notices.vocab import SOURCES

router = Router(tags=["notices"])
officer_router = Router(tags=["officers"], auth=TokenAuth())

_PDF = {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}


# --- public: notices --------------------------------------------------------------------------------------


class NoticeFilters(InputSchema):
    q: str | None = Field(
        None, max_length=500,
        description='Words in titles and descriptions, any language; every word must match, as written, by its '
        'Finnish or Swedish stem, or (three letters or more) inside a longer word; "quotes" give a phrase',
    )
    status: Literal["open", "closed", "cancelled", "all"] | None = Field(
        None, description="open: a tender/participation deadline still ahead; closed: none ahead; cancelled; all"
    )
    deadline_after: Instant | None = Field(None, description="Has a tender/participation deadline at or after")
    deadline_before: Instant | None = Field(None, description="... and before this instant")
    cpv: str | None = Field(None, max_length=10, description="CPV code prefix (procedure's or any lot's): 45, 4523")
    buyer: str | None = Field(None, max_length=100, description="Buyer identifier in any form: 0206714-5, FI02067145")
    country: str | None = Field(None, pattern=r"^[A-Za-z]{2}$", description="Buyer's country, ISO 3166-1 alpha-2")
    region: str | None = Field(
        None, max_length=5, description="NUTS code prefix of a place of performance or the buyer's address: FI1B1, FI19"
    )
    source: Literal[SOURCES] | None = None  # type: ignore[valid-type]
    notice_type: str | None = Field(None, max_length=50)
    subtype: str | None = Field(
        None, max_length=10, description="eForms notice subtype (16, E3), or national (E1-E6) or eu"
    )
    procedure_type: str | None = Field(None, max_length=30, description="eForms BT-105: open, restricted, neg-w-call...")
    value_min: int | None = Field(None, ge=0, description="Estimated value at least (whole units of its currency)")
    value_max: int | None = Field(None, ge=0, description="Estimated value at most")
    language: str | None = Field(None, pattern=r"^[A-Za-z]{2}$", description="Language of the notice: fi, sv, en")
    sort: Literal["deadline", "newest", "relevance"] | None = Field(
        None, description="deadline (default: next deadline first), newest, relevance (with q)"
    )
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000, description="Deep pages: use cursor")
    cursor: str | None = Field(None, max_length=500, description="next_cursor of the previous page")


LIST_FIELDS = (
    "pk", "source", "source_id", "notice_type", "status", "title", "titles", "language", "cpv", "all_cpv",
    "closes_at", "published_at", "nuts", "subtype", "procedure_type", "estimated_value", "currency",
)


def _list_items(rows: list[tuple[int, dt.datetime | None]], now: dt.datetime) -> list[dict]:
    """The list's items for (notice id, next deadline ahead) rows, in their order: two queries, no model
    instances (this is the hot path of the busiest endpoint)."""
    ids = [pk for pk, _ in rows]
    by_id = {n["pk"]: n for n in Notice.objects.filter(pk__in=ids).values(*LIST_FIELDS)}
    review = Deadline.to_review(ids)
    buyers: dict[int, list[dict]] = {}
    links = Notice.buyers.through.objects.filter(notice_id__in=ids).order_by("buyer_id")
    for notice_id, buyer_id, name in links.values_list("notice_id", "buyer_id", "buyer__name"):
        buyers.setdefault(notice_id, []).append({"id": buyer_id, "name": name})
    items = []
    for pk, ahead in rows:
        n = by_id.get(pk)
        if n is None:
            continue
        closes = n["closes_at"]
        items.append({
            "id": pk,
            "source": n["source"],
            "source_id": n["source_id"],
            "notice_type": n["notice_type"],
            "status": n["status"],
            "open": n["status"] == Notice.Status.ACTIVE and closes is not None and closes > now,
            "title": n["title"],
            "titles": n["titles"] or {},
            "language": n["language"],
            "buyers": buyers.get(pk, []),
            "cpv": n["cpv"] or [],
            "all_cpv": n["all_cpv"] or [],
            "next_deadline": ahead,
            "next_deadline_needs_review": (pk, ahead) in review,
            "next_deadline_review_reasons": review.get((pk, ahead), []),
            "closes_at": closes,
            "published_at": n["published_at"],
            "nuts": n["nuts"] or [],
            "subtype": n["subtype"] or None,
            "procedure_type": n["procedure_type"] or None,
            "estimated_value": str(n["estimated_value"]) if n["estimated_value"] is not None else None,
            "currency": n["currency"] or None,
        })
    return items


def _is_open(notice: Notice, now: dt.datetime) -> bool:
    return notice.status == Notice.Status.ACTIVE and notice.closes_at is not None and notice.closes_at > now


@router.get(
    "/notices",
    response={200: NoticeList, **responses(422)},
    summary="Search and list notices",
    description=(
        "Notices in next-deadline order: open notices first, by their earliest tender or participation "
        "deadline still ahead; then closed and cancelled ones, most recently closed first. `count` is exact "
        "up to 1,000 (`count_exact`; API_COUNT_CAP). Page with `limit`/`offset` (offset at most 10,000) or follow "
        "`next_cursor` with `cursor` to any depth."
    ),
)
def list_notices(request, filters: Query[NoticeFilters]):
    now = timezone.now()
    found = search.page(
        _filters(filters), now=now, limit=filters.limit, offset=filters.offset, cursor=filters.cursor
    )
    return {
        "items": _list_items(found.rows, now),
        "count": found.count,
        "count_exact": found.count_exact,
        "next_cursor": found.next_cursor,
    }


class ExportFilters(NoticeFilters):
    sep: Literal[";", ","] = Field(";", description="; (Finnish Excel, decimal comma) or , (decimal point)")
    lang: Literal["fi", "sv", "en"] = Field("fi", description="Language of the header, titles and CPV names")


@router.get(
    "/notices.csv",
    url_name="notices_csv",
    summary="The list as CSV for a spreadsheet",
    description=(
        "Every notice matching the filters of `GET /api/notices`, in the same order, streamed: UTF-8 with a "
        "byte order mark, `;`-separated with a decimal comma (as Finnish Excel expects) or `sep=,`. `limit`, "
        "`offset` and `cursor` are ignored: the whole list is sent."
    ),
    openapi_extra={
        "responses": {
            # Integer keys, as ninja's own (a second "200" makes Swagger UI render nothing).
            200: {"description": "The CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
            422: {"description": "A parameter is not valid", "content": _ERROR},
        }
    },
)
def notices_csv(request, filters: Query[ExportFilters]):
    now = timezone.now()
    lines = spreadsheet.rows(_filters(filters), now=now, lang=filters.lang, sep=filters.sep)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="notices.csv"'
    return response


def _filters(f: NoticeFilters) -> search.Filters:
    return search.Filters(
        q=f.q,
        status=f.status,
        deadline_after=f.deadline_after,
        deadline_before=f.deadline_before,
        cpv=f.cpv,
        buyer=f.buyer,
        country=f.country,
        region=f.region,
        source=f.source,
        notice_type=f.notice_type,
        subtype=f.subtype,
        procedure_type=f.procedure_type,
        value_min=f.value_min,
        value_max=f.value_max,
        language=f.language,
        sort=f.sort,
    )


@router.get("/notices/{notice_id}", response={200: NoticeOut, **responses(404, 422)}, summary="One notice")
def get_notice(request, notice_id: int):
    notice = (
        Notice.objects.select_related("current_version")
        .prefetch_related("buyers__identifiers", "contacts", "lots", "deadlines")
        .filter(pk=notice_id)
        .first()
    )
    if notice is None:
        raise NotFound(f"There is no notice {notice_id}.")
    return notice_out(notice, request)


def notice_out(notice: Notice, request=None) -> dict:
    now = timezone.now()
    record = notice.current_version.record if notice.current_version else {}
    contacts = {}
    for contact in notice.contacts.all():
        contacts.setdefault(contact.buyer_id, contact)
    deadlines = sorted(notice.deadlines.all(), key=lambda d: (d.at, d.lot, d.kind))
    ahead = [d.at for d in deadlines if d.active and d.kind in search.CLOSING_KINDS and d.at > now]
    versions = notice.versions.order_by("number").only(
        "number", "source_ref", "source_version", "format", "issued_at", "received_at", "changes"
    )
    return {
        "id": notice.pk,
        "source": notice.source,
        "source_id": notice.source_id,
        "procedure_id": notice.procedure_id or None,
        "version": (notice.current_version.source_version or None) if notice.current_version else None,
        "notice_type": notice.notice_type,
        "status": notice.status,
        "changes": record.get("changes"),
        "title": notice.title,
        "titles": notice.titles or {},
        "language": notice.language,
        "buyers": [_buyer_json(b, contacts.get(b.pk)) for b in notice.buyers.all()],
        "deadlines": [
            {
                "kind": d.kind,
                "lot": d.lot or None,
                "at": d.at,
                "at_helsinki": in_helsinki(d.at),
                "needs_review": d.needs_review,
                "review_reasons": d.review_reasons,
                "active": d.active,
                "sequence": d.sequence,
            }
            for d in deadlines
        ],
        "lots": [
            {
                "id": lot.lot_id,
                "title": lot.title,
                "titles": lot.titles or {},
                "cpv": lot.cpv or [],
                "estimated_value": str(lot.estimated_value) if lot.estimated_value is not None else None,
            }
            for lot in notice.lots.all()
        ],
        "cpv": notice.cpv or [],
        "links": notice.links or [],
        "published_at": notice.published_at,
        "descriptions": notice.descriptions or {},
        "all_cpv": notice.all_cpv or [],
        "estimated_value": str(notice.estimated_value) if notice.estimated_value is not None else None,
        "currency": notice.currency or None,
        "source_url": notice.source_url or None,
        "nuts": notice.nuts or [],
        "subtype": notice.subtype or None,
        "procedure_type": notice.procedure_type or None,
        "open": _is_open(notice, now),
        "next_deadline": min(ahead) if ahead else None,
        "closes_at": notice.closes_at,
        "created_at": notice.created_at,
        "updated_at": notice.updated_at,
        "versions": list(versions),
        "summary_pdf": reverse("api-1:notice_summary_pdf", kwargs={"notice_id": notice.pk}),
    }


def _phone(written: str, e164: str, valid) -> dict | None:
    if not written:
        return None
    return {"as_written": written, "e164": e164 or None, "valid": valid}


def _buyer_json(buyer: Buyer, contact) -> dict:
    return {
        "id": buyer.pk,
        "name": buyer.name,
        "names": buyer.names or {},
        "identifiers": [
            {"scheme": i.scheme or None, "id": i.value, "valid": i.valid} for i in buyer.identifiers.all()
        ],
        "address": {
            "street": (contact.street or None) if contact else None,
            "po_box": (contact.po_box or None) if contact else None,
            "postal_code": (contact.postal_code or None) if contact else None,
            "city": (contact.city or None) if contact else None,
            "country": ((contact.country if contact else "") or buyer.country) or None,
        },
        "email": (contact.email or None) if contact else None,
        "phone": _phone(contact.phone, contact.phone_e164, contact.phone_valid) if contact else None,
        "fax": _phone(contact.fax, contact.fax_e164, contact.fax_valid) if contact else None,
        "url": (contact.url or None) if contact else None,
    }


@router.get(
    "/notices/{notice_id}/summary.pdf",
    url_name="notice_summary_pdf",
    summary="PDF summary of a notice",
    description=(
        "The notice as a printable A4 PDF with labels in `lang` (fi, sv or en; default: the request's "
        "language). Rendered once per notice version, language and day and served from a cache; send the "
        "ETag back in If-None-Match to get 304 Not Modified."
    ),
    openapi_extra={
        "responses": {
            # Integer keys, as ninja's own: merged into its 200, not a second "200" (a duplicate key in the
            # JSON, which Swagger UI's parser refuses: /api/docs rendered nothing).
            200: {"description": "The PDF", **_PDF},
            304: {"description": "Not modified: the ETag still matches"},
            404: {"description": "No such notice", "content": _ERROR},
            422: {"description": "A parameter is not valid", "content": _ERROR},
        }
    },
)
def notice_summary_pdf(request, notice_id: int, lang: Literal["fi", "sv", "en"] | None = None):
    notice = get_object_or_404(Notice, pk=notice_id)
    if lang is None:
        current = (get_language() or "").split("-")[0]
        lang = current if current in pdf.LANGUAGES else pdf.LANGUAGES[0]
    return pdf.summary_response(request, notice, lang)


# --- public: buyers and deadlines -------------------------------------------------------------------------


@router.get(
    "/buyers/{identifier}",
    response={200: BuyerOut, **responses(404, 422)},
    summary="A buyer, its identifiers, contacts and notices",
    description="`identifier` in any written form (0206714-5, FI02067145, FI-PRO:0206714-5) or the buyer's id.",
)
def get_buyer(request, identifier: str):
    if unstorable(identifier) or len(identifier) > 200:
        raise NotFound("No buyer has that identifier.")
    buyer = search.buyers_for(identifier).order_by("pk").first()
    if buyer is None and identifier.isdigit() and len(identifier) < 12:
        buyer = Buyer.objects.filter(pk=int(identifier)).first()
    if buyer is None:
        raise NotFound(f"No buyer has the identifier {identifier!r}.")
    now = timezone.now()
    # The buyer's notices in the list's order, first 50; `more` is the list filtered by this buyer.
    rows = search.page(search.Filters(buyer_id=buyer.pk), now=now, limit=50)
    ident = buyer.primary_identifier
    return {
        "id": buyer.pk,
        "name": buyer.name,
        "names": buyer.names or {},
        "country": buyer.country,
        "identifiers": list(buyer.identifiers.order_by("pk")),
        "contacts": list(buyer.contacts.order_by("pk")),
        "notices": {
            "items": _list_items(rows.rows, now),
            "count": rows.count,
            "count_exact": rows.count_exact,
            "more": reverse("api-1:list_notices") + f"?buyer={ident.value if ident else buyer.pk}",
        },
    }


class DeadlineFilters(InputSchema):
    after: Instant | None = Field(None, description="From this instant on (default: now)")
    before: Instant | None = Field(None, description="Before this instant")
    kind: DeadlineKind | None = None
    cpv: str | None = Field(None, max_length=10, description="CPV code prefix")
    buyer: str | None = Field(None, max_length=100, description="Buyer identifier in any form")
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000)
    cursor: str | None = Field(None, max_length=500)


@router.get(
    "/deadlines",
    response={200: DeadlineList, **responses(422)},
    summary="Upcoming deadlines across notices (calendar)",
    description="Active deadlines of notices that are not cancelled, soonest first.",
)
def list_deadlines(request, filters: Query[DeadlineFilters]):
    now = timezone.now()
    rows, count, exact, next_cursor = search.deadline_page(
        search.DeadlineFilters(
            after=filters.after, before=filters.before, kind=filters.kind,
            cpv=search.check_cpv(filters.cpv), buyer=filters.buyer,
        ),
        now=now, limit=filters.limit, offset=filters.offset, cursor=filters.cursor,
    )
    items = [
        {
            "id": d.pk,
            "notice": d.notice_id,
            "title": d.notice.title,
            "kind": d.kind,
            "lot": d.lot or None,
            "at": d.at,
            "at_helsinki": in_helsinki(d.at),
            "needs_review": d.needs_review,
            "review_reasons": d.review_reasons,
        }
        for d in rows
    ]
    return {"items": items, "count": count, "count_exact": exact, "next_cursor": next_cursor}


# --- officers ------------------------------------------------------------------------------------------

_AUTH = (401, 403, 429)


def _officer_out(draft: Draft) -> dict:
    notice = draft.notice
    return {
        "id": draft.pk,
        "state": draft.state,
        "buyer": {"id": draft.buyer_id, "name": draft.buyer.name},
        "notice": notice.pk if notice else None,
        "version": notice.current_version.number if notice and notice.current_version else None,
        "content": draft.payload,
        "created_at": draft.created_at,
        "updated_at": draft.updated_at,
        "published_at": draft.published_at,
        "cancel_reason": draft.cancel_reason or None,
    }


@officer_router.get("/me", response={200: MeOut, **responses(*_AUTH)}, summary="Who this token is")
def me(request):
    user = request.auth.user
    return {
        "username": user.get_username(),
        "staff": user.is_staff,
        "buyers": [{"id": b.pk, "name": b.name} for b in officers.buyers_of(user)],
        "token": request.auth,
    }


@officer_router.post(
    "/officer/buyers",
    response={201: BuyerCreatedOut, **responses(*_AUTH, 409, 422)},
    summary="Add a buyer (staff)",
    description="A buyer from a valid Y-tunnus and a name, at once. Others ask with /api/officer/buyer-requests.",
)
def create_buyer(request, payload: BuyerIn):
    buyer = officers.create_buyer(request.auth.user, payload.business_id, payload.name)
    ident = buyer.primary_identifier
    return Status(201, {"id": buyer.pk, "name": buyer.name, "business_id": ident.value if ident else ""})


@officer_router.get(
    "/officer/buyer-requests", response={200: list[BuyerRequestOut], **responses(*_AUTH)}, summary="My requests"
)
def list_buyer_requests(request):
    return list(officers.requests_of(request.auth.user)[:100])


@officer_router.post(
    "/officer/buyer-requests",
    response={201: BuyerRequestOut, **responses(*_AUTH, 409, 422)},
    summary="Ask to publish for a buyer",
    description=(
        "A buyer by its Y-tunnus and name, new or known. Nothing changes until an operator approves it in the "
        "admin; then the buyer exists and you are its officer (state `approved`)."
    ),
)
def request_buyer(request, payload: BuyerIn):
    return Status(201, officers.request_buyer(request.auth.user, payload.business_id, payload.name))


@officer_router.get(
    "/officer/drafts", response={200: OfficerNoticeList, **responses(*_AUTH)}, summary="My buyers' drafts"
)
def list_drafts(request):
    rows = list(officers.mine(request.auth.user, published=False)[:500])
    return {"items": [_officer_out(d) for d in rows], "count": len(rows)}


@officer_router.post(
    "/officer/drafts",
    response={201: OfficerNoticeOut, **responses(*_AUTH, 422)},
    summary="Start a draft notice",
)
def create_draft(request, payload: DraftIn):
    draft = officers.create_draft(request.auth.user, payload.model_dump(mode="json"))
    return Status(201, _officer_out(draft))


@officer_router.get(
    "/officer/drafts/{draft_id}", response={200: OfficerNoticeOut, **responses(*_AUTH, 404, 422)}, summary="A draft"
)
def get_draft(request, draft_id: int):
    return _officer_out(officers.get_draft(request.auth.user, draft_id))


@officer_router.patch(
    "/officer/drafts/{draft_id}",
    response={200: OfficerNoticeOut, **responses(*_AUTH, 404, 409, 422)},
    summary="Change a draft",
)
def update_draft(request, draft_id: int, payload: DraftPatch):
    data = payload.model_dump(mode="json", exclude_unset=True)
    return _officer_out(officers.update_draft(request.auth.user, draft_id, data))


@officer_router.delete(
    "/officer/drafts/{draft_id}", response={204: None, **responses(*_AUTH, 404, 409, 422)}, summary="Discard a draft"
)
def discard_draft(request, draft_id: int):
    officers.discard_draft(request.auth.user, draft_id)
    return Status(204, None)


@officer_router.post(
    "/officer/drafts/{draft_id}/validate",
    response={200: ValidationOut, **responses(*_AUTH, 404, 409, 422)},
    summary="Check a draft could be published now",
    description="200 `{\"valid\": true}`, or 422 with every problem and its field path.",
)
def validate_draft(request, draft_id: int):
    officers.validate_draft(request.auth.user, draft_id)
    return {"valid": True}


@officer_router.post(
    "/officer/drafts/{draft_id}/copy",
    response={201: OfficerNoticeOut, **responses(*_AUTH, 404, 422)},
    summary="Copy an earlier notice as a new draft",
    description="Any draft, published or cancelled notice of your buyers (by its draft id), as a new draft.",
)
def copy_draft(request, draft_id: int):
    return Status(201, _officer_out(officers.copy_draft(request.auth.user, draft_id)))


@officer_router.post(
    "/officer/drafts/{draft_id}/publish",
    response={201: OfficerNoticeOut, **responses(*_AUTH, 404, 409, 422)},
    summary="Publish a draft as a public notice",
)
def publish_draft(request, draft_id: int):
    draft, _change = officers.publish(request.auth.user, draft_id)
    return Status(201, _officer_out(draft))


@officer_router.get(
    "/officer/notices",
    response={200: OfficerNoticeList, **responses(*_AUTH)},
    summary="My buyers' published (and cancelled) notices",
)
def list_published(request):
    rows = list(officers.mine(request.auth.user, published=True)[:500])
    return {"items": [_officer_out(d) for d in rows], "count": len(rows)}


@officer_router.get(
    "/officer/notices/{notice_id}",
    response={200: OfficerNoticeOut, **responses(*_AUTH, 404, 422)},
    summary="A published notice, as its officer sees it",
)
def get_published(request, notice_id: int):
    return _officer_out(officers.get_published(request.auth.user, notice_id))


@officer_router.patch(
    "/officer/notices/{notice_id}",
    response={200: OfficerNoticeOut, **responses(*_AUTH, 404, 409, 422)},
    summary="Correct a published notice",
    description=(
        "The given fields replace the published ones; the result is validated and written as a new version "
        "of the public notice (the same writer as ingest), so followers' reminders follow moved deadlines "
        "and they are told. A correction that changes nothing creates no version."
    ),
)
def correct_notice(request, notice_id: int, payload: DraftPatch):
    data = payload.model_dump(mode="json", exclude_unset=True)
    draft, _change = officers.correct(request.auth.user, notice_id, data)
    draft.notice.refresh_from_db(fields=["current_version"])
    return _officer_out(draft)


@officer_router.post(
    "/officer/notices/{notice_id}/validate",
    response={200: ValidationOut, **responses(*_AUTH, 404, 409, 422)},
    summary="Check a correction without applying it",
)
def validate_correction(request, notice_id: int, payload: DraftPatch):
    officers.check_correction(request.auth.user, notice_id, payload.model_dump(mode="json", exclude_unset=True))
    return {"valid": True}


def _cancel_reason(request) -> str:
    """The optional body of a cancellation: none (or not JSON, as a bare POST), or a CancelIn (422 with its
    path if it does not read)."""
    if request.content_type != "application/json" or not request.body.strip():
        return ""
    try:
        data = json.loads(request.body)
    except ValueError:
        raise BadRequest("The body is not JSON.") from None
    try:
        return CancelIn.model_validate(data).reason
    except PydanticValidationError as exc:
        raise Invalid(
            "The request is not valid; see fields.",
            fields=[(tuple(e["loc"]), e["msg"]) for e in exc.errors()],
        ) from None


@officer_router.post(
    "/officer/notices/{notice_id}/cancel",
    response={200: OfficerNoticeOut, **responses(*_AUTH, 404, 409, 422)},
    summary="Cancel a published notice",
    description="An optional body `{\"reason\": \"...\"}`: followers get it in the cancellation mail, and "
    "the notice's page and PDF show it. Without a body (as before) the notice is cancelled without one.",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": CancelIn.model_json_schema()}},
        }
    },
)
def cancel_notice(request, notice_id: int):
    draft, _change = officers.cancel(request.auth.user, notice_id, reason=_cancel_reason(request))
    draft.notice.refresh_from_db(fields=["current_version"])
    return _officer_out(draft)
