"""Property-based conformance: Schemathesis generates requests for every operation of
/api/openapi.json and sends them over HTTP to a live server (pytest-django's ``live_server``), with an
officer's API token and without one, checking that nothing answers 5xx, that every status, content type and body is the
one the schema declares. Bounded: ``EXAMPLES`` per operation, derandomized so CI sees the same cases.
"""

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from notices import officers
from notices.models import Notice
from scheduler.models import Subscription
from tests.api.conftest import buyer_record, save, user_with_token
from tests.api.test_officers import call
from tests.export.conftest import schema_validator  # noqa: F401 - a fixture: the eForms checks get answers

EXAMPLES = 15
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.mark.parametrize("who", ["officer", "anonymous"])
@pytest.mark.django_db(transaction=True)
def test_the_api_answers_as_its_schema_says(live_server, who, schema_validator):  # noqa: F811
    now = dt.datetime.now(dt.UTC)
    for n in range(1, 6):
        save(f"st-{n}", deadlines=[("tender", now + dt.timedelta(days=n)), ("questions", now + dt.timedelta(days=n - 0.5))])
    save("st-other", buyers=(buyer_record("0201256-6", "Toinen Kunta"),), deadlines=[("tender", now - dt.timedelta(days=1))])
    from notices.models import Buyer

    officer, secret = user_with_token("officer", buyers=[Buyer.objects.get(identifiers__value="0206714-5")])
    drafts, notices = [], list(Notice.objects.values_list("pk", flat=True))
    for n in range(6):
        draft = officers.create_draft(officer, call(deadlines=[
            {"kind": "tender", "at": (now + dt.timedelta(days=20 + n)).isoformat()}
        ]))
        drafts.append(draft.pk)
        if n % 2:
            notices.append(officers.publish(officer, draft.pk)[0].notice_id)
    subscriptions = []
    for notice in notices[:3]:
        subscription = Subscription(user=officer, email=officer.email, notice_id=notice, status="active")
        subscription.new_token()
        subscription.save()
        subscriptions.append(subscription.pk)
    # Half the generated cases address things that exist (random ids would nearly always be 404s).
    known = {
        "notice_id": notices,
        "draft_id": drafts,
        "subscription_id": subscriptions,
        "identifier": ["0206714-5", "FI02012566", "FI-PRO:0206714-5"],
    }

    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/openapi.json")
    headers = {"Authorization": f"Bearer {secret}"} if who == "officer" else {}
    failures, tried, statuses = [], 0, {}
    for result in schema.get_all_operations():
        operation = result.ok()
        tried += 1

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(), pick=st.integers(0, 11))
        def check(case, pick):
            for name, values in known.items():
                if case.path_parameters and name in case.path_parameters and pick < 2 * len(values):
                    case.path_parameters[name] = values[pick % len(values)]
            response = case.call_and_validate(base_url=live_server.url, headers=headers, checks=CHECKS, timeout=30)
            statuses.setdefault(operation.label, []).append(response.status_code)

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    assert tried >= 20
    # The cases reached real objects, not only 404s.
    reached = ["GET /api/notices/{notice_id}", "GET /api/buyers/{identifier}"]
    if who == "officer":
        reached.append("GET /api/officer/drafts/{draft_id}")
    for label in reached:
        assert 200 in statuses.get(label, []), (label, statuses.get(label))
    assert not failures, "\n\n".join(failures)
