"""Fake TED and Hilma APIs on the loopback server, answering as the real ones are documented to.

``FakeTed`` serves ``POST /v3/notices/search`` from a list of notices: it reads the expert query's
``publication-date >= YYYYMMDD`` (a date in another form matches nothing, as on TED: 200 and no notices),
honours ``scope`` (``ACTIVE``, TED's default, lists only active notices), ``limit``, ``paginationMode``
``ITERATION`` with ``iterationNextToken`` (and sends a token with its last page, as TED does), and serves
each notice's XML at its ``links.xml.MUL``. Every request it receives and every answer it gives is checked
against TED's published OpenAPI description (``tests/polling/contract.py``); what does not conform is kept
in ``violations`` and fails the test (the ``ted`` fixture). Scripted answers (``timed_out``, ``refuse``)
stand in for what TED does at times: ``timedOut: true``, the specification's 400 errors.

``FakeHilma`` serves the eForms search index (``POST /avp/eformnotices/docs/search``: ``search``,
``filter`` with ``datePublished ge``, ``isEForms eq``, ``isPlan eq``; ``orderby``, ``top``, ``skip``,
``count``, ``select``; answer ``value[]`` and ``@odata.count``) and the eForms notice endpoint (JSON with
``eForm``, the Base64 of the XML), both behind the ``Ocp-Apim-Subscription-Key`` header, and can answer
429 with a plain-string body. Plans and pre-eForms notices are in the index but not at the eForms
endpoint (404), as on Hilma.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from dataclasses import dataclass, field

from tests.httpserver import Request, Response
from tests.polling.contract import Violation, contract

SEARCH = "/v3/notices/search"
JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass
class TedNotice:
    number: str  # as TED writes it: unpadded, "479730-2026"
    published: str  # publication-date as TED gives it, "2026-03-02+01:00"
    xml: bytes
    active: bool = True  # listed with scope ACTIVE (TED's default); a result or a cancellation is not
    xml_hits: int = 0


@dataclass
class FakeTed:
    server: object
    notices: list[TedNotice] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    # What the next searches answer, in turn: "ok" (computed), "timed-out" (computed, but part of the page
    # and timedOut: true) or (status, body); once they are used up, every search is computed.
    scripted: list = field(default_factory=list)
    expired: set[str] = field(default_factory=set)  # tokens answered with EXPIRED_ITERATION_TOKEN
    bodies: list[dict] = field(default_factory=list)  # every search body received
    omit_links: bool = False  # results without links (the poller falls back to TED_NOTICE_XML_URL)

    def __post_init__(self):
        self.server.serve(SEARCH, self._search)

    # --- what the test sets up

    def add(self, number: str, published: str, xml: bytes, *, active: bool = True) -> TedNotice:
        notice = TedNotice(number, published, xml, active)
        self.notices.append(notice)
        self.server.serve(f"/en/notice/{number}/xml", lambda request: self._xml(notice, request))
        return notice

    def timed_out(self, times: int = 1) -> None:
        """The next ``times`` searches answer ``timedOut: true`` with part of their page."""
        self.scripted.extend(["timed-out"] * times)

    def refuse(self, body: dict, status: int = 400) -> None:
        """The next search answers this error body (checked against the specification first)."""
        self.scripted.append((status, body))

    # --- what the poller sent

    @property
    def searches(self) -> list[Request]:
        return self.server.requests_to(SEARCH)

    def xml_requests(self) -> list[Request]:
        return [r for r in self.server.log if r.path.endswith("/xml")]

    # --- the server side

    def _search(self, request: Request) -> Response:
        try:
            contract().check_request(request.method, request.path, request.body, request.headers.get("Content-Type", ""))
        except Violation as exc:
            self.violations.append(str(exc))
            return self._answer(400, {"type": "QUERY_SYNTAX_ERROR"})
        body = request.json()
        self.bodies.append(body)
        scripted = self.scripted.pop(0) if self.scripted else "ok"
        if isinstance(scripted, tuple):
            return self._answer(*scripted)
        if body.get("checkQuerySyntax"):
            return self._answer(200, {"notices": [], "totalNoticeCount": 0})
        token = body.get("iterationNextToken")
        if token in self.expired:
            return self._answer(400, {"type": "EXPIRED_ITERATION_TOKEN"})
        matches = self._matching(body)
        start = int(token.split("-")[1]) if token else 0
        page = matches[start : start + body.get("limit", 10)]
        answer = {"notices": [self._result(n, body["fields"]) for n in page], "totalNoticeCount": len(matches)}
        if body.get("paginationMode") == "ITERATION":
            answer["iterationNextToken"] = f"it-{start + len(page)}"  # also with the last, empty page
        if scripted == "timed-out":
            answer["notices"] = answer["notices"][:1]
            answer["timedOut"] = True
            answer["iterationNextToken"] = f"it-{start + 1}"
        else:
            answer["timedOut"] = False
        return self._answer(200, answer)

    def _matching(self, body: dict) -> list[TedNotice]:
        query = body["query"]
        found = [n for n in self.notices if body.get("scope", "ACTIVE") == "ALL" or n.active]
        for operator, value in re.findall(r"publication-date\s*(>=|<=|=)\s*(\S+?)\)?(?:\s|$)", query):
            if not re.fullmatch(r"\d{8}", value):
                return []  # TED: a date in another form matches nothing, and that is no error
            compare = {">=": str.__ge__, "<=": str.__le__, "=": str.__eq__}[operator]
            found = [n for n in found if compare(n.published[:10].replace("-", ""), value)]
        return sorted(found, key=lambda n: (n.published, n.number))

    def _result(self, notice: TedNotice, fields: list[str]) -> dict:
        result = {
            "publication-number": notice.number,
            "publication-date": [notice.published],  # NoticeResponse: an array of strings
            "links": {
                "xml": {"MUL": f"{self.server.base}/en/notice/{notice.number}/xml"},
                "pdf": {"ENG": f"{self.server.base}/en/notice/{notice.number}/pdf"},
                "html": {"ENG": f"{self.server.base}/en/notice/-/detail/{notice.number}"},
            },
        }
        if self.omit_links:
            del result["links"]
        return {k: v for k, v in result.items() if k in fields}

    def _answer(self, status: int, body: dict) -> Response:
        data = json.dumps(body).encode()
        try:
            contract().check_answer(SEARCH, status, data)
        except Violation as exc:
            self.violations.append(f"the fake's own {exc}")
        return Response(status, data, JSON_HEADERS)

    def _xml(self, notice: TedNotice, request: Request) -> Response:
        notice.xml_hits += 1
        return Response(200, notice.xml, {"Content-Type": "application/xml"})


HILMA_SEARCH = "/avp/eformnotices/docs/search"
HILMA_NOTICE = "/avp-eforms/external-read/v1/notice/{id}"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
# Azure AI Search's "Search Documents" POST body: what a client may send.
AZURE_SEARCH_PARAMETERS = {
    "count", "facets", "filter", "highlight", "highlightPostTag", "highlightPreTag", "minimumCoverage",
    "orderby", "queryType", "scoringParameters", "scoringProfile", "search", "searchFields", "searchMode",
    "select", "skip", "top",
}  # fmt: skip


@dataclass
class FakeHilma:
    server: object
    key: str = "test-key"
    documents: list[dict] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    throttled: int = 0  # the next this many requests answer 429
    throttle_text: str = "Rate limit is exceeded. Try again in 60 seconds."

    def __post_init__(self):
        self.server.serve(HILMA_SEARCH, self._search)

    def add_eforms(self, notice_id: int, published: str, xml: bytes) -> str:
        """An eForms notice: in the index and at the eForms endpoint (JSON, ``eForm`` in Base64)."""
        self.documents.append({"noticeId": notice_id, "datePublished": published, "isEForms": True, "isPlan": False})
        body = {
            "id": notice_id,
            "procedureId": 9000 + notice_id,
            "eForm": base64.b64encode(xml).decode(),
            "dateCreated": published,
            "dateModified": published,
        }
        path = HILMA_NOTICE.format(id=notice_id)
        self.server.serve(path, lambda request: self._guarded(request, Response(200, json.dumps(body).encode(), JSON_HEADERS)))
        return path

    def add_plan(self, notice_id: int, published: str) -> None:
        self.documents.append({"noticeId": notice_id, "datePublished": published, "isEForms": True, "isPlan": True})

    def add_pre_eforms(self, notice_id: int, published: str) -> None:
        self.documents.append({"noticeId": notice_id, "datePublished": published, "isEForms": False, "isPlan": False})

    @property
    def searches(self) -> list[Request]:
        return self.server.requests_to(HILMA_SEARCH)

    def _guarded(self, request: Request, response: Response) -> Response:
        if request.headers.get(KEY_HEADER) != self.key:
            message = "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."
            return Response(401, json.dumps({"statusCode": 401, "message": message}).encode(), JSON_HEADERS)
        if request.headers.get("Accept") != "application/json":
            self.violations.append(f"{request.path}: Accept {request.headers.get('Accept')!r}, not application/json")
        if self.throttled:
            self.throttled -= 1
            return Response(429, self.throttle_text.encode(), {"Content-Type": "text/plain", "Retry-After": "60"})
        return response

    def _search(self, request: Request) -> Response:
        denied = self._guarded(request, Response(200))
        if denied.status != 200:
            return denied
        body = request.json()
        if unknown := set(body) - AZURE_SEARCH_PARAMETERS:
            self.violations.append(f"search parameters Azure AI Search does not know: {sorted(unknown)}")
        if not isinstance(body.get("top", 50), int) or not 0 <= body.get("top", 50) <= 1000:
            self.violations.append(f"top must be 0..1000: {body.get('top')!r}")
        found = [d for d in self.documents if _matches(d, body.get("filter") or "")]
        if body.get("orderby") == "datePublished asc":
            found.sort(key=lambda d: d["datePublished"])
        page = found[body.get("skip", 0) : body.get("skip", 0) + body.get("top", 50)]
        if select := body.get("select"):
            names = [n.strip() for n in select.split(",")]
            page = [{k: v for k, v in d.items() if k in names} for d in page]
        answer = {"value": page}
        if body.get("count"):
            answer["@odata.count"] = len(found)
        return Response(200, json.dumps(answer).encode(), JSON_HEADERS)


def _matches(document: dict, expression: str) -> bool:
    """The OData conditions the poller and the tests write: datePublished ge, isEForms/isPlan eq."""
    for value in re.findall(r"datePublished ge (\S+?)\)?(?:\s|$)", expression):
        if dt.datetime.fromisoformat(document["datePublished"]) < dt.datetime.fromisoformat(value):
            return False
    for name, value in re.findall(r"(isEForms|isPlan) eq (true|false)", expression):
        if document[name] != (value == "true"):
            return False
    return True
