"""Alerts API (django-ninja router, mounted at /api/ in tracker/api.py), with the subscriptions' rules of
tokens and ownership.

``POST /api/alerts`` saves a search as an alert: ``{"email", "filters": {...}, "frequency":
"immediate"|"daily"|"weekly", "hour": 0-23, "weekday": 0-6, "language", "name"}``. ``filters`` takes what
``GET /api/notices`` takes (``q``, ``cpv``, ``buyer``, ``country``, ``source``, ``notice_type``...), but
no status, order, paging or closing-date window. With a logged-in user whose address it is, the alert is
active at once; otherwise ``pending`` until the link in the confirmation mail is opened (rate-limited as
subscriptions are: 429 with ``Retry-After``). The 201 answer carries the owner's ``token``, shown once.

``GET`` / ``PATCH`` / ``DELETE /api/alerts/{id}`` are for the owner: the user who made it (session or API
token), or whoever holds the alert's own token (``?token=`` or ``Authorization: Bearer``); anyone else
gets 404. ``PATCH`` changes ``filters``, ``frequency``, ``hour``, ``weekday``, ``language``, ``name`` (never
the address). ``DELETE`` stops it (204). ``GET /api/alerts`` lists the signed-in user's alerts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from ninja import Router, Schema, Status
from pydantic import field_validator

from notices.api.auth import client_ip, request_user
from notices.api.errors import ErrorOut
from notices.api.schemas import InputSchema
from notices.errors import NotAllowed, NotFound
from notices.vocab import LANGUAGES
from scheduler import alerts, links
from scheduler.api import CSRF_FAILED, check_email, check_language, csrf_failed, mine, owned, owner_token
from scheduler.models import Alert, AlertItem

router = Router(tags=["alerts"])
Error = ErrorOut


class AlertIn(InputSchema):
    model_config = {"extra": "forbid"}

    email: str | None = None  # required unless logged in (then the account's address is the default)
    filters: dict[str, Any]
    frequency: str = "daily"
    hour: int = 7
    weekday: int = 0
    language: str | None = None
    name: str = ""

    _email = field_validator("email")(classmethod(lambda cls, v: check_email(v)))

    _language = field_validator("language")(classmethod(lambda cls, v: check_language(v)))


class AlertPatch(InputSchema):
    model_config = {"extra": "forbid"}  # the address never changes; an unknown field is a mistake

    filters: dict[str, Any] | None = None
    frequency: str | None = None
    hour: int | None = None
    weekday: int | None = None
    language: str | None = None
    name: str | None = None

    _language = field_validator("language")(classmethod(lambda cls, v: check_language(v)))


class AlertOut(Schema):
    id: int
    email: str
    name: str
    filters: dict[str, Any]
    frequency: str
    hour: int
    weekday: int
    language: str
    status: str
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    unsubscribed_at: dt.datetime | None
    announced: int
    page_url: str
    feed_url: str


class AlertCreated(AlertOut):
    token: str


class AlertList(Schema):
    items: list[AlertOut]
    count: int


def _out(alert: Alert, token: str | None = None) -> dict:
    data = {
        "id": alert.pk,
        "email": alert.email,
        "name": alert.name,
        "filters": alert.filters,
        "frequency": alert.frequency,
        "hour": alert.hour,
        "weekday": alert.weekday,
        "language": alert.language,
        "status": alert.status,
        "created_at": alert.created_at,
        "confirmed_at": alert.confirmed_at,
        "unsubscribed_at": alert.unsubscribed_at,
        "announced": AlertItem.objects.filter(alert=alert, kind=AlertItem.Kind.NEW).count(),
        "page_url": links.alert_url(alert.pk),
        "feed_url": links.alert_feed_url(alert.pk),
    }
    if token is not None:
        data["token"] = token
    return data


_NOT_YOURS = "No such alert (or not yours: pass its token)."


@router.post(
    "/alerts",
    response={201: AlertCreated, 401: Error, 403: Error, 422: Error, 429: Error},
    summary="Save a search as an alert",
)
def create_alert(request, payload: AlertIn):
    user = request_user(request)
    if user is not None and csrf_failed(request):
        raise NotAllowed(CSRF_FAILED)
    email = payload.email or (user.email if user is not None else "")
    language = payload.language
    if language is None:
        requested = (getattr(request, "LANGUAGE_CODE", "") or "")[:2]
        language = requested if requested in LANGUAGES else settings.LANGUAGE_CODE
    with translation.override("en"):
        alert, token = alerts.create(
            email=email, user=user, filters=payload.filters, frequency=payload.frequency, hour=payload.hour,
            weekday=payload.weekday, language=language, name=payload.name, ip=client_ip(request),
            now=timezone.now(),
        )
    return Status(201, _out(alert, token))


@router.get("/alerts", response={200: AlertList, 401: Error, 429: Error}, summary="My alerts")
def list_alerts(request):
    rows = mine(request, Alert)
    return {"items": [_out(a) for a in rows], "count": len(rows)}


@router.get("/alerts/{alert_id}", response={200: AlertOut, 401: Error, 404: Error, 422: Error, 429: Error})
def get_alert(request, alert_id: int):
    alert = owned(request, Alert, alert_id)
    if alert is None:
        raise NotFound(_NOT_YOURS)
    return Status(200, _out(alert))


@router.patch(
    "/alerts/{alert_id}", response={200: AlertOut, 401: Error, 403: Error, 404: Error, 422: Error, 429: Error}
)
def patch_alert(request, alert_id: int, payload: AlertPatch):
    alert = owned(request, Alert, alert_id)
    if alert is None:
        raise NotFound(_NOT_YOURS)
    if not owner_token(request, alert) and csrf_failed(request):
        raise NotAllowed(CSRF_FAILED)
    if alert.status == Alert.Status.UNSUBSCRIBED:
        raise NotFound("This alert was stopped; save the search again.")
    with translation.override("en"):
        alerts.update(alert, payload.dict(exclude_unset=True))
    return Status(200, _out(alert))


@router.delete("/alerts/{alert_id}", response={204: None, 401: Error, 403: Error, 404: Error, 422: Error, 429: Error})
def delete_alert(request, alert_id: int):
    alert = owned(request, Alert, alert_id)
    if alert is None:
        raise NotFound(_NOT_YOURS)
    if not owner_token(request, alert) and csrf_failed(request):
        raise NotAllowed(CSRF_FAILED)
    alerts.unsubscribe(alert)
    return Status(204, None)
