"""python manage.py warm_eforms_rules [--kind eu|national]: transpile the publishers' Schematron rules into
the cache (EFORMS_RULES_CACHE_DIR) and compile them once, printing how long each step took. Run it when
deploying: what lasts is the disk cache, so the validator (runscheduler's eforms-rules job, or
manage.py eforms_validator; notices.export.checks) starts faster. Web requests never compile the rules."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from notices.export import validate


class Command(BaseCommand):
    help = "Transpile (cache on disk) and compile the eForms Schematron rules the exports need."

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=["eu", "national"], action="append",
                            help="only these rules (default: both)")

    def handle(self, *args, kind=None, **options):

        started = time.monotonic()
        timings = validate.warm(kind or validate.KINDS)
        for step, seconds in timings.items():
            self.stdout.write(f"{step}: {seconds:.1f} s")
        self.stdout.write(f"rules ready in {time.monotonic() - started:.1f} s (cache: {validate.cache_dir()})")
