"""python manage.py load_code_labels [FOLDER] — CPV, NUTS, procedure type and notice subtype names in
Finnish, Swedish and English from the eForms SDK's code labels (default: CODE_LABELS_DIR)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from notices import codes


class Command(BaseCommand):
    help = "Load code names (CPV, NUTS...) from the eForms SDK's translations/code_{fi,sv,en}.xml."

    def add_arguments(self, parser):
        parser.add_argument("folder", nargs="?", help="the SDK's translations folder (default: CODE_LABELS_DIR)")
        parser.add_argument("--if-present", action="store_true", help="say so and succeed when the folder is absent")

    def handle(self, *args, folder=None, if_present=False, **options):
        path = Path(folder or settings.CODE_LABELS_DIR)
        if not (path / "code_fi.xml").is_file():
            if if_present:
                self.stdout.write(f"Code labels: none at {path}; codes are shown without names.")
                return
            raise CommandError(f"no code_fi.xml in {path}: give the eForms SDK's translations folder")
        count = codes.load(path)
        self.stdout.write(f"Code labels: {count:,} codes with names in fi, sv and en from {path}")
