"""The API's one error body, defined once and used for every error status:

    {"error": {"code": "validation_error", "message": "...", "fields": [{"path": ["deadlines", 0, "at"],
                                                                         "message": "..."}]}}

``code`` is stable and machine-readable, ``message`` a sentence for a person, ``fields`` (possibly empty)
names each offending input by its path: a body field's path starts at the JSON body's root
(``["lots", 1, "cpv", 0]``); a query or path parameter's path is ``["query", name]`` / ``["path", name]``.
Handlers in ``tracker/api.py`` turn every exception into this shape.
"""

from __future__ import annotations

from ninja import Schema

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


def body(status: int, message: str, fields=(), code: str | None = None) -> dict:
    return {
        "error": {
            "code": code or CODES.get(status, "error"),
            "message": message,
            "fields": [{"path": list(path), "message": text} for path, text in fields],
        }
    }


def responses(*statuses: int) -> dict:
    """``response=`` entries for the error statuses an operation can answer."""
    return {status: ErrorOut for status in statuses}


class ApiError(Exception):
    """Raise from an endpoint to answer with the error shape. ``fields`` is [(path, message)]."""

    status = 400

    def __init__(self, message: str, *, fields=(), status: int | None = None, code: str | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = list(fields)
        if status is not None:
            self.status = status
        self.code = code
        self.headers = headers or {}


class NotFound(ApiError):
    status = 404


class Forbidden(ApiError):
    status = 403


class Unauthorized(ApiError):
    status = 401


class Conflict(ApiError):
    status = 409


class Invalid(ApiError):
    status = 422


class RateLimited(ApiError):
    status = 429
