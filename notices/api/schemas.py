"""Input and output schemas of the notices API. Inputs and outputs are separate classes; model-backed
outputs are ``ModelSchema`` with explicit field lists. Every instant is UTC (``...Z``); deadlines also
carry ``at_helsinki``, the same instant in Europe/Helsinki."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import ModelSchema, Schema
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from notices.models import ApiToken, BuyerIdentifier, BuyerRequest, ContactPoint, Lot, NoticeVersion


def unstorable(value) -> bool:
    """Text a database cannot store: a NUL character or a lone UTF-16 surrogate (JSON allows both)."""
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(unstorable(k) or unstorable(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(unstorable(v) for v in value)
    return False


class InputSchema(Schema):
    """Base of every input: text with a NUL character or a lone surrogate is refused (422)."""

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data):
        raw = getattr(data, "_obj", data)  # ninja wraps inputs in a DjangoGetter
        if unstorable(raw if isinstance(raw, (dict, list, str)) else getattr(raw, "__dict__", None)):
            raise ValueError("text must not contain NUL characters or lone surrogates")
        return data


def _utc(value: dt.datetime) -> dt.datetime:
    """An instant in UTC; one written without an offset is taken as UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ValueError("the instant is out of range") from None


def _aware(value: dt.datetime) -> dt.datetime:
    """An instant that says its UTC offset (kept as written, so the officer's own time is shown back)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("give the instant with its UTC offset, e.g. 2027-05-20T12:00:00+03:00")
    _utc(value)
    return value


Instant = Annotated[dt.datetime, AfterValidator(_utc)]  # query filters: any offset, or UTC
AwareInstant = Annotated[dt.datetime, AfterValidator(_aware)]  # officers' deadlines: the offset is required

DeadlineKind = Literal["tender", "participation", "questions", "opening", "interest"]
Language = Literal["fi", "sv", "en"]


# --- shared pieces ------------------------------------------------------------------------------------


class Plain(BaseModel):
    """An output of the busiest reads (the notice list), made from plain dicts: validated by pydantic
    alone. ninja's ``Schema`` wraps every object and nested object in a getter for ORM attributes, which
    cost 2.5 ms of a 10 ms page of 50 notices; ``from_attributes`` still reads a model instance."""

    model_config = ConfigDict(from_attributes=True)


class BuyerRef(Plain):
    id: int
    name: str


class IdentifierJson(Schema):
    """An identifier as in the ingest contract (``NoticeRecord.as_json``)."""

    scheme: str | None
    id: str
    valid: bool | None


class PhoneJson(Schema):
    as_written: str
    e164: str | None
    valid: bool | None


class AddressJson(Schema):
    street: str | None
    po_box: str | None
    postal_code: str | None
    city: str | None
    country: str | None


class NoticeBuyerOut(Schema):
    """A buyer of a notice: the ingest contract's buyer object plus its ``id`` and names."""

    id: int
    name: str
    names: dict[str, str]
    identifiers: list[IdentifierJson]
    address: AddressJson
    email: str | None
    phone: PhoneJson | None
    fax: PhoneJson | None
    url: str | None


class DeadlineOut(Schema):
    kind: str
    lot: str | None
    at: dt.datetime = Field(description="UTC")
    at_helsinki: dt.datetime = Field(description="The same instant in Europe/Helsinki")
    needs_review: bool
    review_reasons: list[str] = Field(description="Why a person should check it (empty when nothing is in doubt)")
    active: bool = Field(description="False: a later version removed it")
    sequence: int = Field(description="Raised each time the instant moved")


class LotOut(ModelSchema):
    id: str
    titles: dict[str, str]
    cpv: list[str]
    estimated_value: str | None

    class Meta:
        model = Lot
        fields = ["title", "titles", "cpv"]


class VersionOut(ModelSchema):
    changes: dict

    class Meta:
        model = NoticeVersion
        fields = ["number", "source_ref", "source_version", "format", "issued_at", "received_at"]


class Paged(Plain):
    count: int = Field(description="Matches, exact up to the cap (1,000 by default); see count_exact")
    count_exact: bool
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last")


# --- public reads -------------------------------------------------------------------------------------


class NoticeListItem(Plain):
    id: int
    source: str
    source_id: str
    notice_type: str
    status: str = Field(description="active or cancelled")
    open: bool = Field(description="A tender or participation deadline is still ahead")
    title: str
    titles: dict[str, str]
    language: str
    buyers: list[BuyerRef]
    cpv: list[str]
    all_cpv: list[str]
    next_deadline: dt.datetime | None = Field(description="Earliest tender/participation deadline still ahead")
    next_deadline_needs_review: bool = Field(
        description="That deadline was read from ambiguous free text: check it in the notice"
    )
    next_deadline_review_reasons: list[str] = Field(description="Why (see the deadlines of GET /api/notices/{id})")
    closes_at: dt.datetime | None = Field(description="Latest tender/participation deadline")
    published_at: dt.datetime | None
    nuts: list[str] = Field(description="NUTS codes: places of performance, then the buyers' addresses")
    subtype: str | None = Field(description="eForms notice subtype: 16, E3 (national)...")
    procedure_type: str | None = Field(description="eForms BT-105: open, restricted...")
    estimated_value: str | None
    currency: str | None


class NoticeList(Paged):
    items: list[NoticeListItem]


class NoticeOut(Schema):
    """A notice: the keys of the ingest contract (``NoticeRecord.as_json``), then what the tracker knows."""

    id: int
    source: str
    source_id: str
    procedure_id: str | None
    version: str | None
    notice_type: str
    status: str
    changes: str | None = Field(description="The source id of the notice this version changes")
    title: str
    titles: dict[str, str]
    language: str
    buyers: list[NoticeBuyerOut]
    deadlines: list[DeadlineOut]
    lots: list[LotOut]
    cpv: list[str]
    links: list[str]
    published_at: dt.datetime | None
    descriptions: dict[str, str]
    all_cpv: list[str]
    estimated_value: str | None
    currency: str | None
    source_url: str | None
    nuts: list[str]
    subtype: str | None
    procedure_type: str | None
    open: bool
    next_deadline: dt.datetime | None
    closes_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    versions: list[VersionOut]
    summary_pdf: str = Field(description="URL of the printable summary")


class IdentifierOut(ModelSchema):
    class Meta:
        model = BuyerIdentifier
        fields = ["scheme", "value", "valid", "as_written"]


class ContactOut(ModelSchema):
    class Meta:
        model = ContactPoint
        fields = [
            "street", "po_box", "postal_code", "city", "country", "email",
            "phone", "phone_e164", "phone_valid", "fax", "fax_e164", "fax_valid", "url",
        ]


class BuyerNotices(Plain):
    items: list[NoticeListItem]
    count: int
    count_exact: bool
    more: str = Field(description="The notice list filtered by this buyer, for all of them")


class BuyerOut(Schema):
    id: int
    name: str
    names: dict[str, str]
    country: str
    identifiers: list[IdentifierOut]
    contacts: list[ContactOut]
    notices: BuyerNotices


class DeadlineListItem(Schema):
    id: int
    notice: int
    title: str
    kind: str
    lot: str | None
    at: dt.datetime
    at_helsinki: dt.datetime
    needs_review: bool
    review_reasons: list[str] = Field(description="Why a person should check it (empty when nothing is in doubt)")


class DeadlineList(Paged):
    items: list[DeadlineListItem]


class Health(Schema):
    status: Literal["ok"]


# --- tokens and who am I ------------------------------------------------------------------------------


class TokenOut(ModelSchema):
    class Meta:
        model = ApiToken
        fields = ["name", "prefix", "created_at", "expires_at"]


class MeOut(Schema):
    username: str
    staff: bool
    buyers: list[BuyerRef] = Field(description="Buyers this user is an officer of")
    token: TokenOut


# --- officers -----------------------------------------------------------------------------------------


class DeadlineIn(InputSchema):
    kind: DeadlineKind
    at: AwareInstant = Field(description="With its UTC offset, e.g. 2027-05-20T12:00:00+03:00")
    lot: str | None = None


class LotIn(InputSchema):
    id: str = Field(min_length=1, max_length=100)
    title: str | None = Field(None, max_length=2000)
    titles: dict[Language, str] = {}
    cpv: list[str] = []


class ContactIn(InputSchema):
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=80)
    url: str | None = Field(None, max_length=500)
    street: str | None = Field(None, max_length=300)
    postal_code: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=200)


class DraftIn(InputSchema):
    """A new draft. Nothing but types is checked here: a draft may be incomplete until it is validated
    or published."""

    buyer: str | None = Field(
        None, description="The buyer's identifier (Y-tunnus); needed when you are an officer of several"
    )
    title: str | None = Field(None, max_length=2000)
    titles: dict[Language, str] = {}
    descriptions: dict[Language, str] = {}
    language: Language = "fi"
    notice_type: str = Field("cn-standard", max_length=50)
    procedure_id: str | None = Field(None, max_length=200)
    cpv: list[str] = []
    lots: list[LotIn] = []
    deadlines: list[DeadlineIn] = []
    contacts: list[ContactIn] = []
    links: list[str] = Field([], description="Links to the procurement documents (http or https)")


class DraftPatch(InputSchema):
    """Fields to replace (JSON merge at the top level); fields left out are kept."""

    title: str | None = Field(None, max_length=2000)
    titles: dict[Language, str] | None = None
    descriptions: dict[Language, str] | None = None
    language: Language | None = None
    notice_type: str | None = Field(None, max_length=50)
    procedure_id: str | None = Field(None, max_length=200)
    cpv: list[str] | None = None
    lots: list[LotIn] | None = None
    deadlines: list[DeadlineIn] | None = None
    contacts: list[ContactIn] | None = None
    links: list[str] | None = None


class BuyerIn(InputSchema):
    business_id: str = Field(max_length=40, description="Y-tunnus in any written form: 0206714-5, FI02067145")
    name: str = Field(max_length=500)


class BuyerCreatedOut(Schema):
    id: int
    name: str
    business_id: str


class BuyerRequestOut(ModelSchema):
    buyer: int | None = Field(description="The buyer (once it exists)")

    class Meta:
        model = BuyerRequest
        fields = ["id", "business_id", "name", "state", "created_at", "decided_at"]

    @staticmethod
    def resolve_buyer(obj) -> int | None:
        return obj.buyer_id


class CancelIn(InputSchema):
    reason: str = Field("", max_length=2000, description="Why; followers are told")


class OfficerNoticeOut(Schema):
    id: int = Field(description="The draft's id (/api/officer/drafts/{id})")
    state: Literal["draft", "published", "cancelled"]
    buyer: BuyerRef
    notice: int | None = Field(description="The public notice's id once published (/api/notices/{id})")
    version: int | None = Field(description="The public notice's current version number")
    content: dict = Field(description="What the officer last submitted (the fields of DraftIn)")
    created_at: dt.datetime
    updated_at: dt.datetime
    published_at: dt.datetime | None
    cancel_reason: str | None = Field(None, description="Why it was cancelled, as the officer said")


class OfficerNoticeList(Schema):
    items: list[OfficerNoticeOut]
    count: int


class ValidationOut(Schema):
    valid: Literal[True]
