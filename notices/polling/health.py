"""Whether each scheduled source is healthy, and one mail to the operators per problem.

An enabled source is unhealthy when it has had no successful poll for ``POLL_STALE_FACTOR`` x its interval,
or when its content broke: a page or feed that once yielded notices yields none, or no longer reads
("layout broke"). The first poll or sweep that finds a problem starts an episode and mails the operators
(``mail_admins``) once; the episode ends when the source is healthy again.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import mail_admins
from django.db.models import Q
from django.utils import timezone

from notices.models import Source

log = logging.getLogger(__name__)


def health(source: Source, now=None) -> tuple[bool, str]:
    """(healthy, problem) as of ``now``; see the module docstring. Disabled sources are not watched."""
    if not source.enabled:
        return True, ""
    if source.broken:
        return False, source.broken
    now = now or timezone.now()
    expected = dt.timedelta(seconds=source.interval * settings.POLL_STALE_FACTOR)
    since = source.last_success or source.created_at
    if now - since <= expected:
        return True, ""
    if source.last_success:
        text = f"no successful poll since {source.last_success:%Y-%m-%d %H:%M} UTC"
    else:
        text = f"no successful poll since it was added on {source.created_at:%Y-%m-%d %H:%M} UTC"
    text += f" (expected every {_duration(source.interval)})"
    if source.last_error:
        text += f"; last error: {source.last_error[:300]}"
    return False, text


def evaluate(source: Source, now=None, *, notify: bool = True) -> tuple[bool, str]:
    """Store the source's health; a problem that starts an episode is mailed to the operators once."""
    now = now or timezone.now()
    healthy, problem = health(source, now)
    rows = Source.objects.filter(pk=source.pk)
    if healthy:
        if not source.healthy or source.problem:
            rows.update(healthy=True, problem="", problem_since=None, problem_notified_at=None)
            source.healthy, source.problem = True, ""
            source.problem_since = source.problem_notified_at = None
        return healthy, problem
    if source.healthy:
        started = rows.filter(healthy=True).update(
            healthy=False, problem=problem, problem_since=now, problem_notified_at=None
        )
        if started:
            source.problem_since, source.problem_notified_at = now, None
        source.healthy = False
    elif problem != source.problem:
        rows.update(problem=problem)
    source.problem = problem
    if notify:
        _notify(source, now)
    return healthy, problem


def _notify(source: Source, now) -> bool:
    """One mail per episode: the conditional UPDATE decides which process sends it."""
    if not Source.objects.filter(pk=source.pk, healthy=False, problem_notified_at__isnull=True).update(
        problem_notified_at=now
    ):
        return False
    source.problem_notified_at = now
    admin_url = f"{settings.SITE_URL}/admin/notices/source/{source.pk}/change/"
    message = "\n".join(
        [
            f"The source \"{source.name}\" ({source.get_kind_display()}) needs attention:",
            "",
            f"    {source.problem}",
            "",
            f"Address:      {source.url or '(default API URL)'}",
            f"Last run:     {source.last_run or 'never'}",
            f"Last success: {source.last_success or 'never'}",
            f"Last error:   {source.last_error or '-'}",
            f"Notices seen: {source.notices_seen} (at most {source.peak_seen})",
            "",
            f"This is the only mail about this problem until the source is healthy again. {admin_url}",
        ]
    )
    try:
        mail_admins(f"Source \"{source.name}\": {source.problem[:120]}", message, fail_silently=False)
    except Exception:  # noqa: BLE001 - the mail is tried again at the next poll or sweep
        log.exception("could not mail the operators about source %s", source.pk)
        Source.objects.filter(pk=source.pk, problem_notified_at=now).update(problem_notified_at=None)
        source.problem_notified_at = None
        return False
    return True


def sweep(now=None) -> int:
    """Evaluate every enabled source (a source that is never polled must still be noticed); returns how
    many are unhealthy."""
    now = now or timezone.now()
    unhealthy = 0
    watched = Source.objects.filter(Q(enabled=True) | Q(healthy=False))
    for source in watched:
        healthy, _ = evaluate(source, now)
        unhealthy += not healthy
    return unhealthy


def _duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400} d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"
