"""What a procurement officer does with a notice: draft → validate → publish → correct → cancel.

UI-agnostic: the REST API (``notices/api/``) and web pages call these functions with a user and plain
data (dicts shaped like ``notices.api.schemas.DraftIn``) and turn the exceptions below into their own
answers. Nothing here knows about HTTP.

* A **draft** is a ``Draft`` row, never a ``Notice``: nothing public can see it. It may be incomplete.
* **Publishing** validates the draft, builds a ``NoticeRecord`` (source "officer") and writes it with
  ``notices.store.save`` - the same writer as ingest - so the notice, its version 1, deadlines, lots and
  buyer are stored exactly like an ingested one.
* A **correction** of a published notice is a new version through the same ``store.save``: moved
  deadlines re-plan followers' reminders and queue a "deadline moved" mail (``scheduler.planning``
  receives ``notice_changed`` inside the same transaction). A correction that changes nothing writes
  nothing.
* **Cancelling** a published notice writes a version with status "cancelled" (followers are told, their
  reminders cancelled); cancelling a draft just closes it.
* Who may: an officer of the draft's buyer (``OfficerMembership``), or staff. Ingested notices belong to
  their source and are never changed here (``NotAllowed``).
* **Buyers** not in the database yet: staff create one from a valid Y-tunnus and a name
  (``create_buyer``, written by ``store.save_buyer`` like a notice's buyer); anyone else signed in asks
  (``request_buyer``), and an operator's ``approve_request`` creates the buyer if needed and the
  membership.
* **Preview**: ``preview`` writes the draft through the store inside a savepoint, lets the caller render
  the public page or PDF from it, and rolls everything back. ``copy_draft`` starts a new draft from any
  earlier one. ``cancel`` keeps the officer's reason (``Draft.cancel_reason``) for followers.

Validation (``problems``) returns every problem at once, each with the path of the field it concerns:
required fields (title, a tender or participation deadline, a CPV code), deadlines in the future (a
correction may keep a deadline that has passed, unchanged) and in order within the procedure and each lot
(questions before participation and tender, participation before tender, opening not before tender; an
order error's path is the earlier kind's deadline, or a lot's own deadline when the other is the
procedure's),
lot references, CPV codes (8 digits, optionally -check digit), document links (http/https), contact
e-mail and phone, and the buyer's Y-tunnus (a valid one is needed to publish).
"""

from __future__ import annotations

import datetime as dt
import json
import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from django.db import DatabaseError, transaction
from django.utils import timezone

from notices import store
from notices.errors import Conflict, FieldError, Invalid, NotAllowed, NotFound
from notices.gate import admit
from notices.models import Buyer, BuyerIdentifier, BuyerRequest, Draft, Notice, OfficerMembership
from notices.readers.ids import identify, phone
from notices.records import (
    Address,
    BuyerRecord,
    DeadlineRecord,
    Identifier,
    IngestError,
    LotRecord,
    NoticeRecord,
)
from notices.search import buyers_for
from notices.vocab import CLOSING_KINDS, in_range

# (earlier kind, later kind, strictly before?) within the procedure and within each lot.
ORDER = [
    ("questions", "participation", True),
    ("questions", "tender", True),
    ("participation", "tender", True),
    ("tender", "opening", False),
]
_CPV = re.compile(r"^\d{8}(-\d)?$", re.ASCII)
_url = URLValidator(schemes=["http", "https"])

EDITABLE = (
    "title", "titles", "descriptions", "language", "notice_type", "procedure_id",
    "cpv", "lots", "deadlines", "contacts", "links",
)
DEFAULTS = {
    "title": None, "titles": {}, "descriptions": {}, "language": "fi", "notice_type": "cn-standard",
    "procedure_id": None, "cpv": [], "lots": [], "deadlines": [], "contacts": [], "links": [],
}


# --- what can go wrong ----------------------------------------------------------------------------------


# notices.errors: NotFound (no such draft or notice), NotAllowed (not this user's buyer, not an officer at
# all, or an ingested notice), Conflict (the action does not fit the draft's state: publishing twice,
# editing a cancelled notice...), Invalid (the content is not acceptable; ``fields`` says what).
def _invalid(errors: list[FieldError]) -> Invalid:
    return Invalid("The notice has problems; see fields.", fields=errors)


# --- who may ---------------------------------------------------------------------------------------------


def buyers_of(user) -> list[Buyer]:
    return list(Buyer.objects.filter(officers__user=user).order_by("name", "pk"))


def may_act_for(user, buyer_id: int) -> bool:
    return bool(user.is_staff) or OfficerMembership.objects.filter(user=user, buyer_id=buyer_id).exists()


def _buyer_for_new_draft(user, identifier: str | None) -> Buyer:
    if identifier:

        ident = identify(identifier)
        if ident is not None and ident.valid is False:
            raise _invalid([FieldError(("buyer",), f"{identifier!r} fails its check digit")])
        found = list(buyers_for(identifier))
        if not found:
            how = "create it" if user.is_staff else "ask an operator for it"
            raise _invalid([FieldError(("buyer",), f"no buyer has the identifier {identifier!r}; {how} first")])
        allowed = [b for b in found if may_act_for(user, b.pk)]
        if not allowed:
            raise NotAllowed(f"You are not an officer of {found[0].name}.")
        return allowed[0]
    mine = buyers_of(user)
    if len(mine) == 1:
        return mine[0]
    if not mine and not user.is_staff:
        raise NotAllowed("You are not an officer of any buyer.")
    what = "you are an officer of several buyers" if mine else "staff must say which buyer"
    raise _invalid([FieldError(("buyer",), f"name the buyer by its Y-tunnus: {what}")])


# --- buyers: staff create them, others ask for them -------------------------------------------------------


def check_business_id(identifier: str | None, name: str | None) -> tuple[Identifier, str]:
    """A valid Y-tunnus (in any written form) and a name, or ``Invalid`` naming what is wrong."""
    problems = []
    ident = identify(identifier or "", "FI") if (identifier or "").strip() else None
    if ident is None:
        problems.append(FieldError(("business_id",), "a business ID (Y-tunnus) is required"))
    elif ident.scheme != "FI-PRO":
        problems.append(FieldError(("business_id",), f"{identifier!r} is not a Finnish business ID (Y-tunnus)"))
    elif not ident.valid:
        problems.append(FieldError(("business_id",), f"{identifier!r} fails its check digit"))
    name = " ".join((name or "").split())
    if not name:
        problems.append(FieldError(("name",), "a name is required"))
    if problems:
        raise Invalid("The buyer has problems; see fields.", fields=problems)
    return ident, name


def buyer_with(ident: Identifier) -> Buyer | None:
    row = BuyerIdentifier.objects.filter(scheme=ident.scheme, value=ident.id).select_related("buyer").first()
    return row.buyer if row else None


def _new_buyer(ident: Identifier, name: str, user) -> Buyer:
    record = BuyerRecord(name=name, identifiers=(ident,), address=Address(country="FI"))
    return store.save_buyer(record, origin=f"officer:{user.get_username()}")


def create_buyer(user, identifier: str | None, name: str | None) -> Buyer:
    """Staff: a buyer from a valid Y-tunnus and a name, at once (then any notice naming the Y-tunnus is
    this buyer's). Others ask with ``request_buyer``."""
    if not user.is_staff:
        raise NotAllowed("Only staff create buyers; ask for one instead (an operator approves it).")
    ident, name = check_business_id(identifier, name)
    with transaction.atomic():
        existing = buyer_with(ident)
        if existing is not None:
            raise Conflict(f"{existing.name} already has the business ID {ident.id}.")
        return _new_buyer(ident, name, user)


def request_buyer(user, identifier: str | None, name: str | None, *, now: dt.datetime | None = None) -> BuyerRequest:
    """A signed-in user asks to act for a buyer: one not known yet (its Y-tunnus and name), or a known one.
    Nothing changes until an operator approves it (``approve_request``)."""
    ident, name = check_business_id(identifier, name)
    existing = buyer_with(ident)
    if existing is not None and may_act_for(user, existing.pk):
        raise Conflict(f"You are an officer of {existing.name} already.")
    pending = BuyerRequest.objects.filter(user=user, business_id=ident.id, state=BuyerRequest.State.PENDING)
    if pending.exists():
        raise Conflict(f"You have asked for {ident.id} already; an operator will look at it.")
    return BuyerRequest.objects.create(
        user=user, business_id=ident.id, name=name, buyer=existing, created_at=now or timezone.now()
    )


def requests_of(user):
    return BuyerRequest.objects.filter(user=user).select_related("buyer")


def approve_request(operator, request_id: int, *, now: dt.datetime | None = None) -> BuyerRequest:
    """An operator's yes: the buyer exists (created from the request if it did not) and the user is its
    officer."""
    if not operator.is_staff:
        raise NotAllowed("Only staff approve buyer requests.")
    with transaction.atomic():
        request = BuyerRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            raise NotFound(f"There is no buyer request {request_id}.")
        if request.state != BuyerRequest.State.PENDING:
            raise Conflict(f"Buyer request {request_id} is {request.state} already.")
        ident, _name = check_business_id(request.business_id, request.name)
        buyer = buyer_with(ident) or _new_buyer(ident, request.name, request.user)
        OfficerMembership.objects.get_or_create(user=request.user, buyer=buyer)
        request.state = BuyerRequest.State.APPROVED
        request.buyer = buyer
        request.decided_by = operator
        request.decided_at = now or timezone.now()
        request.save(update_fields=["state", "buyer", "decided_by", "decided_at"])
    return request


def reject_request(operator, request_id: int, *, now: dt.datetime | None = None) -> BuyerRequest:
    if not operator.is_staff:
        raise NotAllowed("Only staff reject buyer requests.")
    with transaction.atomic():
        request = BuyerRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            raise NotFound(f"There is no buyer request {request_id}.")
        if request.state != BuyerRequest.State.PENDING:
            raise Conflict(f"Buyer request {request_id} is {request.state} already.")
        request.state = BuyerRequest.State.REJECTED
        request.decided_by = operator
        request.decided_at = now or timezone.now()
        request.save(update_fields=["state", "decided_by", "decided_at"])
    return request


def _draft(user, draft_id: int, *, lock: bool = False) -> Draft:
    rows = Draft.objects.select_related("buyer", "notice")
    if lock:
        rows = rows.select_for_update(of=("self",))
    draft = rows.filter(pk=draft_id).first()
    if draft is None or not may_act_for(user, draft.buyer_id):
        # Another buyer's draft is answered exactly as one that does not exist: a draft is not public,
        # so neither is whether it exists or whose it is.
        raise NotFound(f"There is no draft {draft_id}.")
    return draft


def _published(user, notice_id: int, *, lock: bool = False) -> Draft:
    notice = Notice.objects.filter(pk=notice_id).only("pk", "source").first()
    if notice is None:
        raise NotFound(f"There is no notice {notice_id}.")
    rows = Draft.objects.select_related("buyer", "notice")
    if lock:
        rows = rows.select_for_update(of=("self",))
    draft = rows.filter(notice_id=notice_id).first()
    if draft is None:
        raise NotAllowed(
            f"Notice {notice_id} was ingested from {notice.source}: it changes only at its source."
        )
    if not may_act_for(user, draft.buyer_id):
        raise NotAllowed(f"Notice {notice_id} belongs to {draft.buyer.name}; you are not its officer.")
    return draft


def get_draft(user, draft_id: int) -> Draft:
    return _draft(user, draft_id)


def get_published(user, notice_id: int) -> Draft:
    return _published(user, notice_id)


def mine(user, *, published: bool | None = None):
    """The drafts (and published notices) of this user's buyers; staff see every buyer's."""
    rows = Draft.objects.select_related("buyer", "notice", "notice__current_version").order_by("-updated_at", "-pk")
    if not user.is_staff:
        rows = rows.filter(buyer__officers__user=user)
    if published is True:
        rows = rows.exclude(notice=None)
    elif published is False:
        rows = rows.filter(notice=None)
    return rows


# --- drafts ----------------------------------------------------------------------------------------------


def _content(data: dict, base: dict | None = None) -> dict:
    content = dict(DEFAULTS if base is None else base)
    for key in EDITABLE:
        if key in data and data[key] is not None:
            content[key] = data[key]
    return json.loads(json.dumps(content, default=_json_default))


def create_draft(user, data: dict, *, now: dt.datetime | None = None) -> Draft:
    """A new draft for the buyer ``data["buyer"]`` names (or the user's only buyer)."""
    now = now or timezone.now()
    buyer = _buyer_for_new_draft(user, data.get("buyer"))
    return Draft.objects.create(
        buyer=buyer, payload=_content(data), created_by=user, updated_by=user, created_at=now, updated_at=now
    )


def update_draft(user, draft_id: int, data: dict, *, now: dt.datetime | None = None) -> Draft:
    """Replace the given fields of a draft (still unpublished)."""
    with transaction.atomic():
        draft = _draft(user, draft_id, lock=True)
        if draft.state != Draft.State.DRAFT:
            raise Conflict(_state_word(draft, "edited as a draft"))
        draft.payload = _content(data, draft.payload)
        draft.updated_by = user
        draft.updated_at = now or timezone.now()
        draft.save(update_fields=["payload", "updated_by", "updated_at"])
    return draft


def copy_draft(user, draft_id: int, *, now: dt.datetime | None = None) -> Draft:
    """An earlier notice (a draft, published or cancelled) as a new draft of the same buyer: its content,
    deadlines included, to be changed before it is published."""
    now = now or timezone.now()
    source = _draft(user, draft_id)
    return Draft.objects.create(
        buyer=source.buyer, payload=_content(source.payload), created_by=user, updated_by=user,
        created_at=now, updated_at=now,
    )


def preview(user, draft_id: int, show, *, now: dt.datetime | None = None):
    """``show(notice)`` on the public notice this draft would become, then nothing of it is kept: the
    notice is written by the store inside a savepoint that is rolled back, so the pages and the PDF that
    ``show`` renders are exactly what publishing would give, and nobody else ever sees the rows (nothing
    is committed; no mail is queued for a notice nobody follows). Raises ``Invalid`` when the draft
    cannot be written even for a look (two deadlines of one kind, an unknown lot...)."""
    now = now or timezone.now()
    draft = _draft(user, draft_id)
    if draft.state != Draft.State.DRAFT:
        raise Conflict(_state_word(draft, "previewed"))

    class Shown(Exception):
        pass

    content = _content({}, draft.payload)
    try:
        with transaction.atomic():
            draft.published_at = now
            rec = record(draft, content, "active", source_id=f"preview-{draft.pk}")
            change = store.save(rec, raw=b"preview", origin="preview", fmt="officer", source="officer")
            result = show(change.notice)
            raise Shown(result)  # roll back everything the store wrote
    except Shown as shown:
        return shown.args[0]
    except (ValueError, KeyError, TypeError, DatabaseError) as exc:
        found = problems(content, draft.buyer, now=now) or [FieldError((), str(exc))]
        raise _invalid(found) from None


def discard_draft(user, draft_id: int) -> None:
    with transaction.atomic():
        draft = _draft(user, draft_id, lock=True)
        if draft.state != Draft.State.DRAFT:
            raise Conflict(_state_word(draft, "discarded"))
        draft.delete()


def validate_draft(user, draft_id: int, *, now: dt.datetime | None = None) -> Draft:
    """Raise ``Invalid`` with every problem, or return the draft: it could be published now."""
    draft = _draft(user, draft_id)
    if draft.state != Draft.State.DRAFT:
        raise Conflict(_state_word(draft, "validated as a draft"))
    _raise(problems(draft.payload, draft.buyer, now=now or timezone.now()))
    return draft


def publish(user, draft_id: int, *, now: dt.datetime | None = None) -> tuple[Draft, store.Change]:
    """Validate and publish a draft: a public notice, version 1, written by the store."""
    now = now or timezone.now()
    with transaction.atomic():
        draft = _draft(user, draft_id, lock=True)
        if draft.state != Draft.State.DRAFT:
            raise Conflict(_state_word(draft, "published again"))
        _raise(problems(draft.payload, draft.buyer, now=now))
        draft.published_at = now
        change = _write(draft, draft.payload, user, "active")
        draft.state = Draft.State.PUBLISHED
        draft.notice = change.notice
        draft.updated_by = user
        draft.updated_at = now
        draft.save()
    return draft, change


# --- published notices -----------------------------------------------------------------------------------


def check_correction(user, notice_id: int, data: dict, *, now: dt.datetime | None = None) -> Draft:
    """Raise ``Invalid`` if this correction could not be applied; change nothing."""
    draft = _published(user, notice_id)
    if draft.state != Draft.State.PUBLISHED:
        raise Conflict(_state_word(draft, "corrected"))
    _raise(problems(_content(data, draft.payload), draft.buyer, now=now or timezone.now(), before=draft.payload))
    return draft


def correct(user, notice_id: int, data: dict, *, now: dt.datetime | None = None) -> tuple[Draft, store.Change]:
    """Apply a correction: the changed fields, validated, written as a new version by the store. A
    correction that changes nothing is answered with the store's "unchanged" and writes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        draft = _published(user, notice_id, lock=True)
        if draft.state != Draft.State.PUBLISHED:
            raise Conflict(_state_word(draft, "corrected"))
        content = _content(data, draft.payload)
        _raise(problems(content, draft.buyer, now=now, before=draft.payload))
        change = _write(draft, content, user, "active")
        if change.outcome != store.UNCHANGED:
            draft.payload = content
            draft.updated_by = user
            draft.updated_at = now
            draft.save(update_fields=["payload", "updated_by", "updated_at"])
    return draft, change


def cancel(
    user, notice_id: int, *, reason: str = "", now: dt.datetime | None = None
) -> tuple[Draft, store.Change]:
    """Cancel a published notice: a version with status "cancelled"; followers are told, with the
    ``reason`` when one is given (the notice page, the PDF and the cancellation mail show it)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        draft = _published(user, notice_id, lock=True)
        if draft.state != Draft.State.PUBLISHED:
            raise Conflict(_state_word(draft, "cancelled"))
        draft.cancel_reason = reason
        draft.state = Draft.State.CANCELLED
        draft.updated_by = user
        draft.updated_at = now
        draft.save(update_fields=["cancel_reason", "state", "updated_by", "updated_at"])
        change = _write(draft, draft.payload, user, "cancelled", reason=reason)
    return draft, change


def _state_word(draft: Draft, action: str) -> str:
    if draft.state == Draft.State.PUBLISHED:
        return f"Draft {draft.pk} is published as notice {draft.notice_id}; it cannot be {action}."
    if draft.state == Draft.State.CANCELLED:
        return f"Draft {draft.pk} is cancelled; it cannot be {action}."
    return f"Draft {draft.pk} is not published yet; it cannot be {action}."


# --- validation ------------------------------------------------------------------------------------------


def _raise(errors: list[FieldError]) -> None:
    if errors:
        raise _invalid(errors)


def _instant(value) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    try:
        parsed = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else None


def problems(content: dict, buyer: Buyer, *, now: dt.datetime, before: dict | None = None) -> list[FieldError]:
    """Everything that keeps ``content`` from being published for ``buyer`` at ``now``. ``before``: the
    published content a correction replaces (its deadlines may stay as they were, even if passed)."""
    errors: list[FieldError] = []
    add = lambda path, message: errors.append(FieldError(tuple(path), message))  # noqa: E731

    if not (content.get("title") or "").strip():
        add(["title"], "a title is required")
    if not any(i.scheme == "FI-PRO" and i.valid for i in buyer.identifiers.all()):
        add(["buyer"], f"{buyer.name} has no valid Y-tunnus; an operator must correct the buyer first")

    cpv = content.get("cpv") or []
    if not cpv:
        add(["cpv"], "at least one CPV code is required")
    for i, code in enumerate(cpv):
        if not _CPV.match(str(code)):
            add(["cpv", i], f"{code!r} is not a CPV code (8 digits, e.g. 45233000 or 45233000-1)")

    lots = content.get("lots") or []
    lot_ids: dict[str, int] = {}
    for i, lot in enumerate(lots):
        if lot["id"] in lot_ids:
            add(["lots", i, "id"], f"lot {lot['id']!r} appears twice")
        lot_ids.setdefault(lot["id"], i)
        for j, code in enumerate(lot.get("cpv") or []):
            if not _CPV.match(str(code)):
                add(["lots", i, "cpv", j], f"{code!r} is not a CPV code (8 digits, e.g. 45233000)")

    deadlines = content.get("deadlines") or []
    old = {
        (d.get("lot") or "", d["kind"]): _instant(d["at"]) for d in (before or {}).get("deadlines") or []
    }
    seen: dict[tuple[str, str], tuple[int, dt.datetime]] = {}
    for i, d in enumerate(deadlines):
        lot = d.get("lot") or ""
        at = _instant(d.get("at"))
        if at is None:
            add(["deadlines", i, "at"], "an instant with its UTC offset is required")
            continue
        if lot and lot not in lot_ids:
            add(["deadlines", i, "lot"], f"there is no lot {lot!r} in lots")
        if (lot, d["kind"]) in seen:
            add(["deadlines", i], f"a second {d['kind']} deadline for {('lot ' + lot) if lot else 'the procedure'}")
            continue
        seen[(lot, d["kind"])] = (i, at)
        unchanged = old.get((lot, d["kind"])) == at
        if at <= now and not unchanged:
            add(["deadlines", i, "at"], f"must be in the future (it is {at.isoformat()})")
        elif not in_range(at) and not unchanged:
            add(["deadlines", i, "at"], f"must be before 2100 (it is {at.isoformat()})")
    if not any(kind in CLOSING_KINDS for _, kind in seen):
        add(["deadlines"], "a call needs a tender or participation deadline")
    for scope in ["", *lot_ids]:
        for first, then, strict in ORDER:
            a_own, b_own = seen.get((scope, first)), seen.get((scope, then))
            if scope and a_own is None and b_own is None:
                continue  # the lot has neither of its own: the procedure's check covers it
            a, b = a_own or seen.get(("", first)), b_own or seen.get(("", then))
            if a is None or b is None:
                continue
            if (a[1] >= b[1]) if strict else (a[1] > b[1]):
                where = f" of lot {scope}" if scope else ""
                # The error goes on the deadline most likely mistyped: the earlier kind's (questions in
                # "questions before tender"); in a lot that has only the later one of its own, that one,
                # since it is what clashes with the procedure's. README "REST API" states this rule.
                add(["deadlines", (a_own or b_own)[0], "at"],
                    f"the {first} deadline{where} must come {'before' if strict else 'no later than'} "
                    f"the {then} deadline")

    for i, link in enumerate(content.get("links") or []):
        try:
            _url(link)
        except DjangoValidationError:
            add(["links", i], f"{link!r} is not an http or https link")
    for i, contact in enumerate(content.get("contacts") or []):
        if contact.get("email"):
            try:
                validate_email(contact["email"])
            except DjangoValidationError:
                add(["contacts", i, "email"], f"{contact['email']!r} is not an e-mail address")
        if contact.get("phone"):
            number = phone(contact["phone"], buyer.country or "FI")
            if number is None or not number.valid:
                add(["contacts", i, "phone"], f"{contact['phone']!r} is not a valid phone number")
        if contact.get("url"):
            try:
                _url(contact["url"])
            except DjangoValidationError:
                add(["contacts", i, "url"], f"{contact['url']!r} is not an http or https link")
    return errors


# --- writing through the one writer ----------------------------------------------------------------------


def record(draft: Draft, content: dict, status: str = "active", *, source_id: str | None = None) -> NoticeRecord:
    """The ``NoticeRecord`` an officer's content is: source "officer", id ``officer-<draft id>``."""
    buyer = draft.buyer
    identifiers = tuple(
        Identifier(i.scheme or None, i.value, i.valid, i.as_written or i.value) for i in buyer.identifiers.all()
    )
    country = buyer.country or None
    buyers = []
    for c in content.get("contacts") or [{}]:
        buyers.append(
            BuyerRecord(
                name=buyer.name,
                names=dict(buyer.names),
                identifiers=identifiers,
                address=Address(street=c.get("street"), postal_code=c.get("postal_code"), city=c.get("city"),
                                country=country),
                email=c.get("email") or None,
                phone=phone(c.get("phone"), country or "FI"),
                url=c.get("url") or None,
            )
        )
    language = content.get("language") or "fi"
    title = (content.get("title") or "").strip()
    return NoticeRecord(
        source="officer",
        source_id=source_id or f"officer-{draft.pk}",
        notice_type=content.get("notice_type") or "cn-standard",
        title=title,
        language=language,
        procedure_id=content.get("procedure_id") or None,
        status=status,
        titles={language: title, **(content.get("titles") or {})},
        descriptions=dict(content.get("descriptions") or {}),
        buyers=tuple(buyers),
        deadlines=tuple(
            DeadlineRecord(d["kind"], _instant(d["at"]), lot=d.get("lot") or None) for d in content["deadlines"]
        ),
        lots=tuple(
            LotRecord(
                lot["id"], lot.get("title") or None, tuple(_cpv8(c) for c in lot.get("cpv") or []),
                titles=dict(lot.get("titles") or {}),
            )
            for lot in content.get("lots") or []
        ),
        cpv=tuple(_cpv8(c) for c in content.get("cpv") or []),
        links=tuple(content.get("links") or []),
        published_at=draft.published_at,
    )


def _cpv8(code: str) -> str:
    return str(code).split("-")[0]


def _write(draft: Draft, content: dict, user, status: str, *, reason: str = "") -> store.Change:
    try:
        rec = admit(record(draft, content, status))  # the gate, here so its refusal is the officer's 422
    except IngestError as exc:
        raise _invalid([FieldError((), exc.detail)]) from None
    kept = {"by": user.get_username(), "status": status, "content": content}
    if reason:
        kept["reason"] = reason
    raw = json.dumps(kept, sort_keys=True).encode()
    return store.save(rec, raw=raw, origin=f"api:officer:{user.get_username()}", fmt="officer", source="officer")


def _json_default(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")

