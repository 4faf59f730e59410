"""Subscriptions API (django-ninja router, mounted at /api/ in tracker/api.py).

``POST /api/subscriptions`` follows a notice (or one lot of it). With a logged-in user whose address it is,
the subscription is active at once; otherwise it is ``pending`` and a confirmation mail goes out (double
opt-in): nothing else is ever sent to that address until its link is opened. The answer (201) carries the
owner's secret ``token`` - shown this once, only its hash is kept.

``GET`` / ``DELETE /api/subscriptions/{id}`` are for the owner: the user who made it (logged in, or sending
their API token as ``Authorization: Bearer ptk_...``), or whoever holds the subscription's own token, passed
as ``?token=...`` or ``Authorization: Bearer ...``. Anyone else gets 404, the same answer as for an id that
does not exist. ``GET /api/subscriptions`` lists the signed-in user's own subscriptions (API token or
session). Requests with an API token need no CSRF token; a logged-in browser session does.

Errors use the API's one shape (notices/errors.py). ``DELETE`` unsubscribes (the row stays, status
``unsubscribed``, its waiting reminders ``cancelled``) and answers 204.

Requests that send a confirmation mail are rate-limited, per address (``SCHEDULER_RATE_PER_ADDRESS``, 5
per 24 hours) and per client IP (``SCHEDULER_RATE_PER_IP``, 20 per hour): 429 in the error shape
(``rate_limited``) with a ``Retry-After`` header (seconds).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.utils import timezone, translation
from ninja import Router, Schema, Status
from ninja.utils import check_csrf
from pydantic import field_validator

from notices.api.auth import bearer, client_ip, request_user
from notices.api.errors import ErrorOut
from notices.api.schemas import InputSchema
from notices.errors import NotAllowed, NotFound, Unauthorized
from notices.models import Notice
from notices.vocab import FOLLOWABLE_KINDS, LANGUAGES
from scheduler import following, planning
from scheduler.models import Reminder, Subscription

router = Router(tags=["subscriptions"])



def check_email(value: str | None) -> str | None:
    """An input's e-mail address, stripped, or ValueError (shown as 422)."""
    if value is None:
        return None
    value = value.strip()
    try:
        validate_email(value)
    except DjangoValidationError:
        raise ValueError(f"{value!r} is not an e-mail address") from None
    return value


def check_language(value: str | None) -> str | None:
    if value is not None and value not in LANGUAGES:
        raise ValueError("language must be fi, sv or en")
    return value


class SubscriptionIn(InputSchema):
    email: str | None = None  # required unless logged in (then the account's address is the default)
    notice: int
    lot: str | None = None
    deadlines: list[str] = list(planning.DEFAULT_KINDS)
    before: list[str] = list(planning.DEFAULT_BEFORE)
    language: str | None = None  # fi, sv or en; default: the request's language (Accept-Language)

    _email = field_validator("email")(classmethod(lambda cls, v: check_email(v)))

    @field_validator("lot")
    @classmethod
    def _lot(cls, value):
        return (value or "").strip() or None

    @field_validator("deadlines")
    @classmethod
    def _deadlines(cls, value):
        if not value:
            raise ValueError("choose at least one deadline: " + ", ".join(FOLLOWABLE_KINDS))
        unknown = [k for k in value if k not in FOLLOWABLE_KINDS]
        if unknown:
            raise ValueError(
                f"unknown deadline kind {unknown[0]!r}; choose from " + ", ".join(FOLLOWABLE_KINDS)
            )
        return list(dict.fromkeys(value))

    @field_validator("before")
    @classmethod
    def _before(cls, value):
        if not value:
            raise ValueError("give at least one duration, e.g. P7D")
        if len(value) > planning.MAX_OFFSETS:
            raise ValueError(f"at most {planning.MAX_OFFSETS} durations")
        return list(dict.fromkeys(planning.parse_offset(v).text for v in value))

    _language = field_validator("language")(classmethod(lambda cls, v: check_language(v)))


class ReminderOut(Schema):
    id: int
    kind: str
    lot: str | None
    offset: str
    deadline_at: dt.datetime
    due_at: dt.datetime
    state: str
    attempts: int
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None


class SubscriptionOut(Schema):
    id: int
    email: str
    notice: int
    lot: str | None
    deadlines: list[str]
    before: list[str]
    language: str
    status: str
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    unsubscribed_at: dt.datetime | None
    reminders: list[ReminderOut]


class SubscriptionCreated(SubscriptionOut):
    token: str


Error = ErrorOut  # the API's one error shape


class SubscriptionList(Schema):
    items: list[SubscriptionOut]
    count: int


def _out(subscription: Subscription, token: str | None = None) -> dict:
    reminders = (
        Reminder.objects.filter(subscription=subscription).select_related("deadline").order_by("due_at", "pk")
    )
    data = {
        "id": subscription.pk,
        "email": subscription.email,
        "notice": subscription.notice_id,
        "lot": subscription.lot or None,
        "deadlines": subscription.deadlines,
        "before": subscription.before,
        "language": subscription.language,
        "status": subscription.status,
        "created_at": subscription.created_at,
        "confirmed_at": subscription.confirmed_at,
        "unsubscribed_at": subscription.unsubscribed_at,
        "reminders": [
            {
                "id": r.pk,
                "kind": r.deadline.kind,
                "lot": r.deadline.lot or None,
                "offset": r.offset,
                "deadline_at": r.deadline_at,
                "due_at": r.due_at,
                "state": r.state,
                "attempts": r.attempts,
                "next_attempt_at": r.next_attempt_at if r.state in ("scheduled", "retry") else None,
                "sent_at": r.sent_at,
            }
            for r in reminders
        ],
    }
    if token is not None:
        data["token"] = token
    return data


def owner_token(request: HttpRequest, row) -> bool:
    """Whether the request holds the row's own token (``?token=`` or ``Authorization: Bearer``)."""
    token = request.GET.get("token") or bearer(request)
    return bool(token and row.token_matches(token))


def owned(request: HttpRequest, model, pk: int):
    """The subscription or alert ``pk`` when the request is its owner's: the holder of its token, or the
    user who made it (session or API token); else None, the same answer as for a row that does not exist."""
    row = model.objects.filter(pk=pk).first()
    if row is None or owner_token(request, row):
        return row
    user = request_user(request)
    if user is not None and row.user_id == user.pk:
        return row
    return None


def mine(request: HttpRequest, model) -> list:
    """The signed-in user's subscriptions or alerts (session or API token), newest first, at most 500;
    401 for anyone else."""
    user = request_user(request)
    if user is None:
        raise Unauthorized("Sign in or send your API token: Authorization: Bearer <token>.")
    return list(model.objects.filter(user=user).order_by("-created_at", "-pk")[:500])


def csrf_failed(request: HttpRequest) -> bool:
    """A logged-in browser session must prove the request came from our pages (token owners need not)."""
    if getattr(request, "api_token", None) is not None:
        return False  # authenticated by an API token in a header: no cookie, no CSRF
    return check_csrf(request) is not None


CSRF_FAILED = "CSRF check failed: send the csrftoken cookie's value in X-CSRFToken."
_NOT_YOURS = "No such subscription (or not yours: pass its token)."


@router.post(
    "/subscriptions",
    response={201: SubscriptionCreated, 401: Error, 403: Error, 404: Error, 422: Error, 429: Error},
    summary="Follow a notice's deadlines",
)
def create_subscription(request, payload: SubscriptionIn):
    now = timezone.now()
    user = request_user(request)
    if user is not None and csrf_failed(request):
        raise NotAllowed(CSRF_FAILED)
    notice = Notice.objects.filter(pk=payload.notice).first()
    if notice is None:
        raise NotFound(f"There is no notice {payload.notice}.")
    email = payload.email or (user.email if user is not None else "")
    language = payload.language
    if language is None:
        requested = (getattr(request, "LANGUAGE_CODE", "") or "")[:2]
        language = requested if requested in LANGUAGES else settings.LANGUAGE_CODE
    with translation.override("en"):  # the API speaks English; the follow form says the same in its language
        subscription, token = following.follow(
            notice=notice,
            email=email,
            user=user,
            lot=payload.lot or "",
            deadlines=payload.deadlines,
            before=payload.before,
            language=language,
            ip=client_ip(request),
            now=now,
        )
    return Status(201, _out(subscription, token))


@router.get(
    "/subscriptions",
    response={200: SubscriptionList, 401: Error, 429: Error},
    summary="My subscriptions (API token or logged-in session)",
)
def list_subscriptions(request):
    rows = mine(request, Subscription)
    return {"items": [_out(s) for s in rows], "count": len(rows)}


@router.get("/subscriptions/{subscription_id}", response={200: SubscriptionOut, 401: Error, 404: Error, 422: Error, 429: Error})
def get_subscription(request, subscription_id: int):
    subscription = owned(request, Subscription, subscription_id)
    if subscription is None:
        raise NotFound(_NOT_YOURS)
    return Status(200, _out(subscription))


@router.delete(
    "/subscriptions/{subscription_id}",
    response={204: None, 401: Error, 403: Error, 404: Error, 422: Error, 429: Error},
)
def delete_subscription(request, subscription_id: int):
    subscription = owned(request, Subscription, subscription_id)
    if subscription is None:
        raise NotFound(_NOT_YOURS)
    if not owner_token(request, subscription) and csrf_failed(request):
        raise NotAllowed(CSRF_FAILED)
    planning.unsubscribe(subscription)
    return Status(204, None)
