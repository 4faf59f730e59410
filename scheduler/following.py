"""Starting to follow a notice: the one place a subscription is created, for the API and the follow form.

A signed-in user following with their own address gets reminders at once; anyone else gets a pending
subscription and a confirmation mail (double opt-in), limited per address and per client.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from notices.models import Notice
from scheduler import dispatch, planning
from scheduler.models import Message, Subscription


class RateLimited(Exception):
    def __init__(self, why: str, wait: int):
        self.why, self.wait = why, wait
        super().__init__(why)


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR; behind a proxy (``SECURE_PROXY_SSL_HEADER`` set, i.e. BEHIND_PROXY) the last
    X-Forwarded-For entry, the address the proxy itself saw."""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR") or None


def rate_limit(email: str, ip: str | None, now: dt.datetime) -> tuple[str, int] | None:
    """(why, seconds to wait) when one more confirmation would exceed a limit, else None."""
    limits = [
        (
            Subscription.objects.filter(user__isnull=True, email__iexact=email),
            getattr(settings, "SCHEDULER_RATE_PER_ADDRESS", 5),
            dt.timedelta(days=1),
            "Too many confirmation mails to this address; try again later.",
        )
    ]
    if ip:
        limits.append(
            (
                Subscription.objects.filter(user__isnull=True, client_ip=ip),
                getattr(settings, "SCHEDULER_RATE_PER_IP", 20),
                dt.timedelta(hours=1),
                "Too many subscriptions from your address; try again later.",
            )
        )
    for rows, limit, window, why in limits:
        recent = (
            rows.filter(created_at__gt=now - window).order_by("-created_at").values_list("created_at", flat=True)
        )
        times = list(recent[:limit])
        if len(times) >= limit:
            return why, max(1, int((times[-1] + window - now).total_seconds()) + 1)
    return None


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
) -> tuple[Subscription, str]:
    """Create the subscription; returns it and its owner token (shown once). Raises RateLimited."""
    now = now or timezone.now()
    active = user is not None and bool(user.email) and email.casefold() == user.email.casefold()
    if not active and (limited := rate_limit(email, ip, now)):
        raise RateLimited(*limited)
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
        subscription.save()
        if active:
            planning.plan(subscription, now=now)
        else:
            message = planning.queue_confirmation(subscription, now=now)
            if getattr(settings, "SCHEDULER_SEND_CONFIRMATION_NOW", True):
                # Sent right after commit; if that fails the dispatcher retries it like any row.
                transaction.on_commit(lambda: dispatch.send_now(Message, message.pk))
    return subscription, token
