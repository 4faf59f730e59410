"""Every write endpoint x every kind of caller, each answer asserted.

Callers: anonymous, a bidder (token, no buyer), an officer of the notice's buyer, an officer of another
buyer, staff. Targets are made fresh for each case: a draft and a published notice of the officer's
buyer, an ingested notice of the same buyer, and a subscription of the bidder.
"""

import datetime as dt

import pytest
import time_machine

from notices import officers
from notices.models import Draft, Notice
from scheduler.models import Subscription
from tests.api.conftest import Api, save
from tests.api.test_officers import NOW, call

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "bidder", "officer", "other_officer", "staff")

# endpoint: (method, url template, body, {role: status})
MATRIX = {
    "create draft": ("post", "/api/officer/drafts", call(), dict(anonymous=401, bidder=403, officer=201, other_officer=403, staff=201)),
    "edit draft": ("patch", "/api/officer/drafts/{draft}", {"title": "Uusi otsikko"}, dict(anonymous=401, bidder=404, officer=200, other_officer=404, staff=200)),
    "discard draft": ("delete", "/api/officer/drafts/{draft}", None, dict(anonymous=401, bidder=404, officer=204, other_officer=404, staff=204)),
    "validate draft": ("post", "/api/officer/drafts/{draft}/validate", None, dict(anonymous=401, bidder=404, officer=200, other_officer=404, staff=200)),
    "publish draft": ("post", "/api/officer/drafts/{draft}/publish", None, dict(anonymous=401, bidder=404, officer=201, other_officer=404, staff=201)),
    "correct notice": ("patch", "/api/officer/notices/{published}", {"title": "Korjattu"}, dict(anonymous=401, bidder=403, officer=200, other_officer=403, staff=200)),
    "validate correction": ("post", "/api/officer/notices/{published}/validate", {"title": "Korjattu"}, dict(anonymous=401, bidder=403, officer=200, other_officer=403, staff=200)),
    "cancel notice": ("post", "/api/officer/notices/{published}/cancel", None, dict(anonymous=401, bidder=403, officer=200, other_officer=403, staff=200)),
    "correct ingested notice": ("patch", "/api/officer/notices/{ingested}", {"title": "Korjattu"}, dict(anonymous=401, bidder=403, officer=403, other_officer=403, staff=403)),
    "validate ingested correction": ("post", "/api/officer/notices/{ingested}/validate", {"title": "Korjattu"}, dict(anonymous=401, bidder=403, officer=403, other_officer=403, staff=403)),
    "cancel ingested notice": ("post", "/api/officer/notices/{ingested}/cancel", None, dict(anonymous=401, bidder=403, officer=403, other_officer=403, staff=403)),
    "follow a notice": ("post", "/api/subscriptions", {"notice": "{published}", "email": "someone@example.fi"}, dict(anonymous=201, bidder=201, officer=201, other_officer=201, staff=201)),
    "unsubscribe another's": ("delete", "/api/subscriptions/{subscription}", None, dict(anonymous=404, bidder=204, officer=404, other_officer=404, staff=404)),
}

CASES = [(endpoint, role) for endpoint in MATRIX for role in ROLES]


@pytest.fixture
def targets(people):
    officer = people["officer"][0]
    with time_machine.travel(NOW, tick=False):
        draft = officers.create_draft(officer, call())
        published, _ = officers.publish(officer, officers.create_draft(officer, call(title="Julkaistu")).pk)
        ingested = save("ingested-1", deadlines=[("tender", NOW + dt.timedelta(days=30))])
        bidder = Api(people["bidder"][1])
        subscription = bidder.post("/api/subscriptions", {"notice": published.notice_id}).json()["id"]
    return {"draft": draft.pk, "published": published.notice_id, "ingested": ingested.pk, "subscription": subscription}


def _fill(value, targets):
    if isinstance(value, str):
        filled = value.format(**targets)
        return int(filled) if value.startswith("{") and filled.isdigit() else filled
    if isinstance(value, dict):
        return {k: _fill(v, targets) for k, v in value.items()}
    return value


@pytest.mark.parametrize("endpoint, role", CASES, ids=[f"{e} as {r}" for e, r in CASES])
@time_machine.travel(NOW, tick=False)
def test_who_may_write_what(endpoint, role, people, targets):
    method, url, body, expected = MATRIX[endpoint]
    api = Api(None if role == "anonymous" else people[role][1])
    url = _fill(url, targets)
    args = (url,) if method == "delete" else (url, _fill(body, targets))
    response = getattr(api, method)(*args)
    assert response.status_code == expected[role], response.content
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["code"] == {401: "unauthorized", 403: "forbidden", 404: "not_found"}[response.status_code]
        assert error["message"]
    if response.status_code == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
    # Refused writes changed nothing.
    if response.status_code in (401, 403, 404):
        assert Draft.objects.filter(pk=targets["draft"], state="draft").exists()
        assert Notice.objects.get(pk=targets["published"]).title == "Julkaistu"
        assert Notice.objects.get(pk=targets["ingested"]).status == "active"
        assert Subscription.objects.get(pk=targets["subscription"]).status == "active"


@time_machine.travel(NOW, tick=False)
def test_nobody_reads_another_users_subscriptions(people, targets):
    url = f"/api/subscriptions/{targets['subscription']}"
    assert Api(people["bidder"][1]).get(url).status_code == 200
    for role in ("officer", "other_officer", "staff"):
        assert Api(people[role][1]).get(url).status_code == 404
        assert Api(people[role][1]).get("/api/subscriptions").json()["items"] == []
    assert Api().get(url).status_code == 404
    assert Api().get("/api/subscriptions").status_code == 401
    mine = Api(people["bidder"][1]).get("/api/subscriptions").json()
    assert [s["id"] for s in mine["items"]] == [targets["subscription"]]
    assert mine["items"][0]["status"] == "active"  # the account's own address: no confirmation needed


@time_machine.travel(NOW, tick=False)
def test_an_officer_reads_only_their_buyers_drafts(people, targets):
    assert Api(people["officer"][1]).get(f"/api/officer/drafts/{targets['draft']}").status_code == 200
    # Another buyer's draft is answered as one that does not exist: neither its existence nor its buyer leaks.
    other = Api(people["other_officer"][1]).get(f"/api/officer/drafts/{targets['draft']}")
    missing = Api(people["other_officer"][1]).get("/api/officer/drafts/999999")
    assert other.status_code == missing.status_code == 404
    assert other.json()["error"]["message"] == f"There is no draft {targets['draft']}."
    assert Api(people["other_officer"][1]).get("/api/officer/drafts").json()["items"] == []
    assert Api(people["officer"][1]).get("/api/officer/drafts/999999").status_code == 404
    assert Api(people["officer"][1]).get("/api/officer/notices/999999").status_code == 404
    assert [d["id"] for d in Api(people["officer"][1]).get("/api/officer/drafts").json()["items"]] == [targets["draft"]]
