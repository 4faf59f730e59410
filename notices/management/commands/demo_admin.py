"""Creates the embedded demo's administrator once, with a random password kept in var/admin-password."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the demo administrator (user 'admin') if there is none, and print how to log in."

    def handle(self, *args, **options):
        path = settings.VAR_DIR / "admin-password"
        users = get_user_model().objects
        if not users.filter(username="admin").exists():
            password = secrets.token_urlsafe(12)
            users.create_superuser("admin", "admin@localhost", password)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(password + "\n")
            path.chmod(0o600)
        where = f"{settings.SITE_URL}/admin/"
        if path.exists():
            self.stdout.write(f"Admin: {where}  user: admin  password: {path.read_text().strip()}  (from {path})")
        else:
            self.stdout.write(f"Admin: {where}  user: admin (password set earlier)")
