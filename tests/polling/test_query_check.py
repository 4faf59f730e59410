"""A source's query is checked when it is saved: TED answers a date in the wrong form with no notices and
no error, so a query like that must not get as far as TED."""

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from notices.models import Source
from notices.polling import tedquery
from tests.conftest import realapi_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields():
    return tedquery.known_fields(str(realapi_path("ted-api-v3.yaml")))


def test_the_field_names_are_those_of_teds_specification(fields):
    assert {"buyer-country", "publication-date", "classification-cpv", "notice-type", "BT-09(b)-Procedure"} <= fields
    assert len(fields) > 1000 and tedquery.known_fields("") is None


@pytest.mark.parametrize(
    "query",
    [
        "buyer-country = FIN AND publication-date >= {since}",
        "(classification-cpv = 72000000 OR classification-cpv = 48000000) AND buyer-country = FIN",
        "buyer-country IN (FIN SWE) AND PD >= today(-7) SORT BY publication-date DESC",
        'notice-title ~ "siivous" AND NOT notice-type = pin-only',
        "buyer-country NOT IN (FIN) AND deadline-receipt-tender-date-lot >= 20240301",
        "publication-date = [20240101 <> 20240131]",
    ],
)
def test_good_queries_pass(fields, query):
    assert tedquery.check_query(query, fields) == []


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("buyer-country = FIN AND publication-date >= 2024-03-01",
         "column 45: publication-date '2024-03-01' is not a date as TED reads them: write YYYYMMDD (20240301) or "
         "today(-7); TED answers a date in another form with no notices, not with an error"),
        ("publication-date >= 20240230", "publication-date '20240230' is not a date"),  # no such day
        ("BT-131(d)-Lot > 01.03.2024", "BT-131(d)-Lot '01.03.2024' is not a date"),
        ("buyer-countri = FIN", "column 1: TED has no field 'buyer-countri' (did you mean buyer-country?)"),
        ("buyer-country FIN", "column 15: expected an operator (=, !=, <, >, <=, >=, ~ or IN) after 'buyer-country'"),
        ("buyer-country = FIN AND (notice-type = cn-standard", "column 25: this '(' is not closed"),
        ("buyer-country = FIN)", "column 20: a closing ')' without its opening one"),
        ('notice-title ~ "siivous', "column 16: an unclosed quote"),
        ("buyer-country IN FIN", "IN must be followed by a list of values in parentheses"),
        ("", "the query is empty"),
    ],
)  # fmt: skip
def test_bad_queries_say_what_and_where(fields, query, problem):
    problems = tedquery.check_query(query, fields)
    assert any(problem in p for p in problems), problems


def test_the_buyer_country_of_a_query():
    assert tedquery.country_of("buyer-country = FIN AND publication-date >= 20240301") == "FIN"
    assert tedquery.country_of("(buyer-country IN (SWE NOR)) AND classification-cpv = 72000000") == "SWE"
    assert tedquery.country_of("classification-cpv = 72000000") is None


def post_source(client, **data):
    data = {"name": "TED Finland", "kind": "ted", "url": "", "query": "", "interval": "3600", "enabled": "on", **data}
    return client.post("/admin/notices/source/add/", data)


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(User.objects.create_superuser("admin", "admin@example.fi", "x"))
    return client


def test_the_admin_refuses_a_ted_query_with_a_date_in_the_wrong_form(admin_client):
    answer = post_source(admin_client, query="buyer-country = FIN AND publication-date >= 01.03.2024")
    assert answer.status_code == 200 and not Source.objects.exists()
    assert "is not a date as TED reads them: write YYYYMMDD" in answer.content.decode()

    answer = post_source(admin_client, query="buyer-country = FIN AND publication-date >= {since}")
    assert answer.status_code == 302 and Source.objects.get().query.endswith("{since}")


def test_field_names_are_checked_against_the_specification_ted_api_spec_names(admin_client):
    query = "buyer-countri = FIN AND publication-date >= {since}"
    with override_settings(TED_API_SPEC=str(realapi_path("ted-api-v3.yaml"))):
        answer = post_source(admin_client, query=query)
    assert answer.status_code == 200 and "did you mean buyer-country?" in answer.content.decode()
    with override_settings(TED_API_SPEC=""):  # without the file, TED will judge the names
        assert post_source(admin_client, query=query).status_code == 302


def test_the_admin_refuses_a_hilma_query_that_is_not_json(admin_client):
    answer = post_source(admin_client, name="Hilma", kind="hilma", query='{"search": "*", ')
    assert answer.status_code == 200 and "the query is not a JSON object" in answer.content.decode()
    assert post_source(admin_client, name="Hilma", kind="hilma", query="siivous").status_code == 302
