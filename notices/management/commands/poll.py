"""python manage.py poll [SOURCE] [--all]: poll scheduled sources now (the same code runscheduler runs)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from notices import polling
from notices.models import Source


class Command(BaseCommand):
    help = (
        "Poll scheduled sources now: SOURCE (an id or a name) even when it is not due or is disabled; "
        "without SOURCE every enabled source that is due, or every enabled source with --all. "
        "Prints one line per source; exits 1 when a poll failed. --dry-run SOURCE prints what a poll would "
        "request and store, and stores nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", nargs="?", metavar="SOURCE", help="id or name of one source")
        parser.add_argument("--all", action="store_true", help="poll every enabled source, due or not")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="with SOURCE: send the requests a poll would (TED: its syntax check first), read what comes "
            "back and print it; store nothing, change nothing (try a new source or key safely)",
        )
        parser.add_argument(
            "--limit", type=int, default=10, metavar="N", help="--dry-run: fetch at most N notices (10)"
        )

    def handle(self, *args, source, all, dry_run=False, limit=10, **options):
        if dry_run:
            if source is None or all:
                raise CommandError("--dry-run needs one SOURCE (an id or a name), and not --all")
            self._dry_run(self._find(source), limit)
            return
        worker = polling.new_worker_name()
        if source is not None:
            found = self._find(source)
            claimed = polling.claim(found.pk, worker, due_only=False, enabled_only=False)
            if claimed is None:
                holder = found.leased_by or "another poller"
                raise CommandError(f"{found.name} is being polled right now by {holder}")
            results = [polling.poll(claimed, worker)]
        else:
            results = polling.poll_due(worker, ignore_intervals=all)
            if not results:
                hint = "" if all else " (--all polls them all)"
                self.stdout.write(f"nothing to poll: no enabled source is due{hint}")
        failed = False
        for result in results:
            line = f"{result.source.name}: {result.summary()}"
            if result.status in ("error", "rate-limited"):
                failed = True
                self.stderr.write(self.style.ERROR(line))
            else:
                self.stdout.write(line)
            if not result.source.healthy:
                warning = f"{result.source.name}: unhealthy: {result.source.problem}"
                self.stderr.write(self.style.WARNING(warning))
        if failed:
            sys.exit(1)

    def _dry_run(self, source: Source, limit: int) -> None:
        self.stdout.write(f"{source.name} ({source.get_kind_display()}): dry run, nothing is stored")
        result = polling.dry_run(source, self.stdout.write, limit=max(1, limit))
        c = result.counts
        line = f"{source.name}: would read {result.seen} notice(s), reject {c['rejected']}"
        if result.skipped:
            line += ", skip " + ", ".join(f"{n} {kind}" for kind, n in sorted(result.skipped.items()))
        if result.status not in ("ok", "not-modified"):
            self.stderr.write(self.style.ERROR(f"{line}; {result.status}: {result.error}"))
            sys.exit(1)
        self.stdout.write(line)

    def _find(self, value: str) -> Source:
        source = None
        if value.isdigit():
            source = Source.objects.filter(pk=int(value)).first()
        source = source or Source.objects.filter(name=value).first()
        if source is None:
            raise CommandError(f"no source with the id or name {value!r}")
        return source
