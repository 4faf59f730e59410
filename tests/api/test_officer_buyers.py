"""Officers and buyers not in the database yet: staff add one from a valid Y-tunnus and a name; anyone
else asks, and the buyer and the membership exist once an operator approves. Also: copying an earlier
notice as a new draft, and the reason a cancellation gives."""

import datetime as dt

import pytest
import time_machine

from notices import errors, officers
from notices.models import Buyer, BuyerRequest, Draft, OfficerMembership
from tests.api.conftest import Api
from tests.api.test_officers import NOW, call

pytestmark = pytest.mark.django_db
NEW = "1572860-0"  # a valid Y-tunnus no buyer has


def test_staff_add_a_buyer_and_publish_for_it(people):
    staff = Api(people["staff"][1])
    refused = staff.post("/api/officer/drafts", call(buyer=NEW)).json()["error"]
    assert refused["fields"] == [
        {"path": ["buyer"], "message": f"no buyer has the identifier '{NEW}'; create it first"}
    ]
    created = staff.post("/api/officer/buyers", {"business_id": "FI15728600", "name": "Uusi Kunta"})
    assert created.status_code == 201, created.content
    assert created.json()["business_id"] == NEW and created.json()["name"] == "Uusi Kunta"
    buyer = Buyer.objects.get(pk=created.json()["id"])
    assert [(i.scheme, i.value, i.valid) for i in buyer.identifiers.all()] == [("FI-PRO", NEW, True)]
    assert staff.post("/api/officer/drafts", call(buyer=NEW)).status_code == 201
    again = staff.post("/api/officer/buyers", {"business_id": NEW, "name": "Toinen nimi"})
    assert again.status_code == 409 and "Uusi Kunta already has" in again.json()["error"]["message"]


@pytest.mark.parametrize(
    "body, path",
    [
        ({"business_id": "1572860-1", "name": "X"}, ["business_id"]),  # check digit
        ({"business_id": "SE556036079301", "name": "X"}, ["business_id"]),  # not a Y-tunnus
        ({"business_id": NEW, "name": "  "}, ["name"]),
    ],
)
def test_a_buyer_needs_a_valid_y_tunnus_and_a_name(people, body, path):
    response = Api(people["staff"][1]).post("/api/officer/buyers", body)
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["path"] == path
    assert not Buyer.objects.filter(identifiers__value=NEW).exists()


def test_others_ask_and_an_operator_approves(people):
    bidder_user, bidder = people["bidder"]
    api = Api(bidder)
    assert api.post("/api/officer/buyers", {"business_id": NEW, "name": "Uusi Kunta"}).status_code == 403
    asked = api.post("/api/officer/buyer-requests", {"business_id": NEW, "name": "Uusi Kunta"})
    assert asked.status_code == 201, asked.content
    assert asked.json()["state"] == "pending" and asked.json()["buyer"] is None
    assert api.post("/api/officer/buyer-requests", {"business_id": NEW, "name": "Uusi Kunta"}).status_code == 409
    assert not Buyer.objects.filter(identifiers__value=NEW).exists()  # nothing before an operator says yes
    with pytest.raises(errors.NotAllowed):
        officers.approve_request(bidder_user, asked.json()["id"])
    officers.approve_request(people["staff"][0], asked.json()["id"])
    (mine,) = api.get("/api/officer/buyer-requests").json()
    assert mine["state"] == "approved" and mine["buyer"] == Buyer.objects.get(identifiers__value=NEW).pk
    assert OfficerMembership.objects.filter(user=bidder_user, buyer_id=mine["buyer"]).exists()
    assert api.post("/api/officer/drafts", call(buyer=NEW)).status_code == 201


def test_asking_for_a_known_buyer_makes_a_membership_once_approved(people, buyers):
    user, token = people["bidder"]
    asked = Api(token).post("/api/officer/buyer-requests", {"business_id": "FI02067145", "name": "Kymenlaakso"})
    assert asked.json()["buyer"] == buyers[0].pk
    officers.reject_request(people["staff"][0], asked.json()["id"])
    assert BuyerRequest.objects.get().state == "rejected" and not OfficerMembership.objects.filter(user=user).exists()
    with pytest.raises(errors.Conflict):
        officers.approve_request(people["staff"][0], asked.json()["id"])


@time_machine.travel(NOW, tick=False)
def test_copy_an_earlier_notice_as_a_new_draft(people):
    officer = Api(people["officer"][1])
    draft = officer.post("/api/officer/drafts", call()).json()
    published = officer.post(f"/api/officer/drafts/{draft['id']}/publish").json()
    copy = officer.post(f"/api/officer/drafts/{draft['id']}/copy")
    assert copy.status_code == 201
    assert copy.json()["state"] == "draft" and copy.json()["notice"] is None
    assert copy.json()["content"] == published["content"] and copy.json()["id"] != draft["id"]
    # Another buyer's draft: as if it did not exist (issue 12), not a 403 that says it does.
    assert Api(people["other_officer"][1]).post(f"/api/officer/drafts/{draft['id']}/copy").status_code == 404
    assert Draft.objects.count() == 2


@time_machine.travel(NOW, tick=False)
def test_a_cancellation_keeps_its_reason(people):
    officer = Api(people["officer"][1])
    first = officer.post("/api/officer/drafts", call()).json()
    notice = officer.post(f"/api/officer/drafts/{first['id']}/publish").json()["notice"]
    cancelled = officer.post(f"/api/officer/notices/{notice}/cancel", {"reason": "Tarve poistui."})
    assert cancelled.status_code == 200 and cancelled.json()["cancel_reason"] == "Tarve poistui."
    # Without a body, as before: still cancels.
    second = officer.post("/api/officer/drafts", call()).json()
    other = officer.post(f"/api/officer/drafts/{second['id']}/publish").json()["notice"]
    bare = officer.client.post(f"/api/officer/notices/{other}/cancel", **officer.headers)
    assert bare.status_code == 200, bare.content
    assert bare.json()["state"] == "cancelled" and bare.json()["cancel_reason"] is None
    assert dt.datetime.fromisoformat(bare.json()["updated_at"])


@time_machine.travel(NOW, tick=False)
def test_a_cancellation_body_that_does_not_read_is_refused(people):
    officer = Api(people["officer"][1])
    draft = officer.post("/api/officer/drafts", call()).json()
    notice = officer.post(f"/api/officer/drafts/{draft['id']}/publish").json()["notice"]
    wrong = officer.post(f"/api/officer/notices/{notice}/cancel", {"reason": ["not", "text"]})
    assert wrong.status_code == 422 and wrong.json()["error"]["fields"][0]["path"] == ["reason"]
    broken = officer.client.post(
        f"/api/officer/notices/{notice}/cancel", "{nope", content_type="application/json", **officer.headers
    )
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "bad_request"
    schema = Api().get("/api/openapi.json").json()
    body = schema["paths"]["/api/officer/notices/{notice_id}/cancel"]["post"]["requestBody"]
    assert body["required"] is False and "reason" in body["content"]["application/json"]["schema"]["properties"]
