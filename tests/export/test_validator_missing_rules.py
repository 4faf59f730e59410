"""A checkout without ../shared (the publishers' rules and SchXslt2): the validator says what is missing in
one line instead of a traceback, which runscheduler would print again every minute."""

import os
import subprocess
import sys

from django.conf import settings


def test_the_validator_names_what_is_missing(tmp_path):
    env = dict(os.environ, TRACKER_VAR_DIR=str(tmp_path), SCHXSLT_TRANSPILER=str(tmp_path / "nowhere" / "transpile.xsl"))
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=settings.BASE_DIR, env=env, check=True,
                   timeout=300)
    done = subprocess.run([sys.executable, "manage.py", "eforms_validator", "--once"], cwd=settings.BASE_DIR,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "nowhere/transpile.xsl is missing" in done.stderr and "SCHXSLT_TRANSPILER" in done.stderr
