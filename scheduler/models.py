"""Subscriptions to a notice's deadlines, the reminders planned from them, and other outgoing mail.

The database is the queue. A ``Reminder`` (one per subscription, deadline and offset) and a ``Message``
(a confirmation, "deadline moved" or "notice cancelled" mail) are rows with an indexed instant and a
state; ``scheduler.dispatch`` claims due rows with a conditional UPDATE, sends them and marks them. Only
``scheduler.planning`` creates or re-plans reminders; the dispatcher only moves rows between states.

States (both tables)::

    scheduled --claim--> sending --> sent
        ^                   |  \\--> retry --(backoff)--> sending ...   (after N attempts: failed)
        |                   \\----> missed  (its deadline passed before it could leave)
        \\-- re-planned       cancelled (unsubscribed, deadline removed, notice cancelled)
                              skipped   (planned when its due time had already passed: never sent)
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class State(models.TextChoices):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    MISSED = "missed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


# Rows the dispatcher may claim (when ``next_attempt_at`` has come) and planning may still change.
PENDING = (State.SCHEDULED, State.RETRY)
# Rows that are finished, whatever the outcome.
DONE = (State.SENT, State.FAILED, State.MISSED, State.CANCELLED, State.SKIPPED)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Subscription(models.Model):
    """A bidder following one notice, or one lot of it, by e-mail.

    With an account the subscription is active at once; with only an address it stays ``pending`` until
    the link in the confirmation mail is opened, and nothing but that confirmation goes to the address.
    The owner's secret token is returned once, when the subscription is made; only its hash is kept.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        ACTIVE = "active"
        UNSUBSCRIBED = "unsubscribed"

    class Language(models.TextChoices):
        FI = "fi", "Suomi"
        SV = "sv", "Svenska"
        EN = "en", "English"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    email = models.EmailField()
    notice = models.ForeignKey("notices.Notice", on_delete=models.CASCADE, related_name="subscriptions")
    lot = models.CharField(max_length=100, blank=True, help_text="Lot id; empty for the whole notice")
    deadlines = models.JSONField(default=list, help_text="Deadline kinds followed, e.g. ['tender']")
    before = models.JSONField(default=list, help_text="ISO 8601 durations, e.g. ['P7D', 'PT2H']")
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.FI)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    client_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["notice", "status"]),
            models.Index(fields=["created_at"]),
            models.Index(fields=["client_ip", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.notice_id}{' lot ' + self.lot if self.lot else ''} ({self.status})"

    def new_token(self) -> str:
        """A fresh owner token; only its hash is stored. Returns the token (show it once)."""
        token = secrets.token_urlsafe(32)
        self.token_hash = hash_token(token)
        return token

    def token_matches(self, token: str | None) -> bool:
        return bool(token) and secrets.compare_digest(self.token_hash, hash_token(token))


class Delivery(models.Model):
    """What a reminder and a message share: a state, when to try next, who holds the claim."""

    state = models.CharField(max_length=20, choices=State.choices, default=State.SCHEDULED)
    next_attempt_at = models.DateTimeField(help_text="When the dispatcher may claim it (scheduled or retry)")
    attempts = models.PositiveIntegerField(default=0, help_text="Claims that tried to send it")
    claimed_by = models.CharField(max_length=100, blank=True, help_text="Worker and batch that holds it")
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    # The field after which the row must never be sent (None: no such limit).
    not_after_field: str | None = None

    class Meta:
        abstract = True
        indexes = [
            # The claim query: pending rows whose time has come, oldest first.
            models.Index(
                fields=["next_attempt_at"], condition=Q(state__in=PENDING), name="%(class)s_claimable"
            ),
            # Recovering rows stuck in sending after a crash.
            models.Index(fields=["claimed_at"], condition=Q(state=State.SENDING), name="%(class)s_in_flight"),
            models.Index(fields=["claimed_by"], name="%(class)s_claimed_by"),
            models.Index(fields=["state"], name="%(class)s_state"),
        ]


class Reminder(Delivery):
    """One reminder: a subscription, one deadline of its notice, one offset before it."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="reminders")
    deadline = models.ForeignKey("notices.Deadline", on_delete=models.CASCADE, related_name="reminders")
    offset = models.CharField(max_length=40, help_text="ISO 8601 duration before the deadline")
    due_at = models.DateTimeField(db_index=True, help_text="When it is due (UTC)")
    deadline_at = models.DateTimeField(help_text="The deadline it was planned for: never sent at or after it")

    not_after_field = "deadline_at"

    class Meta(Delivery.Meta):
        ordering = ["due_at", "pk"]
        indexes = [
            *Delivery.Meta.indexes,
            models.Index(fields=["deadline_at"], condition=Q(state__in=PENDING), name="reminder_expiring"),
        ]
        constraints = [
            # At most one reminder still waiting per subscription, deadline and offset.
            models.UniqueConstraint(
                fields=["subscription", "deadline", "offset"],
                condition=Q(state__in=PENDING),
                name="one_pending_reminder",
            )
        ]

    def __str__(self) -> str:
        return f"reminder {self.pk}: {self.offset} before {self.deadline_id} at {self.due_at:%Y-%m-%d %H:%M}Z"


class Message(Delivery):
    """Any other mail to a subscriber, written as a row in the transaction that decided it (pretix style)
    and sent by the dispatcher, so a crash can't lose it."""

    class Kind(models.TextChoices):
        CONFIRM = "confirm"
        MOVED = "moved"
        CANCELLED = "cancelled"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    payload = models.JSONField(default=dict, blank=True, help_text="moved: the moves, old and new")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Not sent at or after this instant")

    not_after_field = "expires_at"

    class Meta(Delivery.Meta):
        ordering = ["-created_at", "-pk"]
        indexes = [
            *Delivery.Meta.indexes,
            models.Index(fields=["expires_at"], condition=Q(state__in=PENDING), name="message_expiring"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} message {self.pk} to {self.subscription_id}"


# --- Alerts: saved searches delivered as mail digests (scheduler/alerts.py, matching.py, alertmail.py) ---


class Alert(models.Model):
    """A saved search (``filters``: ``notices.search.Filters`` field names, without status, order or
    paging) whose new matches are mailed to ``email``: at once, daily at ``hour`` or weekly on ``weekday``
    at ``hour``, Europe/Helsinki. Double opt-in like a subscription; the owner's token is shown once.

    ``requirements`` is derived from ``filters`` by ``scheduler.alerts.index`` (never edited by hand): what
    a notice must have for the alert to be worth checking, as index keys (see ``AlertKey``)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        ACTIVE = "active"
        UNSUBSCRIBED = "unsubscribed"

    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate"
        DAILY = "daily"
        WEEKLY = "weekly"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True, help_text="The subscriber's own name for it")
    filters = models.JSONField(default=dict, blank=True, help_text="notices.search.Filters field names")
    requirements = models.JSONField(default=list, blank=True, editable=False)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.DAILY)
    hour = models.PositiveSmallIntegerField(default=7, help_text="0-23, Finnish time (daily and weekly)")
    weekday = models.PositiveSmallIntegerField(default=0, help_text="0 Monday ... 6 Sunday (weekly)")
    language = models.CharField(max_length=2, choices=Subscription.Language.choices, default="fi")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    client_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["email"], name="alert_email"),
            models.Index(fields=["client_ip", "created_at"], name="alert_client"),
            models.Index(fields=["created_at"], name="alert_created"),
        ]

    def __str__(self) -> str:
        return f"alert {self.pk} {self.email} {self.filters} ({self.status})"

    def new_token(self) -> str:
        token = secrets.token_urlsafe(32)
        self.token_hash = hash_token(token)
        return token

    def token_matches(self, token: str | None) -> bool:
        return bool(token) and secrets.compare_digest(self.token_hash, hash_token(token))


class AlertKey(models.Model):
    """The candidate index: one row per key of an active alert's most selective filter (``kind``: cpv,
    region, buyer, text, country, type, source, or ``any`` for an alert no key can narrow; see
    ``scheduler.alerts``). A notice's keys find the alerts worth checking; each is then tested by the
    list's own filters (``notices.search.notice_check``, or the search itself)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="keys")
    kind = models.CharField(max_length=10)
    value = models.CharField(max_length=200)

    class Meta:
        indexes = [models.Index(fields=["kind", "value", "alert"], name="alert_key")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value} -> {self.alert_id}"


class AlertChange(models.Model):
    """What the store reported about a notice, queued inside the writer's transaction (one small row) and
    matched against the alerts afterwards by ``scheduler.matching``, which claims rows with a conditional
    UPDATE (a lease, like the mail queue) and deletes them in the transaction that writes their results."""

    notice = models.ForeignKey("notices.Notice", on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=10, help_text="new or updated")
    payload = models.TextField(blank=True, default="", help_text="JSON: deadlines moved, cancelled")
    created_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=100, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["claimed_at", "id"], name="alertchange_claim")]

    def __str__(self) -> str:
        return f"change {self.pk}: {self.outcome} notice {self.notice_id}"


class AlertMail(Delivery):
    """A mail of the alerts side, queued like the reminders: an alert's confirmation, a digest (one per
    alert and period, its ``items`` attached until it is claimed), or the link to an address's page."""

    class Kind(models.TextChoices):
        CONFIRM = "confirm"
        DIGEST = "digest"
        LINK = "link"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="mails")
    email = models.EmailField(help_text="The address it goes to")
    language = models.CharField(max_length=2, default="fi")
    slot = models.DateTimeField(null=True, blank=True, help_text="A digest's period: when it falls due")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Not sent at or after this instant")

    not_after_field = "expires_at"

    class Meta(Delivery.Meta):
        ordering = ["-created_at", "-pk"]
        indexes = [
            *Delivery.Meta.indexes,
            models.Index(fields=["alert", "kind", "state"], name="alertmail_alert"),
            models.Index(fields=["email", "created_at"], name="alertmail_email"),
        ]
        constraints = [
            # One digest per alert and period, even with several matchers at once.
            models.UniqueConstraint(
                fields=["alert", "slot"], condition=Q(kind="digest"), name="one_digest_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} mail {self.pk} to {self.email}"


class AlertItem(models.Model):
    """One thing an alert tells its subscriber: a new matching notice, or a change to one it announced
    (deadline moved, cancelled, new lots). Written once (unique per alert and notice, or per alert, change
    and kind), attached to the digest that will carry it."""

    class Kind(models.TextChoices):
        NEW = "new"
        MOVED = "moved"
        CANCELLED = "cancelled"
        LOTS = "lots"

    # No single-column indexes on alert and notice: the indexes below begin with them (each index costs
    # every insert, and the matcher writes some 30 items a notice).
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="items", db_index=False)
    notice = models.ForeignKey("notices.Notice", on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    change_id = models.BigIntegerField(help_text="The AlertChange that produced it")
    payload = models.JSONField(default=dict, blank=True)
    mail = models.ForeignKey(AlertMail, null=True, blank=True, on_delete=models.SET_NULL, related_name="items")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["notice", "kind"], name="alertitem_notice"),
            models.Index(fields=["alert", "created_at"], name="alertitem_alert"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "notice"], condition=Q(kind="new"), name="one_announcement"
            ),
            # Changes only: an announcement is one per alert and notice already (the index above), and
            # leaving the matcher's thirty announcements a notice out of this index saves an insert each.
            models.UniqueConstraint(
                fields=["alert", "change_id", "kind"], condition=~Q(kind="new"), name="one_item_per_change"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} notice {self.notice_id} for alert {self.alert_id}"
