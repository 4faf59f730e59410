"""Every request has an id (X-Request-ID), in its log lines and on its error page or error body (issue 12:
every 500 that remains possible is logged with it and answered in the API's one error shape)."""

import logging

import pytest
from django.test import Client

from notices import search

pytestmark = pytest.mark.django_db


def broken(*args, **kwargs):
    raise RuntimeError("a bug nobody has found yet")


def test_every_answer_names_its_request():
    first, second = Client().get("/api/health"), Client().get("/")
    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]


def test_an_api_500_is_the_error_shape_with_the_request_id_and_is_logged_with_it(monkeypatch, caplog):
    monkeypatch.setattr(search, "page", broken)
    with caplog.at_level(logging.ERROR):
        response = Client(raise_request_exception=False).get("/api/notices")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    error = response.json()["error"]
    assert error["code"] == "server_error" and request_id in error["message"] and error["fields"] == []
    assert "a bug nobody has found yet" not in response.content.decode()
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged and all(getattr(r, "request_id", None) == request_id for r in logged)
    assert any(r.exc_info and "a bug nobody" in str(r.exc_info[1]) for r in logged)


def test_a_page_500_shows_the_request_id_and_is_logged_with_it(monkeypatch, caplog):
    monkeypatch.setattr(search, "page", broken)
    with caplog.at_level(logging.ERROR):
        response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert request_id in response.content.decode()
    assert "a bug nobody has found yet" not in response.content.decode()
    logged = [r for r in caplog.records if r.name == "django.request" and r.levelno >= logging.ERROR]
    assert logged and logged[0].request_id == request_id


def test_the_log_format_carries_the_request_id():
    from django.conf import settings

    assert "%(request_id)s" in settings.LOGGING["formatters"]["plain"]["format"]
    assert "request_id" in settings.LOGGING["handlers"]["console"]["filters"]
