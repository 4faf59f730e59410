"""python manage.py ingest PATH_OR_URL... [--format F] [--url URL] [--jobs N] [--dry-run --json --explain]"""

from __future__ import annotations

import gc
import json
import os
import sys
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError

from notices import readers
from notices.ingest.fetch import expand
from notices.ingest.read import read_all
from notices.ingest.write import Tally, write_all


class Command(BaseCommand):
    help = (
        "Ingest notices from files, folders and http(s) URLs (eForms XML, Finnish web pages, OCDS JSON). "
        "Prints a summary; exits 1 when anything was rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument("targets", nargs="+", metavar="PATH_OR_URL")
        parser.add_argument("--format", choices=sorted(readers.FORMATS), help="skip auto-detection")
        parser.add_argument("--url", help="where a fi-web page file came from (its links resolve against it)")
        parser.add_argument("--dry-run", action="store_true", help="read only; store nothing")
        parser.add_argument("--json", dest="as_json", action="store_true", help="print one JSON object per notice per line")
        parser.add_argument(
            "--explain", action="store_true", help="say on stderr, per item of a web page, whether it was taken and why"
        )
        parser.add_argument(
            "--group",
            type=int,
            default=None,
            help="payloads per commit, each notice still all-or-nothing (default: 1, or 100 for 100 files or more)",
        )
        parser.add_argument(
            "--jobs", type=int, default=None, help="processes that read in parallel (default: the cores, for many files)"
        )

    def handle(self, *args, targets, format, url, dry_run, as_json, jobs, group, explain=False, **options):
        verbosity = options["verbosity"]
        paths = [p for target in targets for p in expand(target)]
        if not paths:
            raise CommandError("nothing to ingest: the folders hold no .xml, .json or .html files")
        if jobs is None:
            jobs = min(os.cpu_count() or 1, 4) if len(paths) >= 100 else 1
        if group is None:
            # A bulk load commits in groups (new notices then go in together, see store.save_many); a crash
            # loses at most the group being written, which the next run ingests again.
            group = 100 if len(paths) >= 100 else 1
        if len(paths) >= 100:
            # Everything alive now (Django, the models, the readers) lives as long as this process: keep
            # the collector from walking it again and again while the run makes millions of objects.
            gc.freeze()
        tally = Tally()
        progress = len(paths) > 1 and verbosity > 0 and self.stderr.isatty()
        outcomes = read_all(paths, format, url, jobs)
        if dry_run:
            outcomes = (outcome for _, outcome in outcomes)
        else:
            outcomes = write_all(outcomes, group)
        for index, outcome in enumerate(outcomes, 1):
            if progress:
                self.stderr.write(f"\r[{index}/{len(paths)}] {outcome.origin[-60:]:<60}", ending="")
            if dry_run:
                tally.counts["read"] += len(outcome.records)
                tally.counts["rejected"] += len(outcome.errors)
            else:
                tally.add(outcome)
            for error in outcome.errors:
                self._error(error, progress)
            relative = [r for r in outcome.records if r.source == "fi-web" and not urlsplit(r.source_id).scheme]
            if relative:
                # Its notices are known by links such as "/uutiset/12", which another site may also have.
                self.stderr.write(
                    self.style.WARNING(
                        f"warning: {outcome.origin}: a web page read without --url; its {len(relative)} "
                        "notice(s) are identified by links relative to an unknown site. Give --url (the "
                        "page's address) so they stay apart from other sites' notices and links resolve."
                    )
                )
            for item in outcome.items:
                if explain:
                    self.stderr.write(f"explain: {outcome.origin}: {item.line()}")
                if item.suspicious:  # never a silent zero: an item that looks like procurement is named
                    self.stderr.write(
                        self.style.WARNING(
                            f"warning: {outcome.origin}: {item.heading[:80]!r} looks like procurement "
                            f"({', '.join(item.signals)}) but was not read as a notice: {item.reason}"
                        )
                    )
            for record in outcome.records:
                for warning in record.warnings:
                    self.stderr.write(self.style.WARNING(f"flagged: {outcome.origin}: {record.title[:60]}: {warning}"))
            if as_json:
                for record in outcome.records:
                    self.stdout.write(json.dumps(record.as_json(), ensure_ascii=False))
            elif verbosity > 1:
                for change in outcome.changes:
                    self.stdout.write(f"{change.outcome}: {change.notice.source_id} {change.notice.title[:60]}")
        if progress:
            self.stderr.write("")
        summary = (
            f"read: {tally.counts['read']}, rejected: {tally.counts['rejected']}" if dry_run else tally.summary()
        )
        (self.stderr if as_json else self.stdout).write(summary)
        if tally.counts["rejected"]:
            sys.exit(1)

    def _error(self, message: str, progress: bool) -> None:
        if progress:
            self.stderr.write("")
        self.stderr.write(self.style.ERROR(f"rejected: {message}"))
