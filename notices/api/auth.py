"""API authentication: ``Authorization: Bearer <secret>`` with an API token (``notices.tokens``).

Roles follow from the user, not the token: any token user is a *bidder* (manages their own
subscriptions); a user with an ``OfficerMembership`` is an *officer* of that buyer; staff may act as an
officer of any buyer (support), but nobody may change an ingested notice.

Secrets never reach a log: this module logs nothing about the header, and the bearer parser is our own
(django-ninja's logs an unexpected Authorization header in full when DEBUG is on). Failed attempts are
counted per client address; past ``API_AUTH_FAILURES`` in ``API_AUTH_FAILURE_WINDOW`` seconds the
address gets 429 until the window ends.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security.http import HttpAuthBase

from notices.errors import RateLimited, Unauthorized
from notices.models import ApiToken
from notices.tokens import SECRET_PREFIX, token_for


def bearer(request: HttpRequest) -> str | None:
    """The secret of an ``Authorization: Bearer`` header, or None."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR; behind a proxy (``SECURE_PROXY_SSL_HEADER`` set, i.e. BEHIND_PROXY) the last
    X-Forwarded-For entry, the address the proxy itself saw."""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR") or None


def _client(request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def _failures_key(request: HttpRequest) -> str:
    return "api-auth-failures:" + hashlib.sha256(_client(request).encode()).hexdigest()[:32]


def _check_not_locked(request: HttpRequest) -> None:
    limit = settings.API_AUTH_FAILURES
    if limit and cache.get(_failures_key(request), 0) >= limit:
        wait = settings.API_AUTH_FAILURE_WINDOW
        raise RateLimited("Too many requests with an invalid token from your address; try again later.", wait=wait)


def _count_failure(request: HttpRequest) -> None:
    key = _failures_key(request)
    window = settings.API_AUTH_FAILURE_WINDOW
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
