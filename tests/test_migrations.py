from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_it_has_no_missing_migrations():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit as exc:  # --check exits 1 when a migration is missing
        pytest.fail(f"models changed without a migration:\n{out.getvalue()}")
        raise exc


@pytest.mark.django_db
def test_the_database_checks_warn_of_nothing():
    """Every manage.py command (bin/run's migrate first) runs these: a warning there is noise for everyone."""
    call_command("check", databases=["default"], fail_level="WARNING", stdout=StringIO())
