"""python manage.py render_summary ID -o FILE [--lang fi]: write a notice's PDF summary to a file."""

import sys

from django.core.management.base import BaseCommand, CommandError

from notices import pdf
from notices.models import Notice


class Command(BaseCommand):
    help = "Write the PDF summary of notice ID to FILE ('-' for standard output)."

    def add_arguments(self, parser):
        parser.add_argument("id", type=int, help="The notice's id")
        parser.add_argument(
            "-o", "--output", required=True, metavar="FILE", help="Where to write the PDF; - for stdout"
        )
        parser.add_argument("--lang", default="fi", choices=pdf.LANGUAGES, help="Label language (default fi)")
        parser.add_argument("--fresh", action="store_true", help="Render anew instead of using the cache")

    def handle(self, *args, id, output, lang, fresh, **options):
        notice = Notice.objects.filter(pk=id).first()
        if notice is None:
            raise CommandError(f"no notice with id {id}")
        try:
            if fresh:
                from django.utils import timezone

                content = pdf.render_pdf(notice, lang, timezone.now())
            else:
                _, _, content = pdf.render_summary(notice, lang)
        except pdf.SummaryError as exc:
            raise CommandError(f"notice {id}: {exc}") from exc
        if output == "-":
            sys.stdout.buffer.write(content)
            sys.stdout.buffer.flush()
            return
        try:
            with open(output, "wb") as handle:
                handle.write(content)
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror}") from exc
        self.stdout.write(f"{output}: summary of notice {id} in {lang}, {len(content):,} bytes")
