"""A fake TED eSender API on 127.0.0.1 whose every request and answer is checked against TED's own
OpenAPI description (``../shared/realapi/ted-api-v3.yaml``) with openapi-core. What it answers is set per
test; what it found wrong is in ``errors`` (a test asserts it is empty: the client speaks the contract,
and the fake answers only what the contract allows)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.validation.request.exceptions import MissingRequiredParameter
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.conftest import corpus_path

_SPEC: dict | None = None


def spec() -> dict:
    global _SPEC
    if _SPEC is None:
        path = corpus_path().parent / "realapi" / "ted-api-v3.yaml"
        _SPEC = yaml.safe_load(path.read_text(encoding="utf-8"))
    return _SPEC


@dataclass
class Answer:
    status: int
    body: object  # dict -> JSON, bytes -> as is
    content_type: str = "application/json"


@dataclass
class FakeTed:
    answers: dict = field(default_factory=dict)  # (method, path) -> Answer
    requests: list = field(default_factory=list)  # (method, path, query, headers, form, files)
    errors: list = field(default_factory=list)
    token: str = "ted-test-token"

    def __post_init__(self):
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        document = dict(spec())
        document["servers"] = [{"url": self.url}]  # where it runs is no part of the contract
        self.openapi = OpenAPI.from_dict(document)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()

    def _exploded_object(self, error, request) -> bool:
        """openapi-core 0.23 reads an object query parameter (``searchNotices``, style form, explode true,
        the OpenAPI defaults) from a query key of its own name, while the standard sends the object's
        properties as keys (``?id=...&versionId=...``). For that parameter only, the query is checked
        against the parameter's own schema here instead."""
        if error.name != "searchNotices" or request.path != "/v3/notices":
            return False
        from openapi_schema_validator import OAS30Validator

        schema = {**spec()["components"]["schemas"]["NoticeSearchRequest"], "additionalProperties": False}
        problems = list(OAS30Validator(schema).iter_errors(dict(request.args)))
        self.errors.extend(f"request GET /v3/notices: {p.message}" for p in problems)
        return True

    def _app(self, environ, start_response):
        request = Request(environ)
        body = request.get_data(cache=True)
        self.requests.append((request.method, request.path, dict(request.args), dict(request.headers), body))
        wrapped = WerkzeugOpenAPIRequest(request)
        try:
            self.openapi.validate_request(wrapped)
        except MissingRequiredParameter as error:
            if not self._exploded_object(error, request):
                self.errors.append(f"request {request.method} {request.path}: {error!r}")
        except Exception as error:  # noqa: BLE001 - every kind of contract breach is recorded
            self.errors.append(f"request {request.method} {request.path}: {error!r} {getattr(error, '__cause__', '')!r}")
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            answer = Answer(401, {"code": "UNAUTHORIZED", "message": "The provided TED API key is invalid."})
        else:
            answer = self.answers.get((request.method, request.path)) or Answer(
                404, {"code": "NOT_FOUND", "message": "Notice was not found."})
        data = json.dumps(answer.body).encode() if not isinstance(answer.body, bytes) else answer.body
        response = Response(data, status=answer.status, content_type=answer.content_type)
        try:
            self.openapi.validate_response(wrapped, WerkzeugOpenAPIResponse(response))
        except Exception as error:  # noqa: BLE001
            self.errors.append(f"response {answer.status} to {request.path}: {error!r}")
        return response(environ, start_response)
