"""Officers through the API: draft, validate, publish, correct, cancel - and what followers see."""

import datetime as dt

import pytest
import time_machine

from notices import errors, officers
from notices.models import Draft, Notice, NoticeVersion
from scheduler.models import Message, Reminder
from tests.api.conftest import KYMENLAAKSO, UTC, Api
from tests.scheduler.conftest import subscribe

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 9, 6, 8, 0, tzinfo=UTC)


def iso(days, hour=12):
    """An instant ``days`` from NOW at ``hour`` Helsinki time, as an officer's system would send it."""
    day = (NOW + dt.timedelta(days=days)).date()
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.timezone(dt.timedelta(hours=3))).isoformat()


def call(**changes):
    body = {
        "buyer": KYMENLAAKSO,
        "title": "Koulujen siivous 2028",
        "titles": {"sv": "Skolstädning 2028"},
        "descriptions": {"fi": "Koulujen ja päiväkotien siivous kolmeksi vuodeksi."},
        "language": "fi",
        "cpv": ["90910000"],
        "lots": [{"id": "LOT-1", "title": "Itäinen alue", "cpv": ["90911000"]}],
        "deadlines": [{"kind": "questions", "at": iso(10)}, {"kind": "tender", "at": iso(20)}],
        "contacts": [{"email": "hankinnat@example.fi", "phone": "+358 40 1234567", "city": "Kotka"}],
        "links": ["https://example.fi/tarjouspyynto.pdf"],
    }
    body.update(changes)
    return body


@pytest.fixture
def officer(people):
    return Api(people["officer"][1])


@time_machine.travel(NOW, tick=False)
def test_an_officer_publishes_a_call_and_the_public_sees_it(officer):
    public = Api()
    before = public.get("/api/notices").json()["count"]
    created = officer.post("/api/officer/drafts", call())
    assert created.status_code == 201, created.content
    draft = created.json()
    assert draft["state"] == "draft" and draft["notice"] is None and draft["buyer"]["name"] == "Kymenlaakson Liitto"
    # A draft is nowhere public.
    assert public.get("/api/notices").json()["count"] == before
    assert public.get("/api/notices", {"q": "siivous"}).json()["items"] == []

    assert officer.post(f"/api/officer/drafts/{draft['id']}/validate").json() == {"valid": True}
    published = officer.post(f"/api/officer/drafts/{draft['id']}/publish")
    assert published.status_code == 201, published.content
    notice_id = published.json()["notice"]
    assert published.json()["state"] == "published" and published.json()["version"] == 1

    listed = public.get("/api/notices", {"status": "open", "q": "siivous"}).json()
    assert [i["id"] for i in listed["items"]] == [notice_id]
    assert listed["items"][0]["source"] == "officer"
    body = public.get(f"/api/notices/{notice_id}").json()
    assert body["title"] == "Koulujen siivous 2028" and body["titles"]["sv"] == "Skolstädning 2028"
    assert body["source"] == "officer" and body["source_id"] == f"officer-{draft['id']}"
    assert [(d["kind"], d["at_helsinki"]) for d in body["deadlines"]] == [
        ("questions", iso(10)), ("tender", iso(20))
    ]
    assert body["buyers"][0]["identifiers"][0]["id"] == KYMENLAAKSO
    assert body["buyers"][0]["email"] == "hankinnat@example.fi"
    assert body["links"] == ["https://example.fi/tarjouspyynto.pdf"]
    assert body["all_cpv"] == ["90910000", "90911000"]
    assert public.get("/api/notices", {"cpv": "90911"}).json()["items"][0]["id"] == notice_id
    mine = officer.get("/api/officer/notices").json()
    assert [i["notice"] for i in mine["items"]] == [notice_id]


@time_machine.travel(NOW, tick=False)
def test_a_correction_moves_the_deadline_and_the_followers_reminder(officer):
    draft = officer.post("/api/officer/drafts", call()).json()
    notice_id = officer.post(f"/api/officer/drafts/{draft['id']}/publish").json()["notice"]
    notice = Notice.objects.get(pk=notice_id)
    follower = subscribe(notice, before=("P1D",), now=NOW)
    (reminder,) = Reminder.objects.filter(subscription=follower)
    assert reminder.due_at == dt.datetime.fromisoformat(iso(19))

    moved = call(deadlines=[{"kind": "questions", "at": iso(10)}, {"kind": "tender", "at": iso(27)}])
    response = officer.patch(f"/api/officer/notices/{notice_id}", {"deadlines": moved["deadlines"]})
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2

    versions = NoticeVersion.objects.filter(notice_id=notice_id).order_by("number")
    assert [v.number for v in versions] == [1, 2]
    (change,) = versions[1].changes["moved"]
    assert change["kind"] == "tender" and dt.datetime.fromisoformat(change["new"]) == dt.datetime.fromisoformat(iso(27))
    reminder.refresh_from_db()
    assert reminder.due_at == dt.datetime.fromisoformat(iso(26)) and reminder.state == "scheduled"
    (message,) = Message.objects.filter(subscription=follower, kind="moved")
    assert message.state == "scheduled"
    assert dt.datetime.fromisoformat(message.payload["moves"][0]["new"]) == dt.datetime.fromisoformat(iso(27))
    public = Api().get(f"/api/notices/{notice_id}").json()
    assert public["deadlines"][1]["at_helsinki"] == iso(27) and public["deadlines"][1]["sequence"] == 1
    assert public["versions"][1]["changes"]["moved"][0]["kind"] == "tender"

    # The same correction again changes nothing: no version, no mail.
    again = officer.patch(f"/api/officer/notices/{notice_id}", {"deadlines": moved["deadlines"]})
    assert again.json()["version"] == 2
    assert Message.objects.filter(subscription=follower, kind="moved").count() == 1


@time_machine.travel(NOW, tick=False)
def test_cancelling_tells_followers_and_closes_the_notice(officer):
    draft = officer.post("/api/officer/drafts", call()).json()
    notice_id = officer.post(f"/api/officer/drafts/{draft['id']}/publish").json()["notice"]
    follower = subscribe(Notice.objects.get(pk=notice_id), now=NOW)
    response = officer.post(f"/api/officer/notices/{notice_id}/cancel")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert Notice.objects.get(pk=notice_id).status == "cancelled"
    assert Message.objects.filter(subscription=follower, kind="cancelled").count() == 1
    assert set(Reminder.objects.filter(subscription=follower).values_list("state", flat=True)) == {"cancelled"}
    assert [i["id"] for i in Api().get("/api/notices", {"status": "cancelled"}).json()["items"]] == [notice_id]
    # A cancelled notice is not corrected, cancelled again, or published again.
    assert officer.patch(f"/api/officer/notices/{notice_id}", {"title": "Uusi"}).status_code == 409
    assert officer.post(f"/api/officer/notices/{notice_id}/cancel").status_code == 409
    assert officer.post(f"/api/officer/drafts/{draft['id']}/publish").json()["error"]["code"] == "conflict"


@time_machine.travel(NOW, tick=False)
def test_validation_names_every_problem_by_its_path(officer):
    bad = call(
        title="  ",
        cpv=["9091"],
        lots=[{"id": "LOT-1", "cpv": ["90911000"]}, {"id": "LOT-1"}],
        deadlines=[
            {"kind": "questions", "at": iso(25)},
            {"kind": "tender", "at": iso(20)},
            {"kind": "tender", "at": iso(-1), "lot": "LOT-9"},
        ],
        links=["ftp://example.fi/x"],
        contacts=[{"email": "not-an-address", "phone": "123"}],
    )
    draft = officer.post("/api/officer/drafts", bad)
    assert draft.status_code == 201  # a draft may be incomplete
    response = officer.post(f"/api/officer/drafts/{draft.json()['id']}/validate")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    paths = {tuple(f["path"]) for f in error["fields"]}
    assert paths == {
        ("title",),
        ("cpv", 0),
        ("lots", 1, "id"),
        ("deadlines", 0, "at"),  # questions after tender: on the questions deadline, the earlier kind
        ("deadlines", 2, "lot"),
        ("deadlines", 2, "at"),  # in the past
        ("links", 0),
        ("contacts", 0, "email"),
        ("contacts", 0, "phone"),
    }, error["fields"]
    assert officer.post(f"/api/officer/drafts/{draft.json()['id']}/publish").status_code == 422
    assert Draft.objects.get().state == "draft" and not Notice.objects.filter(source="officer").exists()


@time_machine.travel(NOW, tick=False)
def test_a_call_needs_a_closing_deadline_and_a_buyer_with_a_valid_y_tunnus(officer, people):
    draft = officer.post("/api/officer/drafts", call(deadlines=[{"kind": "questions", "at": iso(3)}])).json()
    error = officer.post(f"/api/officer/drafts/{draft['id']}/validate").json()["error"]
    assert [f["path"] for f in error["fields"]] == [["deadlines"]]
    typo = officer.post("/api/officer/drafts", call(buyer="0206714-6")).json()["error"]
    assert typo["fields"] == [{"path": ["buyer"], "message": "'0206714-6' fails its check digit"}]


@time_machine.travel(NOW, tick=False)
def test_types_are_checked_when_a_draft_is_written(officer):
    response = officer.post("/api/officer/drafts", call(deadlines=[{"kind": "tender", "at": "soon"}]))
    assert response.status_code == 422
    (field,) = response.json()["error"]["fields"]
    assert field["path"] == ["deadlines", 0, "at"]
    response = officer.post("/api/officer/drafts", call(deadlines=[{"kind": "lunch", "at": iso(3)}]))
    assert response.json()["error"]["fields"][0]["path"] == ["deadlines", 0, "kind"]
    broken = officer.client.post("/api/officer/drafts", "{not json", content_type="application/json", **officer.headers)
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "bad_request"


@time_machine.travel(NOW, tick=False)
def test_a_correction_may_keep_a_deadline_that_has_passed_but_not_set_one(officer):
    draft = officer.post("/api/officer/drafts", call()).json()
    notice_id = officer.post(f"/api/officer/drafts/{draft['id']}/publish").json()["notice"]
    with time_machine.travel(NOW + dt.timedelta(days=12), tick=False):  # questions deadline has passed
        ok = officer.patch(f"/api/officer/notices/{notice_id}", {"title": "Koulujen siivous 2028-2031"})
        assert ok.status_code == 200, ok.content
        late = officer.post(
            f"/api/officer/notices/{notice_id}/validate",
            {"deadlines": [{"kind": "questions", "at": iso(11)}, {"kind": "tender", "at": iso(20)}]},
        )
        assert late.status_code == 422
        assert late.json()["error"]["fields"][0]["path"] == ["deadlines", 0, "at"]
    assert Notice.objects.get(pk=notice_id).title == "Koulujen siivous 2028-2031"


@time_machine.travel(NOW, tick=False)
def test_an_officer_of_several_buyers_names_one(people, buyers):
    from tests.api.conftest import user_with_token

    _user, secret = user_with_token("both", buyers=buyers)
    api = Api(secret)
    body = call()
    del body["buyer"]
    assert api.post("/api/officer/drafts", body).json()["error"]["fields"][0]["path"] == ["buyer"]
    assert api.post("/api/officer/drafts", call(buyer="FI02012566")).json()["buyer"]["name"] == "Toinen Kunta"
    assert {b["name"] for b in api.get("/api/me").json()["buyers"]} == {"Kymenlaakson Liitto", "Toinen Kunta"}


@time_machine.travel(NOW, tick=False)
def test_the_service_works_without_http(people):
    user = people["officer"][0]
    draft = officers.create_draft(user, call())
    with pytest.raises(errors.NotFound):  # another buyer's draft: as if there were none
        officers.publish(people["other_officer"][0], draft.pk)
    draft, change = officers.publish(user, draft.pk)
    assert change.outcome == "new" and draft.notice.source == "officer"
    with pytest.raises(errors.Invalid) as caught:
        officers.correct(user, draft.notice_id, {"cpv": ["x"]})
    assert caught.value.fields == [errors.FieldError(("cpv", 0), "'x' is not a CPV code (8 digits, e.g. 45233000 or 45233000-1)")]
    with pytest.raises(errors.Conflict):
        officers.update_draft(user, draft.pk, {"title": "x"})


@pytest.mark.parametrize(
    "earlier, later",
    [("questions", "participation"), ("questions", "tender"), ("participation", "tender"), ("tender", "opening")],
)
@time_machine.travel(NOW, tick=False)
def test_an_ordering_error_is_on_the_earlier_kinds_deadline(officer, earlier, later):
    """The rule for every ordering check (README): the path names the earlier kind's deadline, whichever
    order the officer listed them in."""
    closing = [] if "tender" in (earlier, later) else [{"kind": "tender", "at": iso(30)}]
    for listed in ([earlier, later], [later, earlier]):
        at = {earlier: iso(20), later: iso(10)}  # the earlier kind comes too late
        deadlines = [{"kind": kind, "at": at[kind]} for kind in listed] + closing
        draft = officer.post("/api/officer/drafts", call(deadlines=deadlines)).json()
        error = officer.post(f"/api/officer/drafts/{draft['id']}/validate").json()["error"]
        assert [f["path"] for f in error["fields"]] == [["deadlines", listed.index(earlier), "at"]], error


@time_machine.travel(NOW, tick=False)
def test_a_lots_own_deadline_carries_the_error_when_it_clashes_with_the_procedures(officer):
    deadlines = [
        {"kind": "questions", "at": iso(10)},
        {"kind": "tender", "at": iso(20)},
        {"kind": "tender", "at": iso(8), "lot": "LOT-1"},  # before the procedure's questions
    ]
    draft = officer.post("/api/officer/drafts", call(deadlines=deadlines)).json()
    error = officer.post(f"/api/officer/drafts/{draft['id']}/validate").json()["error"]
    assert [f["path"] for f in error["fields"]] == [["deadlines", 2, "at"]]
    assert "of lot LOT-1" in error["fields"][0]["message"]
