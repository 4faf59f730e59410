"""Claim due rows, build their mail, send it, mark them. Any number of dispatchers may run at once.

One tick (``Dispatcher.run_once``):

1. **Expire**: rows still waiting (scheduled, retry) whose deadline (a reminder's ``deadline_at``, a
   message's ``expires_at``) has come become ``missed``. Nothing is ever sent at or after it.
2. **Recover**: rows left in ``sending`` longer than ``stuck_after`` (their worker died) go back to
   ``retry`` (or ``failed`` after ``max_attempts`` claims).
3. **Drain**: repeatedly claim a batch of due messages, then a batch of due reminders, and send them over
   one SMTP connection, until nothing is due or the dispatcher is told to stop.

**Claiming** (healthchecks style): select up to ``batch_size`` candidate ids, then one conditional
``UPDATE ... SET state='sending', claimed_by=<worker/batch>, claimed_at=now WHERE id IN (...) AND state
IN ('scheduled', 'retry') AND next_attempt_at <= now``; the rows are re-read by ``claimed_by``. The
database decides who won each row (row locks on PostgreSQL, the write lock on SQLite), so two dispatchers
never hold the same row. A claim is a lease of ``stuck_after`` seconds: only after that may another
dispatcher recover the row. Before each mail goes to SMTP the dispatcher checks the deadline (minus
``margin``, 10 s) and, once the claim is older than half the lease, renews it with a conditional UPDATE
(and skips the row if that fails). Right after SMTP accepts a mail its row is marked ``sent``, one row
at a time.

**Delivery guarantee**: at least once, never after the deadline. Every mail is a row before it is sent,
so nothing is lost. A crash (kill -9, power loss) between SMTP accepting a mail and its ``sent`` mark
leaves that row in ``sending``; after ``stuck_after`` it is recovered and sent again, so it may arrive
twice. A dispatcher sends one mail at a time, so a crash duplicates at most one mail per dispatcher
(``runscheduler`` runs ``--senders`` of them, 2 by default; never more than the rows that were in
``sending``); rows claimed but not sent are recovered without duplicates. Nothing is handed to SMTP later than ``margin`` before its deadline, by a live worker or
after a recovery. (Clocks of hosts running dispatchers must agree to well within ``stuck_after / 2``.)

**Failures**: a connection that cannot be opened (server down, refused) puts the rows back to ``retry``
without using up an attempt, and the dispatcher backs off (``outage_backoff``, doubling up to
``outage_backoff_max``). A temporary SMTP error (4xx) is retried after ``retry_base * 2**(attempt-1)``
seconds (at most ``retry_max``); a permanent one (5xx) or ``max_attempts`` attempts make it ``failed``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import random
import secrets
import smtplib
import socket
import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import get_connection
from django.db.models import Case, F, Prefetch, Q, Value, When
from django.utils import timezone

from scheduler.alertmail import AlertBuilder, NothingToSend
from scheduler.mail import Builder, MailCache
from scheduler.models import PENDING, Alert, AlertItem, AlertMail, Message, Reminder, State, Subscription

log = logging.getLogger(__name__)


@dataclass
class Stats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    missed: int = 0
    cancelled: int = 0
    recovered: int = 0
    released: int = 0
    outage: bool = False

    def __bool__(self) -> bool:
        return any((self.sent, self.retried, self.failed, self.missed, self.cancelled, self.recovered))

    def add(self, other: Stats) -> None:
        for name in ("sent", "retried", "failed", "missed", "cancelled", "recovered", "released"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.outage = self.outage or other.outage


class ConnectionFailed(Exception):
    """The SMTP server could not be reached or dropped the connection."""


class Dispatcher:
    def __init__(
        self,
        worker: str | None = None,
        *,
        batch_size: int | None = None,
        max_attempts: int | None = None,
        retry_base: float | None = None,
        retry_max: float | None = None,
        stuck_after: float | None = None,
        outage_backoff: float | None = None,
        outage_backoff_max: float | None = None,
        margin: float | None = None,
        stop: threading.Event | None = None,
    ):
        self.worker = (worker or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}")[:80]
        self.batch_size = batch_size or settings.SCHEDULER_BATCH_SIZE
        self.max_attempts = max_attempts or settings.SCHEDULER_MAX_ATTEMPTS
        self.retry_base = retry_base if retry_base is not None else settings.SCHEDULER_RETRY_BASE
        self.retry_max = retry_max if retry_max is not None else settings.SCHEDULER_RETRY_MAX
        self.stuck_after = stuck_after if stuck_after is not None else settings.SCHEDULER_STUCK_AFTER
        self.outage_backoff = (
            outage_backoff if outage_backoff is not None else settings.SCHEDULER_OUTAGE_BACKOFF
        )
        self.outage_backoff_max = (
            outage_backoff_max
            if outage_backoff_max is not None
            else settings.SCHEDULER_OUTAGE_BACKOFF_MAX
        )
        self.margin = margin if margin is not None else settings.SCHEDULER_SEND_MARGIN
        self.stop = stop or threading.Event()
        self.builder = Builder(MailCache())
        self.alert_builder = AlertBuilder()
        self._batches = itertools.count(1)
        self._outages = 0
        self._quiet_until: dt.datetime | None = None

    # -- one tick ------------------------------------------------------------------------------------

    def run_once(self, now: dt.datetime | None = None) -> Stats:
        """Expire, recover, then send everything due. ``now`` is for tests; otherwise the clock is read
        afresh for every decision."""
        stats = Stats()
        start = now or timezone.now()
        self.expire(start, stats)
        self.recover(start, stats)
        if self._quiet_until and start < self._quiet_until:
            return stats
        connection = None
        try:
            while not self.stop.is_set():
                busy = False
                for model in (Message, AlertMail, Reminder):
                    found, token, rows = self.claim(model, now or timezone.now())
                    busy = busy or found
                    if rows:
                        connection = self.send(model, token, rows, connection, stats, now)
                    if stats.outage or self.stop.is_set():
                        break
                if not busy or stats.outage:
                    break
        finally:
            _close(connection)
        return stats

    # -- the steps -----------------------------------------------------------------------------------

    def expire(self, now: dt.datetime, stats: Stats) -> None:
        limit = now + dt.timedelta(seconds=self.margin)
        stats.missed += Reminder.objects.filter(state__in=PENDING, deadline_at__lte=limit).update(
            state=State.MISSED, updated_at=now, last_error="its deadline passed before it could be sent"
        )
        for model in (Message, AlertMail):
            stats.missed += model.objects.filter(state__in=PENDING, expires_at__lte=limit).update(
                state=State.MISSED, updated_at=now, last_error="expired before it could be sent"
            )

    def recover(self, now: dt.datetime, stats: Stats) -> None:
        limit = now - dt.timedelta(seconds=self.stuck_after)
        for model in (Reminder, Message, AlertMail):
            stuck = model.objects.filter(state=State.SENDING, claimed_at__lt=limit)
            stats.failed += stuck.filter(attempts__gte=self.max_attempts).update(
                state=State.FAILED, updated_at=now, last_error="stuck in sending; no attempts left"
            )
            recovered = stuck.update(
                state=State.RETRY, next_attempt_at=now, updated_at=now, last_error="recovered from sending"
            )
            if recovered:
                log.warning("recovered %d %s rows stuck in sending", recovered, model._meta.model_name)
            stats.recovered += recovered

    def claim(self, model, now: dt.datetime, only: list[int] | None = None) -> tuple[bool, str, list]:
        """Claim up to ``batch_size`` due rows. Returns (were there candidates, claim token, rows won).

        Candidates are a random sample of the oldest ``4 * batch_size`` due rows, so dispatchers running
        at once mostly pick different rows instead of all racing for the same ones."""
        due = Q(state__in=PENDING, next_attempt_at__lte=now)
        candidates = model.objects.filter(due) if only is None else model.objects.filter(due, pk__in=only)
        ids = list(candidates.order_by("next_attempt_at").values_list("pk", flat=True)[: self.batch_size * 4])
        if not ids:
            return False, "", []
        if len(ids) > self.batch_size:
            ids = random.sample(ids, self.batch_size)
        token = f"{self.worker}/{next(self._batches)}"
        won = model.objects.filter(due, pk__in=ids).update(
            state=State.SENDING, claimed_by=token, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
        )
        if not won:
            return True, token, []
        if model is AlertMail:
            return True, token, self._alert_rows(token)
        rows = model.objects.filter(claimed_by=token, state=State.SENDING).select_related(
            "subscription", "subscription__notice"
        )
        if model is Reminder:
            rows = rows.select_related("deadline")
        rows = rows.prefetch_related("subscription__notice__buyers", "subscription__notice__lots")
        if model is Message:
            rows = rows.prefetch_related("subscription__notice__deadlines")
        return True, token, sorted(rows, key=lambda r: (r.next_attempt_at, r.pk))

    def send(self, model, token: str, rows: list, connection, stats: Stats, fixed_now=None):
        """Send claimed rows one by one over ``connection`` (opened on first use); returns the connection."""
        lease = min((row.claimed_at for row in rows), default=None)
        for index, row in enumerate(rows):
            if self.stop.is_set():
                stats.released += self.release(model, token, rows[index:])
                break
            now = fixed_now or timezone.now()
            mine = model.objects.filter(pk=row.pk, state=State.SENDING, claimed_by=token)
            if model is AlertMail:
                status = row.alert.status if row.alert_id else "-"
                allowed = {
                    AlertMail.Kind.CONFIRM: status == Alert.Status.PENDING,
                    AlertMail.Kind.DIGEST: status == Alert.Status.ACTIVE,
                }.get(row.kind, True)
            elif model is Message and row.kind == Message.Kind.CONFIRM:
                status = row.subscription.status
                allowed = status == Subscription.Status.PENDING
            else:
                status = row.subscription.status
                allowed = status == Subscription.Status.ACTIVE  # nothing but a confirmation when pending
            if not allowed:
                stats.cancelled += mine.update(
                    state=State.CANCELLED, updated_at=now, last_error=f"subscription is {status}"
                )
                continue
            try:
                if model is AlertMail:
                    mail = self.alert_builder.build(row, now)
                elif model is Reminder:
                    mail = self.builder.reminder(row, now)
                else:
                    mail = self.builder.message(row, now)
            except NothingToSend:
                stats.cancelled += mine.update(state=State.CANCELLED, updated_at=now, last_error="nothing to say")
                continue
            except Exception as exc:  # noqa: BLE001 - a broken row must not stop the others
                log.exception("building %s %s failed", model._meta.model_name, row.pk)
                self._failed_attempt(model, token, row, now, exc, stats, permanent=False)
                continue
            # The last word before SMTP: its deadline not within the margin (planning never changes a row
            # in sending, so the loaded value is the truth), and the claim still ours.
            now = fixed_now or timezone.now()
            not_after = getattr(row, row.not_after_field) if row.not_after_field else None
            if not_after is not None and not_after <= now + dt.timedelta(seconds=self.margin):
                stats.missed += mine.update(
                    state=State.MISSED,
                    updated_at=now,
                    last_error="its deadline passed before it could be sent",
                )
                continue
            if now - lease >= dt.timedelta(seconds=self.stuck_after / 2):
                # Held for a while: renew the claim in the database before sending, so a recovery can
                # never overlap a send. (A younger claim cannot have been recovered yet.)
                if not mine.update(claimed_at=now):
                    continue  # recovered by another dispatcher: not ours any more
                lease = now
            try:
                if connection is None:
                    connection = self._open()
                connection.send_messages([mail])
            except ConnectionFailed as exc:
                self._outage(model, token, rows[index:], now, exc, stats)
                return None
            except smtplib.SMTPServerDisconnected as exc:
                connection = self._dropped(model, token, row, now, exc, stats, connection)
                continue
            except smtplib.SMTPException as exc:
                self._failed_attempt(model, token, row, now, exc, stats, permanent=_permanent(exc))
                continue
            except OSError as exc:  # reset, timeout... (SMTPException is an OSError: caught above first)
                connection = self._dropped(model, token, row, now, exc, stats, connection)
                continue
            done = fixed_now or timezone.now()
            if mine.update(state=State.SENT, sent_at=done, updated_at=done, last_error=""):
                stats.sent += 1
                self._outages = 0
        return connection

    def _alert_rows(self, token: str) -> list:
        """Claimed alert mails with what their building reads: the alert, and a digest's items with their
        notices and buyers (a batch's notices loaded once)."""
        items = AlertItem.objects.select_related("notice").defer("notice__descriptions", "notice__links")
        rows = (
            AlertMail.objects.filter(claimed_by=token, state=State.SENDING)
            .select_related("alert")
            .prefetch_related(Prefetch("items", queryset=items.order_by("created_at", "pk")), "items__notice__buyers")
        )
        return sorted(rows, key=lambda r: (r.next_attempt_at, r.pk))

    def _dropped(self, model, token, row, now, exc, stats, connection):
        """The connection broke while sending ``row``: retried without using an attempt; the next row
        opens a new connection."""
        _close(connection)
        self._failed_attempt(model, token, row, now, exc, stats, permanent=False, counted=False)
        return None

    def send_ids(self, model, ids: list[int]) -> Stats:
        """Claim and send these rows now if they are due (the web process sends a confirmation at once)."""
        stats = Stats()
        _, token, rows = self.claim(model, timezone.now(), only=ids)
        connection = None
        try:
            if rows:
                connection = self.send(model, token, rows, connection, stats)
        finally:
            _close(connection)
        return stats

    def release(self, model, token: str, rows: list) -> int:
        """Give back claimed rows not yet touched (stopping): they are due again at once."""
        return model.objects.filter(
            pk__in=[r.pk for r in rows], state=State.SENDING, claimed_by=token
        ).update(
            state=Case(When(attempts__lte=1, then=Value(State.SCHEDULED)), default=Value(State.RETRY)),
            attempts=F("attempts") - 1,
            claimed_by="",
            updated_at=timezone.now(),
        )

    # -- helpers -------------------------------------------------------------------------------------

    def _open(self):
        connection = get_connection(fail_silently=False)
        try:
            connection.open()
        except (OSError, smtplib.SMTPException) as exc:
            _close(connection)
            raise ConnectionFailed(f"{type(exc).__name__}: {exc}") from exc
        return connection

    def _outage(self, model, token, rows, now, exc, stats: Stats) -> None:
        self._outages += 1
        delay = min(self.outage_backoff * 2 ** (self._outages - 1), self.outage_backoff_max)
        later = now + dt.timedelta(seconds=delay)
        self._quiet_until = later
        stats.outage = True
        stats.retried += model.objects.filter(
            pk__in=[r.pk for r in rows], state=State.SENDING, claimed_by=token
        ).update(
            state=State.RETRY,
            next_attempt_at=later,
            attempts=F("attempts") - 1,  # the server was not there: no attempt used up
            updated_at=now,
            last_error=f"SMTP unavailable: {exc}"[:1000],
        )
        log.warning("SMTP unavailable (%s); retrying in %.0f s", exc, delay)

    def _failed_attempt(self, model, token, row, now, exc, stats: Stats, *, permanent: bool, counted=True):
        mine = model.objects.filter(pk=row.pk, state=State.SENDING, claimed_by=token)
        error = f"{type(exc).__name__}: {exc}"[:1000]
        attempts = row.attempts if counted else row.attempts - 1
        if permanent or attempts >= self.max_attempts:
            stats.failed += mine.update(state=State.FAILED, updated_at=now, last_error=error)
            log.error("%s %s failed: %s", model._meta.model_name, row.pk, error)
            return
        delay = min(self.retry_base * 2 ** max(attempts - 1, 0), self.retry_max)
        stats.retried += mine.update(
            state=State.RETRY,
            next_attempt_at=now + dt.timedelta(seconds=delay),
            attempts=attempts,
            updated_at=now,
            last_error=error,
        )


def _permanent(exc: smtplib.SMTPException) -> bool:
    """5xx answers are permanent; 4xx and anything else may succeed later."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and code >= 500


def _close(connection) -> None:
    if connection is None:
        return
    try:
        connection.close()
    except Exception:  # noqa: BLE001 - closing a broken connection may fail; nothing to do about it
        pass


def send_now(model, pk: int) -> None:
    """Try to send one queued row at once (after the transaction that wrote it has committed). Whatever
    goes wrong is left to the dispatcher: the row stays queued or goes to retry."""
    try:
        Dispatcher(f"web:{socket.gethostname()}:{os.getpid()}", outage_backoff=0).send_ids(model, [pk])
    except Exception:  # noqa: BLE001 - the row is the truth; runscheduler will send it
        log.exception("sending %s %s at once failed; the dispatcher will retry", model._meta.model_name, pk)
