"""API tokens (hashed, shown once, revocable, never logged), the create_token command, the admin, and
production settings that pass ``check --deploy``."""

import datetime as dt
import hashlib
import io
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from notices.models import ApiToken, OfficerMembership
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_only_the_hash_of_a_token_is_stored(people):
    secret = people["officer"][1]
    token = ApiToken.objects.get(user__username="officer")
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {token.prefix, token.token_hash, token.name} and secret.startswith(token.prefix)
    me = Api(secret).get("/api/me").json()
    assert me["username"] == "officer" and me["buyers"][0]["name"] == "Kymenlaakson Liitto"
    assert me["token"]["prefix"] == token.prefix and "token_hash" not in me["token"]
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoked_expired_and_inactive_are_refused(people):
    user, secret = people["officer"]
    api = Api(secret)
    assert api.get("/api/me").status_code == 200
    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert api.get("/api/me").status_code == 401
    ApiToken.objects.filter(user=user).update(expires_at=None, revoked_at=timezone.now())
    assert api.get("/api/me").status_code == 401
    ApiToken.objects.filter(user=user).update(revoked_at=None)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert api.get("/api/me").status_code == 401


def test_a_bad_token_is_a_401_and_never_reaches_the_log(people, caplog, settings):
    settings.DEBUG = True  # django-ninja's own bearer parser would log the header then; ours does not
    secret = "ptk_" + secrets.token_urlsafe(32)
    odd = "Token " + secret
    with caplog.at_level(logging.DEBUG):
        bad = Api(secret).get("/api/officer/drafts")
        other_scheme = Api().get("/api/officer/drafts", HTTP_AUTHORIZATION=odd)
        bad_subscription = Api(secret).get("/api/subscriptions")
        good = Api(people["officer"][1]).post("/api/officer/drafts", {"title": "x"})
    assert bad.status_code == other_scheme.status_code == bad_subscription.status_code == 401
    assert bad.json()["error"]["code"] == "unauthorized"
    assert good.status_code == 201
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert "Unauthorized" in logged  # the request was logged...
    assert secret not in logged and people["officer"][1] not in logged  # ...without any token


def test_repeated_bad_tokens_are_slowed_down(db, settings):
    settings.API_AUTH_FAILURES = 3
    api = Api("ptk_wrong")
    assert [api.get("/api/me").status_code for _ in range(4)] == [401, 401, 401, 429]
    limited = api.get("/api/me")
    assert limited.json()["error"]["code"] == "rate_limited" and int(limited["Retry-After"]) > 0


def test_create_token_command_makes_an_officer_and_prints_the_secret_once(buyers):
    User.objects.create_user("anna")
    out, err = io.StringIO(), io.StringIO()
    call_command("create_token", "anna", "--buyer", "FI02067145", "--name", "hankintajärjestelmä", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    assert secret.startswith("ptk_") and "shown once" in err.getvalue()
    assert OfficerMembership.objects.get(user__username="anna").buyer == buyers[0]
    assert Api(secret).get("/api/me").json()["buyers"][0]["name"] == "Kymenlaakson Liitto"
    with pytest.raises(Exception, match="no buyer"):
        call_command("create_token", "anna", "--buyer", "0000000-0", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(Exception, match="no user"):
        call_command("create_token", "nobody", stdout=io.StringIO(), stderr=io.StringIO())


def test_the_admin_shows_a_new_token_once(db, client):
    admin = User.objects.create_superuser("root", "root@example.fi", None)
    bidder = User.objects.create_user("bidder")
    client.force_login(admin)
    response = client.post(
        "/admin/notices/apitoken/add/", {"user": bidder.pk, "name": "laptop"}, follow=True
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    (message,) = [m for m in shown if "The new API token is" in m]
    secret = message.split("The new API token is ")[1].split(" ")[0]
    token = ApiToken.objects.get(user=bidder)
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in client.get(f"/admin/notices/apitoken/{token.pk}/change/").content.decode()
    assert Api(secret).get("/api/me").json()["username"] == "bidder"


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "DEBUG", "SECRET_KEY"))},
        "TRACKER_VAR_DIR": str(tmp_path),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "tracker.example.fi",
        "CSRF_TRUSTED_ORIGINS": "https://tracker.example.fi",
        "SITE_URL": "https://tracker.example.fi",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_COOKIES": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
        "BEHIND_PROXY": "true",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    # And the same without the hardening settings fails, so the test can tell.
    weak = {k: v for k, v in env.items() if not k.startswith("SECURE_")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=weak, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0 and "security.W004" in result.stderr + result.stdout


def test_an_unexpected_error_is_a_500_in_the_error_shape_without_details(db, monkeypatch, caplog):
    import notices.api.notices

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(notices.api.notices.search, "page", boom)
    with caplog.at_level(logging.ERROR, logger="tracker.api"):
        response = Api().get("/api/notices")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert "secret internals" not in response.content.decode()
    assert "secret internals" in caplog.text  # logged for the operator
