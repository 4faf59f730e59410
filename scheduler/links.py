"""Links in mails, and the signed tokens in them (no login needed to confirm or to unsubscribe).

* Confirmation: ``TimestampSigner`` over the subscription id, valid ``SCHEDULER_CONFIRM_MAX_AGE``
  seconds (7 days by default).
* Unsubscribe: ``Signer`` over the subscription id, no expiry (an old mail's link must keep working).
* "Your reminders" page and its calendar feed: ``Signer`` over the subscription id, no expiry.

Both are signed with ``SECRET_KEY`` and a salt of their own, so one can never be used as the other, and
neither gives access to the API (that needs the owner's token or login).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from notices.display import absolute

CONFIRM_SALT = "scheduler.confirm"
UNSUBSCRIBE_SALT = "scheduler.unsubscribe"
REMINDERS_SALT = "scheduler.reminders"


def confirm_max_age() -> int:
    return settings.SCHEDULER_CONFIRM_MAX_AGE


def confirm_token(subscription_id: int) -> str:
    return signing.TimestampSigner(salt=CONFIRM_SALT).sign(str(subscription_id))


def read_confirm_token(token: str) -> int:
    """The subscription id; raises ``signing.SignatureExpired`` or ``signing.BadSignature``."""
    return int(signing.TimestampSigner(salt=CONFIRM_SALT).unsign(token, max_age=confirm_max_age()))


def read_expired_confirm_token(token: str) -> int:
    """The subscription id of a correctly signed but expired token (to answer in its language)."""
    return int(signing.TimestampSigner(salt=CONFIRM_SALT).unsign(token))


def unsubscribe_token(subscription_id: int) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(subscription_id))


def read_unsubscribe_token(token: str) -> int:
    return int(signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token))


def confirm_url(subscription_id: int) -> str:
    return absolute(reverse("scheduler:confirm", args=[confirm_token(subscription_id)]))


def unsubscribe_path(subscription_id: int) -> str:
    """The unsubscribe page, as a path of this site (pages link with paths, mails with ``*_url``)."""
    return reverse("scheduler:unsubscribe", args=[unsubscribe_token(subscription_id)])


def unsubscribe_url(subscription_id: int) -> str:
    return absolute(unsubscribe_path(subscription_id))


def reminders_token(subscription_id: int) -> str:
    return signing.Signer(salt=REMINDERS_SALT).sign(str(subscription_id))


def read_reminders_token(token: str) -> int:
    return int(signing.Signer(salt=REMINDERS_SALT).unsign(token))


def reminders_path(subscription_id: int) -> str:
    """The subscriber's "your reminders" page (what is planned, the calendar feed, unsubscribe)."""
    return reverse("scheduler:reminders", args=[reminders_token(subscription_id)])


def reminders_url(subscription_id: int) -> str:
    return absolute(reminders_path(subscription_id))


def calendar_path(subscription_id: int) -> str:
    """The subscription's iCalendar feed: the deadlines it follows, with the mails' UIDs."""
    return reverse("scheduler:calendar", args=[reminders_token(subscription_id)])


def calendar_url(subscription_id: int) -> str:
    return absolute(calendar_path(subscription_id))
