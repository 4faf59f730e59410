"""API tokens: ``Authorization: Bearer <secret>``.

A token belongs to a user. The secret (``ptk_`` + 43 random URL-safe characters) is shown once, when it
is made (admin or ``manage.py create_token``); only its SHA-256 is stored, so a database leak reveals no
usable token, and the lookup is by that hash (an index hit, no per-token comparison loop). Revoked,
expired tokens and inactive users are refused.

Roles follow from the user, not the token: any token user is a *bidder* (manages their own
subscriptions); a user with an ``OfficerMembership`` is an *officer* of that buyer; staff may act as an
officer of any buyer (support), but nobody may change an ingested notice.

Secrets never reach a log: this module logs nothing about the header, and the bearer parser is our own
(django-ninja's logs an unexpected Authorization header in full when DEBUG is on). Failed attempts are
counted per client address; past ``API_AUTH_FAILURES`` in ``API_AUTH_FAILURE_WINDOW`` seconds the
address gets 429 until the window ends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from ninja.security.http import HttpAuthBase

from notices.errors import RateLimited, Unauthorized
from notices.models import ApiToken, Buyer, OfficerMembership

SECRET_PREFIX = "ptk_"
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)  # last_used_at is written at most this often


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user, name: str = "", expires_at: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns (row, secret). Show the secret once: it cannot be recovered."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=secret[:12], token_hash=hash_secret(secret), expires_at=expires_at
    )
    return token, secret


def token_for(secret: str | None) -> ApiToken | None:
    """The live token whose secret this is, or None."""
    if not secret or len(secret) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user").filter(token_hash=hash_secret(secret), revoked_at=None).first()
    )
    now = timezone.now()
    if token is None or not token.user.is_active or (token.expires_at and token.expires_at <= now):
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def bearer(request: HttpRequest) -> str | None:
    """The secret of an ``Authorization: Bearer`` header, or None."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


def _client(request: HttpRequest) -> str:
    from scheduler.following import client_ip  # the one place that knows how to read it behind a proxy

    return client_ip(request) or "unknown"


def _failures_key(request: HttpRequest) -> str:
    return "api-auth-failures:" + hashlib.sha256(_client(request).encode()).hexdigest()[:32]


def _check_not_locked(request: HttpRequest) -> None:
    limit = getattr(settings, "API_AUTH_FAILURES", 20)
    if limit and cache.get(_failures_key(request), 0) >= limit:
        wait = getattr(settings, "API_AUTH_FAILURE_WINDOW", 600)
        raise RateLimited(
            "Too many requests with an invalid token from your address; try again later.",
            headers={"Retry-After": str(wait)},
        )


def _count_failure(request: HttpRequest) -> None:
    key = _failures_key(request)
    window = getattr(settings, "API_AUTH_FAILURE_WINDOW", 600)
    if not cache.add(key, 1, window):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, window)


def authenticate(request: HttpRequest, *, other_bearers: bool = False) -> ApiToken | None:
    """The request's token if it sends one that is valid; None if it sends none; raises Unauthorized
    (401) for a token that is wrong, revoked or expired, and RateLimited (429) after too many.
    ``other_bearers``: a Bearer value that is not shaped like an API token (a subscription's owner token)
    is left for the caller (None) instead of refused."""
    secret = bearer(request)
    if secret is None or (other_bearers and not secret.startswith(SECRET_PREFIX)):
        return None
    _check_not_locked(request)
    token = token_for(secret)
    if token is None:
        _count_failure(request)
        raise Unauthorized("The API token is not valid (wrong, revoked or expired).")
    request.api_token = token
    return token


def request_user(request: HttpRequest):
    """The user a request acts for: its API token's user, else its logged-in session user, else None.
    A Bearer value that is not an API token is left alone (the subscriptions API reads it as an owner
    token)."""
    token = authenticate(request, other_bearers=True)
    if token is not None:
        return token.user
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


class TokenAuth(HttpAuthBase):
    """django-ninja auth: Bearer API token. ``request.auth`` is the ApiToken."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest):
        token = authenticate(request)
        if token is None:
            raise Unauthorized("Send an API token: Authorization: Bearer <token>.")
        return token


def officer_buyers(user) -> list[Buyer]:
    return list(Buyer.objects.filter(officers__user=user).order_by("name", "pk"))


def is_officer_of(user, buyer_id: int) -> bool:
    return bool(user.is_staff) or OfficerMembership.objects.filter(user=user, buyer_id=buyer_id).exists()
