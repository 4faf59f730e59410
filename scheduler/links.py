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


# --- alerts and the address's page ------------------------------------------------------------------------
# Each with its own salt, so none can be used as another: confirming an alert (expires like a
# subscription's), stopping one, its page and Atom feed, "remind me of this deadline" (an alert and a
# notice), and the page of every reminder and alert of one address (the casefolded address).

ALERT_CONFIRM_SALT = "scheduler.alert-confirm"
ALERT_UNSUBSCRIBE_SALT = "scheduler.alert-unsubscribe"
ALERT_SALT = "scheduler.alert"
REMIND_SALT = "scheduler.alert-remind"
ADDRESS_SALT = "scheduler.address"


def alert_confirm_token(alert_id: int) -> str:
    return signing.TimestampSigner(salt=ALERT_CONFIRM_SALT).sign(str(alert_id))


def read_alert_confirm_token(token: str, *, expired_too: bool = False) -> int:
    """The alert id; raises ``signing.SignatureExpired`` (unless ``expired_too``) or ``BadSignature``."""
    signer = signing.TimestampSigner(salt=ALERT_CONFIRM_SALT)
    return int(signer.unsign(token) if expired_too else signer.unsign(token, max_age=confirm_max_age()))


def alert_confirm_url(alert_id: int) -> str:
    return absolute(reverse("scheduler:alert_confirm", args=[alert_confirm_token(alert_id)]))


def alert_unsubscribe_token(alert_id: int) -> str:
    return signing.Signer(salt=ALERT_UNSUBSCRIBE_SALT).sign(str(alert_id))


def read_alert_unsubscribe_token(token: str) -> int:
    return int(signing.Signer(salt=ALERT_UNSUBSCRIBE_SALT).unsign(token))


def alert_unsubscribe_url(alert_id: int) -> str:
    return absolute(reverse("scheduler:alert_unsubscribe", args=[alert_unsubscribe_token(alert_id)]))


def alert_token(alert_id: int) -> str:
    return signing.Signer(salt=ALERT_SALT).sign(str(alert_id))


def read_alert_token(token: str) -> int:
    return int(signing.Signer(salt=ALERT_SALT).unsign(token))


def alert_url(alert_id: int) -> str:
    """The alert's page: its settings and every notice it announced (the digests' "full list")."""
    return absolute(reverse("scheduler:alert_page", args=[alert_token(alert_id)]))


def alert_feed_url(alert_id: int) -> str:
    return absolute(reverse("scheduler:alert_feed", args=[alert_token(alert_id)]))


def remind_token(alert_id: int, notice_id: int) -> str:
    return signing.Signer(salt=REMIND_SALT).sign(f"{alert_id}.{notice_id}")


def read_remind_token(token: str) -> tuple[int, int]:
    alert_id, _, notice_id = signing.Signer(salt=REMIND_SALT).unsign(token).partition(".")
    return int(alert_id), int(notice_id)


def remind_url(alert_id: int, notice_id: int) -> str:
    """"Remind me of this deadline": one button starts reminders for the alert's (confirmed) address."""
    return absolute(reverse("scheduler:remind", args=[remind_token(alert_id, notice_id)]))


def address_token(email: str) -> str:
    return signing.Signer(salt=ADDRESS_SALT).sign_object(email.strip().casefold(), compress=True)


def read_address_token(token: str) -> str:
    value = signing.Signer(salt=ADDRESS_SALT).unsign_object(token)
    if not isinstance(value, str) or "@" not in value:
        raise signing.BadSignature("not an address")
    return value


def address_path(email: str) -> str:
    """"Your reminders and alerts": everything one address follows, editable, with its calendar."""
    return reverse("scheduler:address", args=[address_token(email)])


def address_url(email: str) -> str:
    return absolute(address_path(email))


def address_calendar_url(email: str) -> str:
    return absolute(reverse("scheduler:address_calendar", args=[address_token(email)]))
