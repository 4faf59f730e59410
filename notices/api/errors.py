"""The API's one error body, defined once and used for every error status:

    {"error": {"code": "validation_error", "message": "...", "fields": [{"path": ["deadlines", 0, "at"],
                                                                         "message": "..."}]}}

``code`` is stable and machine-readable, ``message`` a sentence for a person, ``fields`` (possibly empty)
names each offending input by its path: a body field's path starts at the JSON body's root
(``["lots", 1, "cpv", 0]``); a query or path parameter's path is ``["query", name]`` / ``["path", name]``.
Services raise ``notices.errors``; ``STATUS`` says which status each is, and the handlers in
``tracker/api.py`` turn every exception into this shape.
"""

from __future__ import annotations

from ninja import Schema

from notices import errors

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "validation_error",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}
STATUS = {
    errors.BadRequest: 400,
    errors.Unauthorized: 401,
    errors.NotAllowed: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Invalid: 422,
    errors.RateLimited: 429,
    errors.Unavailable: 503,
}


class FieldErrorOut(Schema):
    path: list[str | int]
    message: str


class ErrorBody(Schema):
    code: str
    message: str
    fields: list[FieldErrorOut]


class ErrorOut(Schema):
    error: ErrorBody


def status_of(exc: errors.ServiceError) -> int:
    return next((status for cls, status in STATUS.items() if isinstance(exc, cls)), 400)


def body(status: int, message: str, fields=(), code: str | None = None) -> dict:
    return {
        "error": {
            "code": code or CODES.get(status, "error"),
            "message": message,
            "fields": [{"path": list(path), "message": str(text)} for path, text in fields],
        }
    }


def responses(*statuses: int) -> dict:
    """``response=`` entries for the error statuses an operation can answer."""
    return {status: ErrorOut for status in statuses}
