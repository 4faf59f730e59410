"""Jobs the notices core wants run on a clock it does not own.

The core never imports the scheduler; it registers here what should run and how often, and the scheduler
(``scheduler/jobs.py``, the only clock) adds every enabled job to APScheduler when ``runscheduler``
starts. Polling the scheduled sources registers itself this way (``notices.polling``), enabled by
``POLL_SOURCES``. A job's ``run`` gets a ``stopping()`` function: true once the clock is shutting down, so
long work can stop between items with its progress saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    id: str
    run: Callable[[Callable[[], bool]], None]
    seconds: Callable[[], float]  # read when the clock starts, so settings apply
    enabled: Callable[[], bool] = lambda: True


_registry: dict[str, Job] = {}


def register(job: Job) -> Job:
    _registry[job.id] = job
    return job


def jobs() -> list[Job]:
    """The registered jobs that are enabled now."""
    return [job for job in _registry.values() if job.enabled()]
