"""TED's published OpenAPI description (``../shared/realapi/ted-api-v3.yaml``) as the contract of the fake
TED server: every request the poller sends and every answer the fake gives are validated against it with
openapi-core, so a poller that drifts from the published API, or a fake that answers what TED never would,
fails the tests.

The published file cannot be used exactly as it stands; ``CORRECTIONS`` are the smallest changes that make
it mean what it evidently says, each checked by ``test_contract.py`` to be still needed (if TED fixes its
file, that test says which correction to drop):

1. ``PublicExpertSearchRequestV1.fields``: the list of field names is an ``enum`` of the array itself, not
   of its items, so no request with ``fields`` (required) could ever be valid. Moved into ``items``.
2. ``limit``: "up to 250 notices per page" is in its description only; made ``maximum: 250``.
3. The 400 answer is ``oneOf`` eight error schemas none of which requires anything, and
   ``UnsupportedValueException`` has no ``type`` at all, so every error body matches at least two and
   ``oneOf`` fails. Each error schema now requires its discriminating property (``type``; ``error`` for
   ``UnsupportedValueException``).
4. Answers are declared as ``*/*``: they are read as JSON (openapi-core does not guess a media type).
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from tests.conftest import realapi_path

SEARCH_REQUEST = "PublicExpertSearchRequestV1"
ERROR_SCHEMAS = (
    "QuerySyntaxErrorError", "QueryInvalidFieldFormatDetails", "QueryUnknownFieldError",
    "QueryUnsupportedFieldOperationError", "QueryUnsupportedFieldValueError", "ExpiredIterationTokenError",
    "InvalidIterationTokenError", "UnsupportedValueError",
)  # fmt: skip


@lru_cache(maxsize=1)
def published() -> dict:
    """TED's OpenAPI description as published."""
    with open(realapi_path("ted-api-v3.yaml"), encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def corrected(which=(1, 2, 3)) -> dict:
    spec = copy.deepcopy(published())
    schemas = spec["components"]["schemas"]
    fields = schemas[SEARCH_REQUEST]["properties"]["fields"]
    if 1 in which and "enum" in fields:
        fields["items"]["enum"] = fields.pop("enum")
    if 2 in which:
        schemas[SEARCH_REQUEST]["properties"]["limit"]["maximum"] = 250
    if 3 in which:
        for name in ERROR_SCHEMAS:
            schemas[name]["required"] = ["type"]
        schemas["UnsupportedValueException"]["required"] = ["error"]
    return spec


class Violation(AssertionError):
    pass


class TedContract:
    """Validates requests to and answers from TED's search endpoint against the (corrected) description."""

    def __init__(self, spec: dict | None = None):
        self.spec = spec if spec is not None else corrected()
        self.api = OpenAPI.from_dict(self.spec, config=Config(extra_media_type_deserializers={"*/*": json.loads}))

    def request(self, method: str, path: str, body: bytes, content_type: str) -> MockRequest:
        return MockRequest("https://api.ted.europa.eu", method.lower(), path, data=body, content_type=content_type)

    def check_request(self, method: str, path: str, body: bytes, content_type: str) -> None:
        try:
            self.api.validate_request(self.request(method, path, body, content_type))
        except Exception as exc:  # openapi-core's errors carry the schema errors in __cause__
            raise Violation(f"request {method} {path} {body[:300]!r}: {_why(exc)}") from None

    def check_answer(self, path: str, status: int, body: bytes) -> None:
        request = self.request("post", path, b"{}", "application/json")
        response = MockResponse(body, status_code=status, content_type="application/json")
        try:
            self.api.validate_response(request, response)
        except Exception as exc:
            raise Violation(f"answer {status} {body[:300]!r}: {_why(exc)}") from None

    def field_names(self) -> list[str]:
        return self.spec["components"]["schemas"][SEARCH_REQUEST]["properties"]["fields"]["items"]["enum"]


def _why(exc: Exception) -> str:
    cause = exc.__cause__
    errors = getattr(cause, "schema_errors", None)
    if errors:
        return "; ".join(str(e.message)[:200] for e in errors)
    return f"{exc.__class__.__name__}: {str(cause or exc)[:300]}"


@lru_cache(maxsize=1)
def contract() -> TedContract:
    return TedContract()
