"""The buyer page, by identifier in any written form."""

import pytest

from tests.pages.conftest import buyer_record, days, lang, save

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("identifier", ["0206714-5", "FI02067145", "02067145", "FI-PRO:0206714-5"])
def test_any_written_form_of_the_identifier_finds_the_buyer(client, notice, identifier):
    response = lang(client, "en").get(f"/buyers/{identifier}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Kymenlaakson Liitto</h1>" in html
    assert "Business ID" in html and "0206714-5" in html
    assert f'href="/notices/{notice.pk}/"' in html
    assert 'href="mailto:hankinnat@example.fi"' in html


def test_the_buyers_id_works_too(client, buyer):
    assert client.get(f"/buyers/{buyer.pk}/").status_code == 200


def test_an_unknown_identifier_is_404(client, notice):
    assert client.get("/buyers/1234567-8/").status_code == 404
    assert client.get("/buyers/nobody/").status_code == 404


def test_it_lists_only_this_buyers_notices_open_ones_first(client, notice):
    save("closed", "Vanha", [("tender", days(-5))])
    save("other", "Muu", buyer=buyer_record("Toinen kunta", "1618033-3"))
    response = client.get("/buyers/0206714-5/")
    assert [i["title"] for i in response.context["items"]] == ["Tienhoidon urakka 2027", "Vanha"]
    assert response.context["count"] == 2


def test_the_buyer_name_follows_the_language(client, db):
    save(buyer=buyer_record("Kymenlaakson Liitto", sv_name="Kymmenedalens förbund"))
    assert "<h1>Kymmenedalens förbund</h1>" in lang(client, "sv").get("/buyers/0206714-5/").content.decode()
