"""Public reads: the notice list (filters, order, pages), one notice, buyers, deadlines, the error shape."""

import datetime as dt

import pytest
import time_machine

from notices.models import Notice
from notices.readers import text as ft
from notices.records import DeadlineRecord, LotRecord
from tests.api.conftest import HELSINKI, KYMENLAAKSO, OTHER, UTC, Api, buyer_record, save

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 5, 3, 9, 0, tzinfo=UTC)


def at(days, hour=12):
    return (NOW + dt.timedelta(days=days)).astimezone(HELSINKI).replace(hour=hour, minute=0, second=0, microsecond=0)


@pytest.fixture
def notices():
    """A little world: open, closed and cancelled notices, lots with their own CPV and deadlines."""
    with time_machine.travel(NOW, tick=False):
        made = {
            "soon": save("soon", title="Tienhoidon urakka 2027", deadlines=[("tender", at(5))],
                         titles={"fi": "Tienhoidon urakka 2027", "sv": "Vägunderhåll 2027"}),
            "later": save("later", title="Siivouspalvelut", deadlines=[("tender", at(20))], cpv=("90910000",),
                          descriptions={"fi": "Koulujen siivous ja ikkunanpesu"}),
            "lots": save(
                "lots", title="Kalusteet", cpv=("39100000",),
                lots=(LotRecord("LOT-1", "Tuolit", ("39112000",)), LotRecord("LOT-2", "Pöydät", ("39121000",))),
                deadlines=[("tender", at(-2), "LOT-1"), ("tender", at(10), "LOT-2")],
            ),
            "closed": save("closed", title="Vanha hankinta", deadlines=[("tender", at(-10))]),
            "cancelled": save("cancelled", title="Peruttu hankinta", deadlines=[("tender", at(3))], status="cancelled"),
            "other": save("other", title="Koulukuljetukset", deadlines=[("participation", at(7))],
                          buyers=(buyer_record(OTHER, "Toinen Kunta"),), source="ocds"),
        }
    # The "lots" notice was saved when LOT-1 was still ahead in real terms of the test: make it so that
    # its first closing deadline has passed at NOW (the store keeps next_deadline = earliest).
    return made


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


@time_machine.travel(NOW, tick=False)
def test_open_notices_come_by_the_next_deadline_still_ahead(notices):
    api = Api()
    got = ids(api.get("/api/notices", {"status": "open"}))
    # "lots": its LOT-1 deadline has passed; its next one (LOT-2, +10 d) decides its place.
    assert got == [notices[k].pk for k in ("soon", "other", "lots", "later")]
    body = api.get("/api/notices", {"status": "open"}).json()
    lots = next(i for i in body["items"] if i["id"] == notices["lots"].pk)
    assert lots["next_deadline"] == at(10).astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert body["count"] == 4 and body["count_exact"] is True and body["next_cursor"] is None


@time_machine.travel(NOW, tick=False)
def test_closed_cancelled_and_everything(notices):
    api = Api()
    assert ids(api.get("/api/notices", {"status": "closed"})) == [notices["closed"].pk]
    assert ids(api.get("/api/notices", {"status": "cancelled"})) == [notices["cancelled"].pk]
    everything = ids(api.get("/api/notices"))
    assert everything[:4] == [notices[k].pk for k in ("soon", "other", "lots", "later")]
    assert set(everything[4:]) == {notices["closed"].pk, notices["cancelled"].pk}


@time_machine.travel(NOW, tick=False)
def test_filters(notices):
    api = Api()
    assert ids(api.get("/api/notices", {"cpv": "391"})) == [notices["lots"].pk]  # a lot's code
    assert ids(api.get("/api/notices", {"cpv": "3911"})) == [notices["lots"].pk]
    assert ids(api.get("/api/notices", {"cpv": "3913"})) == []
    assert ids(api.get("/api/notices", {"cpv": "9"})) == [notices["later"].pk]
    assert set(ids(api.get("/api/notices", {"buyer": "FI02012566"}))) == {notices["other"].pk}
    assert ids(api.get("/api/notices", {"buyer": "0201256-6"})) == [notices["other"].pk]
    assert notices["soon"].pk in ids(api.get("/api/notices", {"buyer": "02067145"}))
    assert ids(api.get("/api/notices", {"buyer": "0000000-0"})) == []
    assert ids(api.get("/api/notices", {"source": "ocds"})) == [notices["other"].pk]
    assert len(ids(api.get("/api/notices", {"country": "fi"}))) == 6
    assert ids(api.get("/api/notices", {"country": "SE"})) == []
    window = {"deadline_after": at(4).isoformat(), "deadline_before": at(8).isoformat(), "status": "open"}
    assert ids(api.get("/api/notices", window)) == [notices["soon"].pk, notices["other"].pk]
    assert ids(api.get("/api/notices", {"notice_type": "nope"})) == []


@time_machine.travel(NOW, tick=False)
def test_full_text_in_titles_and_descriptions_of_every_language(notices):
    api = Api()
    assert ids(api.get("/api/notices", {"q": "siivous"})) == [notices["later"].pk]  # description
    assert ids(api.get("/api/notices", {"q": "ikkunanpesu"})) == [notices["later"].pk]
    assert ids(api.get("/api/notices", {"q": "vägunderhåll"})) == [notices["soon"].pk]  # Swedish title
    assert ids(api.get("/api/notices", {"q": "urakka 2027"})) == [notices["soon"].pk]
    assert ids(api.get("/api/notices", {"q": "urakka koulu"})) == []  # every word must match
    assert ids(api.get("/api/notices", {"q": "hankinta", "status": "cancelled"})) == [notices["cancelled"].pk]
    assert set(ids(api.get("/api/notices", {"q": "hankinta"}))) == {notices["closed"].pk, notices["cancelled"].pk}
    assert ids(api.get("/api/notices", {"q": "   "})) != []  # nothing to search for: no filter


@time_machine.travel(NOW, tick=False)
def test_a_corrected_title_is_found_by_its_new_words(notices):
    save("soon", title="Katujen talvikunnossapito", deadlines=[("tender", at(5))])
    api = Api()
    assert ids(api.get("/api/notices", {"q": "talvikunnossapito"})) == [notices["soon"].pk]
    assert ids(api.get("/api/notices", {"q": "tienhoidon"})) == []


@time_machine.travel(NOW, tick=False)
def test_pages_by_offset_and_by_cursor_agree(notices):
    api = Api()
    everything = ids(api.get("/api/notices", {"limit": 200}))
    by_offset = []
    for offset in range(0, 6, 2):
        by_offset += ids(api.get("/api/notices", {"limit": 2, "offset": offset}))
    assert by_offset == everything
    by_cursor, cursor = [], None
    while True:
        body = api.get("/api/notices", {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        by_cursor += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert by_cursor == everything


@time_machine.travel(NOW, tick=False)
def test_count_is_capped_when_large(notices, settings):
    settings.API_COUNT_CAP = 3
    body = Api().get("/api/notices").json()
    assert (body["count"], body["count_exact"]) == (3, False)


@time_machine.travel(NOW, tick=False)
def test_one_notice_has_the_ingest_contract_keys_and_more(notices):
    notice = notices["lots"]
    body = Api().get(f"/api/notices/{notice.pk}").json()
    contract = set(Notice.objects.get(pk=notice.pk).current_version.record)
    assert contract <= set(body)
    assert [lot["id"] for lot in body["lots"]] == ["LOT-1", "LOT-2"]
    first = body["deadlines"][0]
    assert first["lot"] == "LOT-1" and first["kind"] == "tender"
    assert first["at"].endswith("Z") and first["at_helsinki"].endswith("+03:00")
    assert dt.datetime.fromisoformat(first["at"]) == dt.datetime.fromisoformat(first["at_helsinki"])
    assert body["next_deadline"] == body["deadlines"][1]["at"]
    assert body["buyers"][0]["identifiers"] == [{"scheme": "FI-PRO", "id": KYMENLAAKSO, "valid": True}]
    assert body["buyers"][0]["email"] == "kirjaamo@example.fi"
    assert [v["number"] for v in body["versions"]] == [1]
    assert body["summary_pdf"] == f"/api/notices/{notice.pk}/summary.pdf"


@time_machine.travel(NOW, tick=False)
def test_versions_say_what_changed(notices):
    save("soon", title="Tienhoidon urakka 2027", deadlines=[("tender", at(9))],
         titles={"fi": "Tienhoidon urakka 2027", "sv": "Vägunderhåll 2027"})
    body = Api().get(f"/api/notices/{notices['soon'].pk}").json()
    assert [v["number"] for v in body["versions"]] == [1, 2]
    (moved,) = body["versions"][1]["changes"]["moved"]
    assert moved["kind"] == "tender" and dt.datetime.fromisoformat(moved["new"]) == at(9)
    assert body["deadlines"][0]["sequence"] == 1


@time_machine.travel(NOW, tick=False)
def test_a_deadline_says_why_it_needs_review_and_a_correction_clears_it(notices):
    doubtful = DeadlineRecord("tender", at(12), needs_review=True, review_reasons=(ft.YEAR_INFERRED, ft.DATE_ONLY))
    notice = save("doubtful", deadlines=[doubtful])
    (deadline,) = Api().get(f"/api/notices/{notice.pk}").json()["deadlines"]
    assert deadline["needs_review"] is True and deadline["review_reasons"] == [ft.YEAR_INFERRED, ft.DATE_ONLY]
    save("doubtful", deadlines=[("tender", at(12))])  # the buyer wrote the full date and time
    (deadline,) = Api().get(f"/api/notices/{notice.pk}").json()["deadlines"]
    assert deadline["needs_review"] is False and deadline["review_reasons"] == []


@time_machine.travel(NOW, tick=False)
def test_a_buyer_by_any_form_of_its_identifier(notices):
    api = Api()
    for written in ("0206714-5", "FI02067145", "FI-PRO:0206714-5"):
        body = api.get(f"/api/buyers/{written}").json()
        assert body["name"] == "Kymenlaakson Liitto", written
    assert body["identifiers"][0] == {"scheme": "FI-PRO", "value": KYMENLAAKSO, "valid": True, "as_written": KYMENLAAKSO}
    assert body["contacts"][0]["city"] == "Kotka"
    assert body["notices"]["count"] == 5
    assert body["notices"]["items"][0]["id"] == notices["soon"].pk
    assert body["notices"]["more"] == "/api/notices?buyer=0206714-5"
    missing = api.get("/api/buyers/0000000-0")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


@time_machine.travel(NOW, tick=False)
def test_upcoming_deadlines_for_a_calendar(notices):
    api = Api()
    body = api.get("/api/deadlines").json()
    got = [(i["notice"], i["kind"], i["lot"]) for i in body["items"]]
    assert got == [
        (notices["soon"].pk, "tender", None),
        (notices["other"].pk, "participation", None),
        (notices["lots"].pk, "tender", "LOT-2"),
        (notices["later"].pk, "tender", None),
    ]  # past deadlines and cancelled notices are left out
    assert body["items"][0]["at_helsinki"].endswith("+03:00")
    assert [i["notice"] for i in api.get("/api/deadlines", {"kind": "participation"}).json()["items"]] == [notices["other"].pk]
    assert [i["notice"] for i in api.get("/api/deadlines", {"cpv": "3912"}).json()["items"]] == [notices["lots"].pk]
    assert [i["notice"] for i in api.get("/api/deadlines", {"buyer": "FI02012566"}).json()["items"]] == [notices["other"].pk]
    window = api.get("/api/deadlines", {"before": at(8).isoformat()}).json()
    assert window["count"] == 2
    first = api.get("/api/deadlines", {"limit": 3}).json()
    rest = api.get("/api/deadlines", {"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in first["items"] + rest["items"]] == [i["id"] for i in body["items"]]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    "url, params, path",
    [
        ("/api/notices", {"status": "sometimes"}, ["query", "status"]),
        ("/api/notices", {"cpv": "45x"}, ["query", "cpv"]),
        ("/api/notices", {"limit": "0"}, ["query", "limit"]),
        ("/api/notices", {"offset": "20000"}, ["query", "offset"]),
        ("/api/notices", {"deadline_after": "tomorrow"}, ["query", "deadline_after"]),
        ("/api/notices", {"cursor": "bm9wZQ"}, ["query", "cursor"]),
        ("/api/notices", {"country": "FIN"}, ["query", "country"]),
        ("/api/deadlines", {"kind": "lunch"}, ["query", "kind"]),
        ("/api/notices/abc", {}, ["path", "notice_id"]),
    ],
)
def test_a_bad_parameter_is_a_422_naming_it(db, url, params, path):
    response = Api().get(url, params)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error" and error["message"]
    assert [f["path"] for f in error["fields"]] == [path]


def test_a_missing_notice_is_a_404_in_the_error_shape(db):
    response = Api().get("/api/notices/999999")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "There is no notice 999999.", "fields": []}
    }


def test_health_and_openapi(db):
    api = Api()
    assert api.get("/api/health").json() == {"status": "ok"}
    schema = api.get("/api/openapi.json").json()
    assert "/api/notices" in schema["paths"] and "/api/officer/drafts" in schema["paths"]
    assert "ErrorOut" in schema["components"]["schemas"]
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    docs = api.get("/api/docs")
    assert docs.status_code == 200


def test_the_openapi_document_has_no_duplicate_keys(db):
    """Swagger UI parses the schema as YAML, which refuses a key twice in one object (it rendered nothing)."""
    import json

    def unique(pairs):
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), f"duplicate keys: {keys}"
        return dict(pairs)

    json.loads(Api().get("/api/openapi.json").content, object_pairs_hook=unique)


def test_the_docs_load_nothing_from_another_site(db, client):
    """Swagger UI's files are ninja's own static files (tests/e2e renders it in Chromium offline)."""
    import re

    from django.contrib.staticfiles import finders

    html = client.get("/api/docs").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/static/") for s in sources), sources
    assert all(finders.find(s.removeprefix("/static/")) for s in sources)
    assert '"validatorUrl": null' in html


def test_an_unknown_api_path_is_a_404_in_the_error_shape(db):
    response = Api().get("/api/notices/1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert Api().get("/api/health").status_code == 200  # real endpoints still win


def test_a_wrong_method_is_a_405_in_the_error_shape(db):
    response = Api().client.put("/api/notices/1")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response["Allow"] == "GET"
