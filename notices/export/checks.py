"""Checks by the publishers' rules, answered by the one process that holds them compiled.

Compiled, the rules take about 1 GB and 8-20 s to make (measured on 2 cores: transpiled once into the
disk cache, ``EFORMS_RULES_CACHE_DIR``, compiled into a process's memory), so web workers never compile
them, not even from the cache. A page or an API call builds the notice's XML (milliseconds) and asks:

* **The asker** (``ask``): if no validator is ready, it says at once "the rules are being prepared; try
  again in a minute" (``RulesNotReady``, a ``notices.errors.Unavailable``: 503 with ``Retry-After`` in the
  API). Otherwise it writes a ``RuleCheck`` row (the database is the queue, as for reminders) and waits up
  to ``EFORMS_CHECK_WAIT`` seconds for its answer: the findings, each mapped to the officer's field.
* **The validator** (``Validator``) runs in ``manage.py eforms_validator``, a process of its own: it
  compiles the rules at start (ahead of need, not at the first check), then says it is ready in
  ``RuleValidator`` and keeps saying so (``seen_at``, every ``HEARTBEAT`` s). Every ``EFORMS_CHECK_TICK``
  seconds it claims pending checks with a conditional UPDATE (so any number of validators can run), runs
  the XML Schema and the Schematron rules (0.04-0.08 s a notice) and stores the findings. A check left
  ``running`` by a crashed validator is taken over after ``STUCK`` seconds; answered and abandoned checks
  are deleted after ``KEEP`` seconds.
* **runscheduler** starts that process beside itself and keeps it running (``ValidatorProcess``: the clock
  job ``eforms-rules`` that ``notices.export.jobs`` registers, unless ``EFORMS_CHECKS_IN_SCHEDULER`` is
  false), rather than compiling in its own process: Saxon holds Python's GIL while it compiles (measured:
  one stretch of 8.5 s), which would stall the reminder senders' threads. The child stops with the
  scheduler (SIGTERM at exit) and on its own when the scheduler is gone (its parent process changes).

A validator not seen for ``ALIVE`` seconds is taken for gone.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notices.errors import Unavailable
from notices.export import validate
from notices.models import RuleCheck, RuleValidator

log = logging.getLogger(__name__)

ALIVE = 60  # seconds without a heartbeat after which a validator is taken for gone
HEARTBEAT = 10  # seconds between a validator's heartbeats
STUCK = 300  # seconds a check may stay "running" before another validator takes it over
KEEP = 3600  # seconds answered (or abandoned) checks are kept
RETRY_PREPARE = 60  # seconds before a validator whose rules failed to compile tries again

NOT_READY = "The rules are being prepared; try again in a minute."


class RulesNotReady(Unavailable):
    """No process holds the rules compiled right now (or none answered in time)."""

    def __init__(self, message: str = NOT_READY, *, wait: int = 60):
        super().__init__(message, wait=wait)


# ---------------------------------------------------------------------- the asking side


def ready(now: dt.datetime | None = None) -> bool:
    """Whether a validator with compiled rules has been seen lately."""
    now = now or timezone.now()
    return RuleValidator.objects.filter(
        ready_at__isnull=False, seen_at__gte=now - dt.timedelta(seconds=ALIVE)
    ).exists()


def ask(xml: bytes, kind: str, *, context: dict | None = None, wait: float | None = None) -> validate.Report:
    """The report of ``xml`` by the rules of ``kind``, from the validator (the ``rules`` that pages and the
    API give ``service.check``). Never compiles anything here; raises ``RulesNotReady`` when no validator
    is ready or none answers within ``wait`` (``EFORMS_CHECK_WAIT``) seconds."""
    if kind not in validate.KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    if not ready():
        raise RulesNotReady()
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("checks.ask() inside a transaction: the validator would not see the check")
    row = RuleCheck.objects.create(kind=kind, xml=xml, context=context or {})
    wait = settings.EFORMS_CHECK_WAIT if wait is None else wait
    deadline = time.monotonic() + wait
    pause = 0.02
    while True:
        found = RuleCheck.objects.filter(pk=row.pk).values("state", "findings", "seconds", "error").first()
        if found is None:
            raise RulesNotReady()
        if found["state"] == RuleCheck.State.DONE:
            findings = [validate.Finding.from_json(f) for f in found["findings"]]
            return validate.Report(kind, findings, found["seconds"])
        if found["state"] == RuleCheck.State.FAILED:
            raise Unavailable(f"The rules could not be run on this notice: {found['error']}")
        if time.monotonic() >= deadline:
            RuleCheck.objects.filter(pk=row.pk, state=RuleCheck.State.PENDING).delete()  # nobody waits for it
            raise RulesNotReady()
        time.sleep(pause)
        pause = min(pause * 1.5, 0.25)


# ---------------------------------------------------------------------- the answering side


class Validator:
    """One process's validator: ``tick()`` compiles the rules the first time, then answers checks."""

    def __init__(self, name: str | None = None, kinds=validate.KINDS):
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.kinds = tuple(kinds)
        self.ready = False
        self.timings: dict[str, float] = {}
        self._failed_at: float | None = None
        self._seen = 0.0
        self._tidied = 0.0

    def prepare(self) -> dict[str, float]:
        """Compile the rules into this process (from the disk cache when it has them) and say so."""
        now = timezone.now()
        RuleValidator.objects.update_or_create(
            name=self.name, defaults={"started_at": now, "seen_at": now, "ready_at": None, "error": ""}
        )
        try:
            self.timings = validate.warm(self.kinds)
        except Exception as error:
            RuleValidator.objects.filter(name=self.name).update(
                seen_at=timezone.now(), error=f"{type(error).__name__}: {error}"[:2000]
            )
            raise
        self.ready = True
        self._beat(ready=True)
        log.info("eForms rules ready in %s (%s)", self.name,
                 ", ".join(f"{k} {v:.1f} s" for k, v in self.timings.items()) or "already compiled")
        return self.timings

    def tick(self, stopping=lambda: False) -> int:
        """Prepare when not ready (again after ``RETRY_PREPARE`` s if that failed), say "still here", answer
        every pending check (until ``stopping()``). Returns how many checks were answered."""
        if not self.ready:
            if self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_PREPARE:
                return 0
            try:
                self.prepare()
            except Exception:  # noqa: BLE001 - logged and recorded; tried again later
                self._failed_at = time.monotonic()
                log.exception("the eForms rules could not be compiled; trying again in %d s", RETRY_PREPARE)
                return 0
        if time.monotonic() - self._seen >= HEARTBEAT:
            self._beat()
        answered = 0
        while not stopping():
            row = self.claim()
            if row is None:
                break
            self.answer(row)
            answered += 1
        if time.monotonic() - self._tidied >= 60:
            self.tidy()
        return answered

    def claim(self) -> RuleCheck | None:
        """The oldest pending check (or one a crashed validator left running), claimed for this one."""
        now = timezone.now()
        claimable = Q(state=RuleCheck.State.PENDING) | Q(
            state=RuleCheck.State.RUNNING, claimed_at__lt=now - dt.timedelta(seconds=STUCK)
        )
        for _attempt in range(5):
            pk = (
                RuleCheck.objects.filter(claimable, kind__in=self.kinds)
                .order_by("created_at", "pk").values_list("pk", flat=True).first()
            )
            if pk is None:
                return None
            won = RuleCheck.objects.filter(claimable, pk=pk).update(
                state=RuleCheck.State.RUNNING, claimed_by=self.name, claimed_at=now
            )
            if won:
                return RuleCheck.objects.get(pk=pk)
        return None

    def answer(self, row: RuleCheck) -> None:
        try:
            report = validate.check(bytes(row.xml), row.kind, context=row.context or None)
        except Exception as error:  # noqa: BLE001 - the asker is told; the validator carries on
            log.exception("rule check %s could not be run", row.pk)
            values = {"state": RuleCheck.State.FAILED, "error": f"{type(error).__name__}: {error}"[:2000]}
        else:
            values = {"state": RuleCheck.State.DONE, "findings": [f.as_json() for f in report.findings],
                      "seconds": report.seconds}
        RuleCheck.objects.filter(pk=row.pk, claimed_by=self.name).update(finished_at=timezone.now(), **values)

    def tidy(self) -> None:
        self._tidied = time.monotonic()
        now = timezone.now()
        RuleCheck.objects.filter(created_at__lt=now - dt.timedelta(seconds=KEEP)).delete()
        RuleValidator.objects.filter(seen_at__lt=now - dt.timedelta(days=1)).delete()

    def stop(self) -> None:
        """Say this validator is gone (a clean shutdown), so askers are told at once."""
        RuleValidator.objects.filter(name=self.name).delete()

    def _beat(self, *, ready: bool = False) -> None:
        now = timezone.now()
        values = {"seen_at": now}
        if ready:
            values.update(ready_at=now, error="", rules={k: validate.rules_hash(k) for k in self.kinds})
        updated = RuleValidator.objects.filter(name=self.name).update(**values)
        if not updated and self.ready:  # its row was tidied away by another validator: say it again
            RuleValidator.objects.create(
                name=self.name, started_at=now, seen_at=now, ready_at=now,
                rules={k: validate.rules_hash(k) for k in self.kinds},
            )
        self._seen = time.monotonic()


class ValidatorProcess:
    """``manage.py eforms_validator`` as a child of this process (the scheduler), started again if it exits
    (not more often than every ``RETRY_PREPARE`` s) and stopped when this process exits."""

    def __init__(self):
        self.process: subprocess.Popen | None = None
        self._started = 0.0
        self._hooked = False

    def ensure(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        if self.process is not None:
            if time.monotonic() - self._started < RETRY_PREPARE:
                return
            log.warning("the eForms validator process exited (%s); starting it again", self.process.returncode)
        command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "eforms_validator", "--parent",
                   str(os.getpid())]
        self.process = subprocess.Popen(command, cwd=settings.BASE_DIR)
        self._started = time.monotonic()
        log.info("started the eForms validator process %s", self.process.pid)
        if not self._hooked:
            atexit.register(self.stop)
            self._hooked = True

    def stop(self, timeout: float = 30) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)


_this_process: Validator | None = None
_child: ValidatorProcess | None = None


def child() -> ValidatorProcess:
    """The validator process this process (the scheduler) keeps running beside itself."""
    global _child
    if _child is None:
        _child = ValidatorProcess()
    return _child


def validator() -> Validator:
    """This process's validator (``manage.py eforms_validator``)."""
    global _this_process
    if _this_process is None:
        _this_process = Validator()
    return _this_process
