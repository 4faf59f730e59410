"""What a service can refuse, said once for the whole project: no Django, no HTTP, no ninja.

The services (search, officers, following a notice, tokens) raise these; each delivery turns them into
its own form: the REST API into its one error body with a status (``notices/api/errors.py``: NotFound is
404, Invalid 422 with each field's path, RateLimited 429 and Unavailable 503 with ``Retry-After``...), the
pages into a message beside the field. ``fields`` is a list of ``FieldError(path, message)``: a body field's path starts at the
JSON body's root (``("deadlines", 0, "at")``), a query parameter's is ``("query", name)``.
"""

from __future__ import annotations

from typing import NamedTuple


class FieldError(NamedTuple):
    path: tuple
    message: str


class ServiceError(Exception):
    """A request the service will not carry out; ``message`` says why, for a person."""

    def __init__(self, message: str, *, fields=(), headers: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = [f if isinstance(f, FieldError) else FieldError(tuple(f[0]), f[1]) for f in fields]
        self.headers = dict(headers or {})


class BadRequest(ServiceError):
    """The request cannot be understood."""


class Unauthorized(ServiceError):
    """Who is asking is unknown (no credentials, or wrong ones)."""


class NotAllowed(ServiceError):
    """Known, but not allowed to do this."""


class NotFound(ServiceError):
    """No such thing (or not one the asker may know of)."""


class Conflict(ServiceError):
    """The action does not fit the thing's state (publishing twice, correcting a cancelled notice...)."""


class Invalid(ServiceError):
    """What was sent is not acceptable; ``fields`` says what, field by field."""

    def __init__(self, message: str = "The request has problems; see fields.", *, fields=(), headers=None):
        super().__init__(message, fields=fields, headers=headers)


class Unavailable(ServiceError):
    """Cannot be answered right now, through no fault of the request (what is needed is still being
    prepared): come back in ``wait`` seconds."""

    def __init__(self, message: str, *, wait: int = 60):
        super().__init__(message, headers={"Retry-After": str(wait)})
        self.wait = wait


class RateLimited(ServiceError):
    """Too many of these in a short time: come back in ``wait`` seconds."""

    def __init__(self, message: str, *, wait: int):
        super().__init__(message, headers={"Retry-After": str(wait)})
        self.wait = wait
