"""The export's jobs on the scheduler's clock (``notices.clock``; ``runscheduler`` runs them):

* ``eforms-rules`` (every 5 s, unless ``EFORMS_CHECKS_IN_SCHEDULER`` is false): keeps the validator
  (``manage.py eforms_validator``, ``notices.export.checks``) running as a child of the scheduler. Its
  first run starts it, so the publishers' rules are compiled ahead of need, in a process of their own (the
  compile holds Python's GIL for seconds: in the scheduler's process it would stall the reminder senders);
  then the validator answers the checks pages and the API ask for.
* ``eforms-ted-refresh`` (every ``EFORMS_TED_REFRESH`` s, when ``TED_ESENDER_TOKEN`` is set): asks TED what
  became of each submitted notice (published with its publication number, stopped, not published).

Imported by ``notices.apps`` at start; the work itself is imported only when a job runs.
"""

from __future__ import annotations

from django.conf import settings

from notices import clock

RULES_JOB_ID = "eforms-rules"
TED_JOB_ID = "eforms-ted-refresh"


def answer_checks(stopping) -> None:
    from notices.export import checks

    if not stopping():
        checks.child().ensure()


def refresh_submissions(stopping) -> None:
    from notices.export import service

    service.refresh_submitted(stopping=stopping)


clock.register(
    clock.Job(
        RULES_JOB_ID,
        run=answer_checks,
        seconds=lambda: 5,
        enabled=lambda: settings.EFORMS_CHECKS_IN_SCHEDULER,
    )
)
clock.register(
    clock.Job(
        TED_JOB_ID,
        run=refresh_submissions,
        seconds=lambda: settings.EFORMS_TED_REFRESH,
        enabled=lambda: bool(settings.TED_ESENDER_TOKEN),
    )
)
