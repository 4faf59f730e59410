"""TED's eSender API, as ``../shared/realapi/ted-api-v3.yaml`` describes it (the contract tests run a fake
server that checks every request and answer against that file).

* ``POST /v3/notices/submit`` (multipart: ``metadata`` as JSON with ``noticeAuthorEmail`` and
  ``noticeAuthorLang``, ``notice`` the XML) -> 201 ``{"success", "validationReportUrl"}``: ``success``
  false means TED's validation (CVS) refused it and the report says why.
* ``POST /v3/notices/validate`` (JSON: ``notice`` Base64, ``language``, ``validationMode``) -> the SVRL.
* ``GET /v3/notices/{businessId}/validation-report`` -> the SVRL of a submitted notice (``<uuid>-<version>``).
* ``GET /v3/notices?id=&versionId=`` (the ``searchNotices`` object as form-style query parameters) ->
  ``{"content": [Notice]}``: its ``status`` (SUBMITTED, PUBLISHED, VALIDATION_FAILED, STOPPED...) and,
  once published, ``publicationId`` and ``publicationDate``.

Every call sends ``Authorization: Bearer <TED_ESENDER_TOKEN>`` (the specification's security scheme
``token``: HTTP bearer) to ``TED_ESENDER_URL``. Errors come back as ``TedError`` with the HTTP status and
TED's code and message (``ExceptionBody`` or ``TedAppsErrorReponse``); a network failure is a ``TedError``
with status None. Nothing here touches the database: ``notices.export.service`` keeps the states.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import requests
from django.conf import settings

# TED's notice statuses (NoticeStatus in the specification) -> EformsNotice.State values.
STATES = {
    "SUBMITTED": "submitted",
    "PUBLISHING": "submitted",
    "PUBLISHED": "published",
    "VALIDATION_FAILED": "validation-failed",
    "STOPPED": "stopped",
    "NOT_PUBLISHED": "not-published",
    "DELETED": "not-published",
    "ARCHIVED": "published",
    "DRAFT": "exported",
}


class TedError(Exception):
    """TED said no, or could not be reached (``status`` None)."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Submitted:
    success: bool
    validation_report_url: str | None


class Client:
    def __init__(self, base_url: str | None = None, token: str | None = None, *, timeout: float | None = None,
                 session: requests.Session | None = None):
        self.base_url = (base_url or settings.TED_ESENDER_URL).rstrip("/")
        self.token = token if token is not None else settings.TED_ESENDER_TOKEN
        self.timeout = timeout or settings.TED_ESENDER_TIMEOUT
        self.session = session or requests.Session()

    # -- the calls

    def submit(self, xml: bytes, *, author_email: str, author_language: str = "fi") -> Submitted:
        """Submit a notice for publication. ``success`` false: TED's validation refused it."""
        metadata = {"noticeAuthorEmail": author_email, "noticeAuthorLang": author_language}
        response = self._call(
            "POST", "/v3/notices/submit",
            files={
                "metadata": (None, json.dumps(metadata), "application/json"),
                "notice": ("notice.xml", xml, "application/xml"),
            },
            expect=(201,),
        )
        body = response.json()
        return Submitted(bool(body.get("success")), body.get("validationReportUrl"))

    def validate(self, xml: bytes, *, language: str = "en", mode: str = "static") -> bytes:
        """TED's own check of a notice, without submitting it: the SVRL report."""
        body = {"notice": base64.b64encode(xml).decode("ascii"), "language": language, "validationMode": mode}
        return self._call("POST", "/v3/notices/validate", json=body, expect=(200,)).content

    def validation_report(self, business_id: str) -> bytes:
        """The SVRL report of a submitted notice (``<uuid>-<version>``)."""
        return self._call("GET", f"/v3/notices/{business_id}/validation-report", expect=(200,)).content

    def status(self, notice_id: str, version_id: str = "01") -> dict | None:
        """TED's record of a submitted notice (``Notice``: status, publicationId...), None if unknown."""
        response = self._call("GET", "/v3/notices", params={"id": notice_id, "versionId": version_id},
                              expect=(200,))
        content = response.json().get("content") or []
        return content[0] if content else None

    # -- plumbing

    def _call(self, method: str, path: str, *, expect: tuple[int, ...], **kwargs) -> requests.Response:
        if not self.token:
            raise TedError("TED_ESENDER_TOKEN is not set: TED's eSender API needs an API key")
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json, application/xml, */*"}
        try:
            response = self.session.request(method, self.base_url + path, headers=headers, timeout=self.timeout,
                                            **kwargs)
        except requests.RequestException as error:
            raise TedError(f"TED could not be reached: {error}") from error
        if response.status_code not in expect:
            raise _error(response)
        return response


def _error(response: requests.Response) -> TedError:
    code = message = None
    try:
        body = response.json()
        if isinstance(body, dict):
            code = body.get("code") or (str(body["errorCode"]) if body.get("errorCode") is not None else None)
            message = body.get("message")
    except ValueError:
        message = response.text[:500] or None
    return TedError(message or f"TED answered {response.status_code}", response.status_code, code)
