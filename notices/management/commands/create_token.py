"""python manage.py create_token USER [--buyer Y-TUNNUS]... [--name TEXT] [--expires-days N] [--create-user]

Makes an API token for USER and prints its secret - once: only its SHA-256 is stored. Each ``--buyer``
(an identifier in any written form: 0206714-5, FI02067145) makes USER an officer of that buyer.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from notices.models import OfficerMembership
from notices.search import buyers_for
from notices.tokens import create_token


class Command(BaseCommand):
    help = "Create an API token for a user (printed once) and, with --buyer, make the user an officer of buyers."

    def add_arguments(self, parser):
        parser.add_argument("user", help="user name")
        parser.add_argument("--buyer", action="append", default=[], help="buyer identifier (repeatable)")
        parser.add_argument("--name", default="", help="what the token is for")
        parser.add_argument("--expires-days", type=int, default=None, help="the token expires after N days")
        parser.add_argument("--create-user", action="store_true", help="create the user if it does not exist")

    def handle(self, *args, **options):
        User = get_user_model()
        with transaction.atomic():
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                if not options["create_user"]:
                    raise CommandError(f"there is no user {options['user']!r} (add --create-user to make one)")
                user = User.objects.create_user(options["user"])
            for identifier in options["buyer"]:
                buyer = buyers_for(identifier).order_by("pk").first()
                if buyer is None:
                    raise CommandError(f"no buyer has the identifier {identifier!r} (ingest one of its notices first)")
                OfficerMembership.objects.get_or_create(user=user, buyer=buyer)
                self.stderr.write(f"{user.get_username()} is an officer of {buyer.name}")
            expires = None
            if options["expires_days"] is not None:
                expires = timezone.now() + dt.timedelta(days=options["expires_days"])
            _token, secret = create_token(user, options["name"], expires)
        self.stderr.write("API token (shown once; keep it secret):")
        self.stdout.write(secret)
