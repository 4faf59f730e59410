"""python manage.py load_samples — the demo's notices, through the same readers and store as ingest."""

from django.core.management.base import BaseCommand, CommandError

from notices.ingest.fetch import Payload
from notices.ingest.samples import payloads
from notices.ingest.write import Tally, ingest


class Command(BaseCommand):
    help = "Load the project's sample notices with deadlines relative to today (idempotent within a day)."

    def handle(self, *args, **options):
        tally = Tally()
        for name, fmt, url, data in payloads():
            outcome = ingest(Payload(data, f"sample:{name}", url), fmt)
            tally.add(outcome)
            if outcome.errors:
                raise CommandError(f"sample {name} was rejected: {outcome.errors[0]}")
        self.stdout.write(f"Sample notices: {tally.summary()}")
