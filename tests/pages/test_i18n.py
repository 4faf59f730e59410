"""Every page in Finnish, Swedish and English: lang attribute and translated labels; the language switch."""

import pytest
from django.conf import settings

from notices.models import Draft
from scheduler import links, planning
from scheduler.models import Subscription
from tests.pages.conftest import lang, officer, save

pytestmark = pytest.mark.django_db

# page -> label per language (a label of that page's own, not only the shared header)
LABELS = {
    "home": {"fi": "Avoimet tarjouspyynnöt", "sv": "Öppna anbudsförfaranden", "en": "Open calls for tenders"},
    "notice": {"fi": "Muistuta minua määräajoista", "sv": "Påminn mig om tidsfristerna", "en": "Remind me of the deadlines"},
    "buyer": {"fi": "Y-tunnus", "sv": "FO-nummer", "en": "Business ID"},
    "login": {"fi": "Kirjaudu hankintayksikön edustajana", "sv": "Logga in som upphandlare", "en": "Log in as a procurement officer"},
    "officer": {"fi": "Ilmoituksesi", "sv": "Dina annonser", "en": "Your notices"},
    "new": {"fi": "Tallenna luonnos", "sv": "Spara utkastet", "en": "Save the draft"},
    "draft": {"fi": "Poista luonnos", "sv": "Ta bort utkastet", "en": "Discard the draft"},
    "sent": {"fi": "Katso sähköpostisi", "sv": "Kolla din e-post", "en": "Check your e-mail"},
    "reminders": {"fi": "Suunnitellut muistutukset", "sv": "Planerade påminnelser", "en": "Planned reminders"},
}
HEADER = {"fi": "Siirry sisältöön", "sv": "Hoppa till innehållet", "en": "Skip to content"}


@pytest.fixture
def urls(client, notice):
    buyer = notice.buyers.get()
    user = officer("olli", buyer)
    draft = Draft.objects.create(buyer=buyer, payload={"title": "Luonnos"}, created_by=user)
    subscription = Subscription(email="b@example.fi", notice=notice, deadlines=["tender"], before=["P1D"])
    subscription.new_token()
    subscription.save()
    planning.confirm(subscription)
    return {
        "home": ("/", None),
        "notice": (f"/notices/{notice.pk}/", None),
        "buyer": ("/buyers/0206714-5/", None),
        "login": ("/officer/login/", None),
        "officer": ("/officer/", user),
        "new": ("/officer/new/", user),
        "draft": (f"/officer/drafts/{draft.pk}/", user),
        "sent": (f"/notices/{notice.pk}/follow/sent/", None),
        "reminders": (links.reminders_url(subscription.pk).split("8000", 1)[1], None),
    }


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("page", list(LABELS))
def test_each_page_renders_in_each_language(client, urls, page, language):
    url, user = urls[page]
    if user is not None:
        client.force_login(user)
    response = lang(client, language).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert LABELS[page][language] in html, f"{page} in {language}"
    assert HEADER[language] in html
    others = [LABELS[page][other] for other in ("fi", "sv", "en") if other != language]
    assert not any(label in html for label in others if label != LABELS[page][language])


def test_accept_language_picks_the_language_too(client, notice):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="sv-FI,sv;q=0.9").content.decode()
    assert '<html lang="sv">' in html and "Öppna anbudsförfaranden" in html


def test_finnish_is_the_default(client, notice):
    assert '<html lang="fi">' in client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()


def test_the_language_switch_is_a_post_form_back_to_the_same_page(client, notice):
    page = client.get(f"/notices/{notice.pk}/?x=1").content.decode()
    assert 'action="/i18n/setlang/"' in page and 'name="next" value="/notices/' in page
    assert 'name="language" value="sv" lang="sv"' in page
    response = client.post("/i18n/setlang/", {"language": "sv", "next": f"/notices/{notice.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/notices/{notice.pk}/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sv"
    assert "Påminn mig om tidsfristerna" in client.get(f"/notices/{notice.pk}/").content.decode()


def test_times_follow_the_language(client, notice):
    save()
    fi = lang(client, "fi").get("/").context["items"][0]["deadline"]["local"]
    sv = lang(client, "sv").get("/").context["items"][0]["deadline"]["local"]
    assert "kello" in fi and "kello" not in sv and fi != sv
