"""The one place that writes reminder plans: pure time arithmetic plus one reconcile step.

Offsets are ISO 8601 durations limited to weeks, days, hours, minutes and seconds (``P7D``, ``P1W``,
``PT2H``, ``P1DT12H``). Years and months are refused: their length is a matter of opinion.

Due times (``due_at``):

* **Days and weeks are calendar days in Europe/Helsinki.** ``P1D`` before a deadline at 12:00 is 12:00 the
  day before, local wall-clock time, even when a DST change lies between (then it is 23 or 25 hours).
  The local wall-clock result is resolved to an instant with PEP 495 ``fold=0``: a time that does not
  exist (03:00-03:59 on the last Sunday of March) moves forward by the length of the gap (03:30 becomes
  04:30 EEST); a time that happens twice (03:00-03:59 on the last Sunday of October) is the first of the
  two (EEST, the earlier instant).
* **Hours, minutes and seconds are exact**: subtracted from that instant in UTC.

Rules of the plan (``plan``), applied every time a subscription is confirmed or its notice changes:

* A subscription for the whole notice follows every active deadline of the chosen kinds, for the
  procedure and for each lot. A subscription for one lot follows that lot's deadlines, and the
  procedure's deadline of a kind when the lot has none of that kind.
* An offset whose due time has already passed when it is planned (at confirmation, or after a move) is
  kept as a row in state ``skipped`` - visible in the API and the admin, never sent.
* A deadline that moves re-plans its reminders still waiting (scheduled, retry) to the new due time.
  A reminder already sent (or being sent) stays as it was; when the new due time of that offset is in
  the future, the offset gets a new reminder ("moved past a reminder already sent": it is sent again,
  for the new time). If the new due time is in the past, a ``skipped`` row records it.
* Reminders of deadlines no longer followed (removed by a corrigendum, offset or kind dropped, notice
  cancelled, unsubscribed) are ``cancelled``.
* Nothing here sends mail: mails are rows (``Message``) written in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from notices.display import before_label
from notices.models import Deadline, Notice
from notices.vocab import HELSINKI, in_range
from scheduler.models import PENDING, Message, Reminder, State, Subscription

UTC = dt.UTC

# The deadlines a bidder can follow, and the defaults.
DEFAULT_KINDS = ("tender",)
DEFAULT_BEFORE = ("P7D", "P1D", "PT2H")
MAX_OFFSETS = 10
MAX_OFFSET = dt.timedelta(days=366)

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


@dataclass(frozen=True)
class Offset:
    """How long before a deadline: ``days`` calendar days (Helsinki) then an exact ``exact`` span."""

    text: str
    days: int
    exact: dt.timedelta

    def before(self, deadline: dt.datetime) -> dt.datetime:
        """The due instant (UTC) of this offset before ``deadline`` (aware)."""
        instant = deadline
        if self.days:
            wall = deadline.astimezone(HELSINKI).replace(tzinfo=None) - dt.timedelta(days=self.days)
            # fold=0 (the default): nonexistent -> shifted forward by the gap; ambiguous -> first one.
            instant = wall.replace(tzinfo=HELSINKI, fold=0)
        return instant.astimezone(UTC) - self.exact


def parse_offset(text: str) -> Offset:
    """``P7D``, ``P1W``, ``PT2H``, ``P1DT30M``...; raises ``ValueError`` with a sentence for anything else."""
    if not isinstance(text, str):
        raise ValueError("a duration must be a string such as 'P7D' or 'PT2H'")
    match = _DURATION.match(text.strip().upper())
    if not match:
        raise ValueError(
            f"{text!r} is not an ISO 8601 duration in weeks, days, hours or minutes (e.g. P7D, P1D, PT2H)"
        )
    parts = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
    days = parts["weeks"] * 7 + parts["days"]
    seconds = parts["hours"] * 3600 + parts["minutes"] * 60 + parts["seconds"]
    if days == 0 and not seconds:
        raise ValueError(f"{text!r} is zero: a reminder must come before the deadline")
    # Compared as whole seconds first: P99999999999D is no timedelta at all (it would overflow).
    if days * 86400 + seconds > MAX_OFFSET.total_seconds():
        raise ValueError(f"{text!r} is more than a year")
    exact = dt.timedelta(seconds=seconds)
    return Offset(text.strip().upper(), days, exact)


def offset_label(text: str) -> str:
    """How long before, as the follow form says it ("7 days before" for P7D) in the active language, for
    any offset the API accepted; one that cannot be read, as written."""
    try:
        offset = parse_offset(text)
    except ValueError:
        return text
    return before_label(offset.days, offset.exact)


def due_at(deadline: dt.datetime, offset: str | Offset) -> dt.datetime:
    if isinstance(offset, str):
        offset = parse_offset(offset)
    return offset.before(deadline)


def followed(subscription: Subscription, deadlines: list[Deadline], *, removed_too: bool = False) -> list[Deadline]:
    """The active deadlines of its notice that a subscription follows (see the module rules);
    ``removed_too``: also those a later version removed."""
    kinds = set(subscription.deadlines)
    # An instant outside the usable range (notices.gate: year 9999 as a source wrote it) is never reminded of.
    active = [d for d in deadlines if (d.active or removed_too) and d.kind in kinds and in_range(d.at)]
    if not subscription.lot:
        return active
    own = [d for d in active if d.lot == subscription.lot]
    own_kinds = {d.kind for d in own}
    return own + [d for d in active if d.lot == "" and d.kind not in own_kinds]


@dataclass
class Planned:
    created: int = 0
    moved: int = 0
    skipped: int = 0
    cancelled: int = 0


def plan(subscription: Subscription, *, now: dt.datetime | None = None, deadlines=None, rows=None) -> Planned:
    """Make the reminder rows of one subscription agree with its notice's deadlines now.

    Idempotent: planning twice in a row changes nothing. ``deadlines`` and ``rows`` (its reminders) may
    be passed in by a caller that loaded them for many subscriptions at once."""
    now = now or timezone.now()
    result = Planned()
    if deadlines is None:
        deadlines = list(Deadline.objects.filter(notice_id=subscription.notice_id))
    if rows is None:
        rows = list(subscription.reminders.all())
    notice_open = (
        subscription.status == Subscription.Status.ACTIVE and _notice_status(subscription) == "active"
    )
    wanted: dict[tuple[int, str], dt.datetime] = {}
    deadline_at: dict[int, dt.datetime] = {}
    if notice_open:
        offsets = [parse_offset(text) for text in subscription.before]
        for deadline in followed(subscription, deadlines):
            deadline_at[deadline.pk] = deadline.at
            for offset in offsets:
                wanted[(deadline.pk, offset.text)] = offset.before(deadline.at)

    by_key: dict[tuple[int, str], list[Reminder]] = {}
    for row in rows:
        by_key.setdefault((row.deadline_id, row.offset), []).append(row)

    to_cancel = [
        row.pk for key, group in by_key.items() if key not in wanted for row in group if row.state in PENDING
    ]
    if to_cancel:
        result.cancelled += Reminder.objects.filter(pk__in=to_cancel, state__in=PENDING).update(
            state=State.CANCELLED, updated_at=now, last_error="no longer followed"
        )

    new_rows = []
    for (deadline_id, offset), due in wanted.items():
        group = by_key.get((deadline_id, offset), [])
        pending = [row for row in group if row.state in PENDING]
        at = deadline_at[deadline_id]
        if pending:
            row = pending[0]
            if row.due_at == due and row.deadline_at == at:
                continue
            if due > now:
                fields = {"due_at": due, "deadline_at": at, "state": State.SCHEDULED, "next_attempt_at": due}
                fields.update(attempts=0, last_error="", updated_at=now)
                result.moved += Reminder.objects.filter(pk=row.pk, state__in=PENDING).update(**fields)
            else:
                # Moved so that this offset's time has passed: recorded, never sent.
                fields = {"due_at": due, "deadline_at": at, "state": State.SKIPPED, "updated_at": now}
                result.skipped += Reminder.objects.filter(pk=row.pk, state__in=PENDING).update(**fields)
            continue
        if any(row.due_at == due and row.deadline_at == at and row.state != State.CANCELLED for row in group):
            continue  # already sent, skipped, missed... for exactly this time: nothing new to do
        state = State.SCHEDULED if due > now else State.SKIPPED
        new_rows.append(
            Reminder(
                subscription=subscription,
                deadline_id=deadline_id,
                offset=offset,
                due_at=due,
                deadline_at=at,
                next_attempt_at=due,
                state=state,
                created_at=now,
                updated_at=now,
            )
        )
        if state == State.SKIPPED:
            result.skipped += 1
        else:
            result.created += 1
    if new_rows:
        Reminder.objects.bulk_create(new_rows)
    return result


def _notice_status(subscription: Subscription) -> str:
    notice = subscription.notice if "notice" in subscription._state.fields_cache else None
    if notice is None:
        return Notice.objects.filter(pk=subscription.notice_id).values_list("status", flat=True).first()
    return notice.status


def confirm(subscription: Subscription, *, now: dt.datetime | None = None) -> bool:
    """Turn a pending subscription active and plan its reminders. False if it was not pending."""
    now = now or timezone.now()
    with transaction.atomic():
        done = Subscription.objects.filter(pk=subscription.pk, status=Subscription.Status.PENDING).update(
            status=Subscription.Status.ACTIVE, confirmed_at=now
        )
        if not done:
            return False
        subscription.status = Subscription.Status.ACTIVE
        subscription.confirmed_at = now
        plan(subscription, now=now)
    return True


def unsubscribe(subscription: Subscription, *, now: dt.datetime | None = None) -> bool:
    """Stop a subscription: its waiting reminders and mails are cancelled. False if already stopped."""
    now = now or timezone.now()
    with transaction.atomic():
        done = (
            Subscription.objects.filter(pk=subscription.pk)
            .exclude(status=Subscription.Status.UNSUBSCRIBED)
            .update(status=Subscription.Status.UNSUBSCRIBED, unsubscribed_at=now)
        )
        subscription.status = Subscription.Status.UNSUBSCRIBED
        subscription.unsubscribed_at = subscription.unsubscribed_at or now
        for model in (Reminder, Message):
            model.objects.filter(subscription=subscription, state__in=PENDING).update(
                state=State.CANCELLED, updated_at=now, last_error="unsubscribed"
            )
    return bool(done)


def on_notice_changed(sender, change, **kwargs) -> None:
    """Receiver of ``notices.store.notice_changed``; runs inside the store's transaction."""
    if change.outcome != "updated":
        return  # a new notice has no followers yet; unchanged and stale change nothing
    notice_changed(change)


def notice_changed(change, *, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    notice = change.notice
    subscriptions = list(Subscription.objects.filter(notice=notice, status=Subscription.Status.ACTIVE))
    if not subscriptions:
        return
    for subscription in subscriptions:
        subscription.notice = notice
    deadlines = list(Deadline.objects.filter(notice=notice))
    rows: dict[int, list[Reminder]] = {s.pk: [] for s in subscriptions}
    for row in Reminder.objects.filter(subscription__in=subscriptions):
        rows[row.subscription_id].append(row)

    if change.cancelled or notice.status == Notice.Status.CANCELLED:
        for subscription in subscriptions:
            plan(subscription, now=now, deadlines=deadlines, rows=rows[subscription.pk])
        if change.cancelled:
            Message.objects.filter(
                subscription__in=subscriptions, kind=Message.Kind.MOVED, state__in=PENDING
            ).update(state=State.CANCELLED, updated_at=now, last_error="notice cancelled")
            Message.objects.bulk_create(
                Message(
                    subscription=s,
                    kind=Message.Kind.CANCELLED,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                )
                for s in subscriptions
            )
        return

    by_key = {(d.lot, d.kind): d for d in deadlines}
    for subscription in subscriptions:
        plan(subscription, now=now, deadlines=deadlines, rows=rows[subscription.pk])
        following = {d.pk for d in followed(subscription, deadlines)}
        moves = [
            m
            for m in change.moved
            if m.new > now and (d := by_key.get((m.lot, m.kind))) is not None and d.pk in following
        ]
        if moves:
            _queue_moved(subscription, moves, now)


def _queue_moved(subscription: Subscription, moves, now: dt.datetime) -> None:
    """One "deadline moved" mail for this change. A moved mail still waiting for the same subscription
    is folded into it (old time from the waiting one, new from this), so a deadline moved twice before
    the dispatcher ran gives one mail that tells the whole story."""
    merged = {
        (m.lot, m.kind): {"kind": m.kind, "lot": m.lot, "old": m.old.isoformat(), "new": m.new.isoformat()}
        for m in moves
    }
    waiting = Message.objects.filter(subscription=subscription, kind=Message.Kind.MOVED, state__in=PENDING)
    for message in waiting:
        if Message.objects.filter(pk=message.pk, state__in=PENDING).update(
            state=State.CANCELLED, updated_at=now, last_error="superseded by a later move"
        ):
            for earlier in message.payload.get("moves", []):
                key = (earlier["lot"], earlier["kind"])
                if key in merged:
                    merged[key]["old"] = earlier["old"]
                else:
                    merged[key] = earlier
    moves_json = [m for m in merged.values() if m["old"] != m["new"]]
    if not moves_json:
        return
    expires = max(dt.datetime.fromisoformat(m["new"]) for m in moves_json)
    if expires <= now:
        return
    Message.objects.create(
        subscription=subscription,
        kind=Message.Kind.MOVED,
        payload={"moves": sorted(moves_json, key=lambda m: (m["new"], m["lot"], m["kind"]))},
        expires_at=expires,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )


def queue_confirmation(subscription: Subscription, *, now: dt.datetime | None = None) -> Message:
    from django.conf import settings

    now = now or timezone.now()
    max_age = settings.SCHEDULER_CONFIRM_MAX_AGE
    return Message.objects.create(
        subscription=subscription,
        kind=Message.Kind.CONFIRM,
        next_attempt_at=now,
        expires_at=now + dt.timedelta(seconds=max_age),
        created_at=now,
        updated_at=now,
    )
