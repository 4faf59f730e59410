"""python manage.py eforms_validator [--once] [--tick SECONDS] [--parent PID]: a process of its own that
compiles the publishers' rules at start and then answers the checks pages and the API ask for
(``notices.export.checks``). ``runscheduler`` runs one as its child (``--parent``: it stops when that
process is gone) unless ``EFORMS_CHECKS_IN_SCHEDULER=false``; run it alone where the schedulers do not.
SIGTERM or SIGINT stops it after the check in hand."""

from __future__ import annotations

import os
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile the eForms rules and answer rule checks until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Compile, answer what is pending, then exit")
        parser.add_argument("--tick", type=float, default=None, help="Seconds between looks (EFORMS_CHECK_TICK)")
        parser.add_argument("--parent", type=int, default=None, help="Stop when this process is gone")

    def handle(self, *args, once=False, tick=None, parent=None, **options):
        from notices.export import checks

        stop = threading.Event()
        validator = checks.validator()
        try:
            timings = validator.prepare()
        except FileNotFoundError as error:
            # ../shared absent (a checkout elsewhere): one clear line, not a traceback a minute.
            raise CommandError(
                f"the eForms rules cannot be compiled: {error.filename} is missing (EFORMS_SDK_DIR, HILMA_SDK_DIR, "
                "SCHXSLT_TRANSPILER; by default ../shared beside the checkout); officers' eForms checks wait until "
                "it is there"
            ) from None
        for step, seconds in timings.items():
            self.stdout.write(f"{step}: {seconds:.1f} s")
        self.stdout.write(f"rules ready in {validator.name}")
        if once:
            self.stdout.write(f"answered {validator.tick(stop.is_set)} checks")
            validator.stop()
            return

        def request_stop(signum, frame):
            stop.set()

        before = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        pause = tick if tick is not None else settings.EFORMS_CHECK_TICK
        try:
            while not stop.is_set():
                validator.tick(stop.is_set)
                if parent is not None and os.getppid() != parent:
                    self.stdout.write("the process that started this validator is gone: stopping")
                    break
                stop.wait(pause)
        finally:
            validator.stop()
            for sig, handler in before.items():
                signal.signal(sig, handler)
