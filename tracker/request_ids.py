"""Every request gets an id: in the ``X-Request-ID`` header of its answer, in every log line written while
it runs, and on the error page or in the API's error body when it fails, so a person who saw an error
can name it and an operator can find its traceback."""

from __future__ import annotations

import contextvars
import logging
import uuid

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpResponseServerError, JsonResponse
from django.template import TemplateDoesNotExist, loader
from django.utils.html import escape

from notices.api.errors import body

_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def current() -> str:
    """The id of the request being answered ("-" outside one)."""
    return _current.get()


class RequestIdMiddleware:
    """First in MIDDLEWARE, so every later step (and its log lines) runs with the id set."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        # Kept until the request is finished (below), not only while the middleware runs: Django logs a
        # 4xx or 5xx answer ("Internal Server Error: /path") after the middleware has returned.
        _current.set(request.request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


@receiver(request_finished)
def _forget(**kwargs) -> None:
    _current.set("-")


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every record a handler gets (LOGGING's console formatter shows it), also
    those made before this module was imported."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _current.get()
        return True


_plain_records = logging.getLogRecordFactory()


def _record_with_id(*args, **kwargs) -> logging.LogRecord:
    record = _plain_records(*args, **kwargs)
    record.request_id = _current.get()
    return record


# Every record made while a request is answered carries its id, whichever handler gets it (the console,
# mail to ADMINS, a test's capture).
logging.setLogRecordFactory(_record_with_id)


def server_error_message(request_id: str) -> str:
    return f"Something went wrong on our side; it has been logged as request {request_id}."


def server_error(request):
    """handler500: the API's one error shape under /api/, else the 500 page (``500.html`` when there is
    one, given ``request_id``; a plain page naming the request otherwise). Django has logged the error."""
    request_id = getattr(request, "request_id", None) or current()
    if request.path.startswith("/api/"):
        response = JsonResponse(body(500, server_error_message(request_id)), status=500)
    else:
        try:
            html = loader.get_template("500.html").render({"request_id": request_id})
        except TemplateDoesNotExist:
            html = (
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Server error</title></head>"
                "<body><h1>Server error</h1><p>Something went wrong on our side. It has been logged; if you "
                f"write to us, quote request <code>{escape(request_id)}</code>.</p></body></html>"
            )
        response = HttpResponseServerError(html)
    response["X-Request-ID"] = request_id
    return response
