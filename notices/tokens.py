"""API tokens: made, stored and looked up here; sent as ``Authorization: Bearer <secret>`` (notices/api/auth.py).

A token belongs to a user. The secret (``ptk_`` + 43 random URL-safe characters) is shown once, when it
is made (admin or ``manage.py create_token``); only its SHA-256 is stored, so a database leak reveals no
usable token, and the lookup is by that hash (an index hit, no per-token comparison loop). Revoked,
expired tokens and inactive users are refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.utils import timezone

from notices.models import ApiToken

SECRET_PREFIX = "ptk_"
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)  # last_used_at is written at most this often


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(token: ApiToken) -> str:
    """Give an unsaved token a fresh secret (its prefix and hash); returns the secret, to be shown once."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token.prefix, token.token_hash = secret[:12], hash_secret(secret)
    return secret


def create_token(user, name: str = "", expires_at: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns (row, secret). Show the secret once: it cannot be recovered."""
    token = ApiToken(user=user, name=name, expires_at=expires_at)
    secret = new_secret(token)
    token.save()
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
