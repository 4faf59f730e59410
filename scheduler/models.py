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
