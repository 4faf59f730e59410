"""Starting to follow a notice: the one place a subscription is created and the one rule of what may be
followed, for the API and the follow form alike.

``follow`` refuses (``notices.errors.Invalid``, field by field, in the active language) a cancelled
notice, a closed call (no tender or participation deadline ahead), a lot the notice does not have, and
deadlines of which none of the chosen kinds is still ahead; the page shows each message beside its field,
the API answers 422 with the field's path. A signed-in user following with their own address gets
reminders at once; anyone else gets a pending subscription and a confirmation mail (double opt-in),
limited per address and per sender, signed in or not (``RateLimited``).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notices.errors import FieldError, Invalid, RateLimited
from notices.models import Notice
from notices.vocab import LATEST
from scheduler import dispatch, planning
from scheduler.models import Message, Subscription


def rate_limit(email: str, ip: str | None, now: dt.datetime, user=None) -> RateLimited | None:
    """The refusal when one more confirmation mail would exceed a limit, else None. Every confirmation
    counts, whoever asked for it (anonymous, API token, web session): per address
    (``SCHEDULER_RATE_PER_ADDRESS`` a day) and per sender, the client address and the account
    (``SCHEDULER_RATE_PER_IP`` an hour each)."""
    sent = Message.objects.filter(kind=Message.Kind.CONFIRM)
    limits = [
        (
            sent.filter(subscription__email__iexact=email),
            settings.SCHEDULER_RATE_PER_ADDRESS,
            dt.timedelta(days=1),
            "Too many confirmation mails to this address; try again later.",
        )
    ]
    if ip:
        limits.append(
            (
                sent.filter(subscription__client_ip=ip),
                settings.SCHEDULER_RATE_PER_IP,
                dt.timedelta(hours=1),
                "Too many subscriptions from your address; try again later.",
            )
        )
    if user is not None:
        limits.append(
            (
                sent.filter(subscription__user=user),
                settings.SCHEDULER_RATE_PER_IP,
                dt.timedelta(hours=1),
                "Too many confirmation mails from your account; try again later.",
            )
        )
    for rows, limit, window, why in limits:
        recent = (
            rows.filter(created_at__gt=now - window).order_by("-created_at").values_list("created_at", flat=True)
        )
        times = list(recent[:limit])
        if len(times) >= limit:
            return RateLimited(why, wait=max(1, int((times[-1] + window - now).total_seconds()) + 1))
    return None


def _one_at_a_time(email: str, ip: str | None, user) -> None:
    """Serialise confirmations to one address and from one sender until the transaction ends, so the
    count and the new row cannot race. SQLite: every write transaction already holds the database's
    write lock (BEGIN IMMEDIATE). PostgreSQL: transaction-level advisory locks, taken in one order."""
    if connection.vendor != "postgresql":
        return
    keys = {f"confirm-to:{email.casefold()}"}
    if ip:
        keys.add(f"confirm-from:{ip}")
    if user is not None:
        keys.add(f"confirm-by:{user.pk}")
    with connection.cursor() as cursor:
        for key in sorted(keys):
            number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number])


def refusals(notice: Notice, *, email: str, lot: str, deadlines: list[str], now: dt.datetime) -> list[FieldError]:
    """Why this notice (lot, deadlines) may not be followed, field by field; empty when it may."""
    if notice.status == Notice.Status.CANCELLED:
        return [FieldError(("notice",), _("This notice has been cancelled: there is nothing to remind you of."))]
    if not notice.closes_at or notice.closes_at <= now:
        return [FieldError(("notice",), _("This call is closed: there is nothing to remind you of."))]
    problems = []
    if not email:
        problems.append(FieldError(("email",), _("An e-mail address is required.")))
    active = [d for d in notice.deadlines.all() if d.active]
    if lot:
        lots = sorted({x.lot_id for x in notice.lots.all()})
        if lot not in lots:
            known = ", ".join(lots) if lots else _("none")
            message = _("This notice has no lot '%(lot)s'; its lots: %(lots)s.") % {"lot": lot, "lots": known}
            problems.append(FieldError(("lot",), message))
            return problems
    ahead = {d.kind for d in active if now < d.at < LATEST and (not lot or d.lot in ("", lot))}
    if deadlines and not ahead.intersection(deadlines):
        problems.append(FieldError(("deadlines",), _("The deadlines you chose have all passed.")))
    return problems


def follow(
    *,
    notice: Notice,
    email: str,
    user,
    lot: str,
    deadlines: list[str],
    before: list[str],
    language: str,
    ip: str | None,
    now: dt.datetime | None = None,
    confirmed: bool = False,
) -> tuple[Subscription, str]:
    """Create the subscription; returns it and its owner token (shown once). Raises ``Invalid`` when this
    may not be followed (see ``refusals``) and ``RateLimited``. ``confirmed``: the address was already proven
(an alert's "remind me of this deadline"), so reminders start at once, with no confirmation mail."""
    now = now or timezone.now()
    if problems := refusals(notice, email=email, lot=lot, deadlines=deadlines, now=now):
        raise Invalid(str(problems[0].message) if len(problems) == 1 else _("See the fields."), fields=problems)
    active = confirmed or (user is not None and bool(user.email) and email.casefold() == user.email.casefold())
    subscription = Subscription(
        user=user,
        email=email,
        notice=notice,
        lot=lot or "",
        deadlines=deadlines,
        before=before,
        language=language,
        client_ip=ip,
        created_at=now,
        status=Subscription.Status.ACTIVE if active else Subscription.Status.PENDING,
        confirmed_at=now if active else None,
    )
    token = subscription.new_token()
    with transaction.atomic():
        if not active:  # a confirmation mail goes out: limited, whoever asks (anonymous, token, session)
            _one_at_a_time(email, ip, user)
            if limited := rate_limit(email, ip, now, user):
                raise limited
        subscription.save()
        if active:
            planning.plan(subscription, now=now)
        else:
            message = planning.queue_confirmation(subscription, now=now)
            if settings.SCHEDULER_SEND_CONFIRMATION_NOW:
                # Sent right after commit; if that fails the dispatcher retries it like any row.
                transaction.on_commit(lambda: dispatch.send_now(Message, message.pk))
    return subscription, token
