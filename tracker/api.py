"""The project's one NinjaAPI; each app mounts its router here. OpenAPI at /api/openapi.json, docs at
/api/docs.

Every error leaves in one shape (notices/api/errors.py): ``{"error": {"code", "message", "fields"}}``. The
handlers below translate ninja's validation errors (422, with the path of each field), HTTP errors,
authentication failures (401 with ``WWW-Authenticate: Bearer``), 404s, the services' refusals
(``notices.errors``: 401, 403, 404, 409, 422, 429) and anything unexpected (500: logged with its traceback,
answered without it).
"""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from ninja import NinjaAPI, Router, Schema, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.operation import PathView

from notices import errors
from notices.api.errors import body, status_of
from notices.api.notices import officer_router
from notices.api.notices import router as notices_router
from scheduler.alerts_api import router as alerts_router
from scheduler.api import router as scheduler_router
from tracker import request_ids

logger = logging.getLogger("tracker.api")

api = NinjaAPI(
    title="Procurement notice tracker API",
    version="1",
    description=(
        "Public procurement notices, their deadlines and buyers; officers' drafts, publications, corrections "
        "and cancellations; deadline subscriptions. Authenticate with `Authorization: Bearer <API token>`. "
        'Every error is `{"error": {"code": ..., "message": ..., "fields": [{"path": [...], "message": ...}]}}`.'
    ),
    # Served from ninja's static files ("ninja" in INSTALLED_APPS); no online validator badge either, so
    # the docs make no request beyond this site.
    docs=Swagger(settings={"validatorUrl": None}),
)


def _answer(request, status: int, message: str, fields=(), code=None, headers=None):
    response = api.create_response(request, body(status, message, fields, code), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _path(loc) -> list:
    """A pydantic/ninja error location as a path: body fields from the body's root, parameters as
    ["query", name] / ["path", name]."""
    loc = list(loc)
    if loc and loc[0] == "body":
        return loc[2:] if len(loc) > 2 else loc[1:] or ["body"]
    return loc


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    fields = [(_path(e.get("loc", ())), e.get("msg", "is not valid")) for e in exc.errors]
    first = fields[0][1] if len(fields) == 1 else "see fields"
    return _answer(request, 422, f"The request is not valid: {first}.", fields)


@api.exception_handler(errors.ServiceError)
def _service_error(request, exc: errors.ServiceError):
    status = status_of(exc)
    headers = dict(exc.headers)
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
    return _answer(request, status, exc.message, exc.fields, headers=headers)


@api.exception_handler(AuthenticationError)
def _authentication_error(request, exc: AuthenticationError):
    return _answer(request, 401, "Authentication is required.", headers={"WWW-Authenticate": 'Bearer realm="api"'})


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return _answer(request, exc.status_code, str(exc) or "Error.")


@api.exception_handler(Http404)
def _not_found(request, exc: Http404):
    return _answer(request, 404, "Not found.")


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc: PermissionDenied):
    return _answer(request, 403, str(exc) or "Forbidden.")


@api.exception_handler(Exception)
def _server_error(request, exc: Exception):
    request_id = getattr(request, "request_id", None) or request_ids.current()
    logger.error("API error on %s %s (request %s)", request.method, request.path, request_id, exc_info=exc)
    return _answer(request, 500, request_ids.server_error_message(request_id), headers={"X-Request-ID": request_id})


def _method_not_allowed(path_view):
    """django-ninja answers a wrong method with a bare text 405; ours uses the error shape too."""
    methods = sorted({m for op in path_view.operations for m in op.methods})
    response = JsonResponse(body(405, f"This endpoint accepts {', '.join(methods)}."), status=405)
    response["Allow"] = ", ".join(methods)
    return response


PathView._not_allowed = _method_not_allowed  # the one NinjaAPI of the project; nothing else uses ninja


class HealthOut(Schema):
    status: str


@api.get("/health", response=HealthOut, tags=["health"], summary="Liveness: answers without the database")
def health(request):
    return {"status": "ok"}


api.add_router("/", notices_router)
api.add_router("/", officer_router)
api.add_router("/", scheduler_router)
api.add_router("/", alerts_router)
api.add_router("/", "notices.api.sources.router")  # GET /api/sources (scheduled sources, staff)
api.add_router("/", "notices.api.eforms.router")  # /api/officer/{notices,drafts}/{id}/eforms... (the eForms export)


# Last: any other path under /api/ is a 404 in the error shape too (not Django's HTML page).
_fallback = Router(tags=["fallback"])


@_fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:unknown}", include_in_schema=False, auth=None
)
def unknown_path(request, unknown: str):
    raise errors.NotFound(f"There is no API endpoint /api/{unknown}.")


api.add_router("/", _fallback)
