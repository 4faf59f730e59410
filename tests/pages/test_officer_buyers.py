"""Officer pages for what issue 17 found missing: buyers not in the database yet (staff add, others ask,
an operator approves in the admin), required fields marked, Swedish and English title and description,
a preview of the public page and the PDF before publishing, copying an earlier notice, and a reason when
cancelling that followers see."""

import io
import re

import pytest
from django.contrib.auth.models import User
from pypdf import PdfReader

from notices.models import Buyer, BuyerRequest, Draft, Notice, OfficerMembership
from tests.pages.conftest import PASSWORD, lang
from tests.pages.test_officer import field_errors, form

pytestmark = pytest.mark.django_db
NEW = "1572860-0"


@pytest.fixture
def staff_client(client, db):
    client.force_login(User.objects.create_user("admin", "admin@example.fi", PASSWORD, is_staff=True, is_superuser=True))
    return client


def test_staff_add_a_buyer_and_go_on_to_a_notice_for_it(staff_client, notice):
    page = lang(staff_client, "en").get("/officer/").content.decode()
    assert 'href="/officer/buyers/new/"' in page and "Add a buyer" in page
    bad = staff_client.post("/officer/buyers/new/", {"business_id": "1572860-1", "name": "Uusi Kunta"})
    assert bad.status_code == 400 and "fails its check digit" in field_errors(bad.content.decode(), "id_business_id")
    response = staff_client.post("/officer/buyers/new/", {"business_id": "FI15728600", "name": "Uusi Kunta"})
    assert response.status_code == 302 and response["Location"] == f"/officer/new/?buyer={NEW}"
    buyer = Buyer.objects.get(identifiers__value=NEW)
    assert buyer.name == "Uusi Kunta"
    new = staff_client.get(response["Location"]).content.decode()
    assert re.search(rf'<option value="{NEW}" selected>Uusi Kunta \({NEW}\)</option>', new)
    again = staff_client.post("/officer/buyers/new/", {"business_id": NEW, "name": "Toinen"})
    assert again.status_code == 400 and "already has the business ID" in again.content.decode()


def test_a_user_without_a_membership_asks_and_an_operator_approves_in_the_admin(client, staff_client):
    from django.test import Client

    asker = User.objects.create_user("uusi", "uusi@example.fi", PASSWORD)
    client = Client()
    client.force_login(asker)
    response = lang(client, "en").post("/officer/buyers/new/", {"business_id": NEW, "name": "Uusi Kunta"})
    assert response.status_code == 302 and response["Location"] == "/officer/"
    home = client.get("/officer/").content.decode()
    assert "Your request was sent" in home and "waiting for an operator" in home
    assert not Buyer.objects.filter(identifiers__value=NEW).exists()
    request = BuyerRequest.objects.get()

    changelist = staff_client.get("/admin/notices/buyerrequest/")
    assert changelist.status_code == 200 and "Uusi Kunta" in changelist.content.decode()
    staff_client.post(
        "/admin/notices/buyerrequest/", {"action": "approve", "_selected_action": [request.pk], "index": 0}
    )
    buyer = Buyer.objects.get(identifiers__value=NEW)
    assert OfficerMembership.objects.filter(user=asker, buyer=buyer).exists()
    assert BuyerRequest.objects.get().state == "approved"
    assert client.get("/officer/new/").status_code == 200


def test_the_admin_adds_a_buyer_from_a_valid_y_tunnus_and_a_name(staff_client):
    assert staff_client.get("/admin/notices/buyer/add/").status_code == 200
    bad = staff_client.post("/admin/notices/buyer/add/", {"business_id": "1572860-1", "name": "X"})
    assert bad.status_code == 200 and "fails its check digit" in bad.content.decode()
    response = staff_client.post("/admin/notices/buyer/add/", {"business_id": NEW, "name": "Uusi Kunta"})
    assert response.status_code == 302, response.content.decode()[:2000]
    buyer = Buyer.objects.get(identifiers__value=NEW)
    assert buyer.name == "Uusi Kunta" and buyer.identifiers.get().valid is True
    assert staff_client.get(f"/admin/notices/buyer/{buyer.pk}/change/").status_code == 200


def test_the_fields_publishing_needs_are_marked(officer_client):
    html = lang(officer_client, "en").get("/officer/new/").content.decode()
    for field in ("id_title", "id_cpv"):
        label = re.search(rf'<label for="{field}">(.*?)</label>', html, re.S).group(1)
        assert '<span class="required" aria-hidden="true">*</span>' in label and "(needed to publish)" in label
    assert "A tender or participation deadline is needed to publish." in html
    assert "Needed to publish. A draft can be saved without them." in html


def test_swedish_and_english_title_and_description(officer_client, client):
    data = form(title_sv="Gatubelysningen förnyas 2027", description_sv="Gatubelysning till LED.",
                title_en="Street lighting renewal 2027", description_en="Street lights to LED.")
    officer_client.post("/officer/new/", data)
    draft = Draft.objects.get()
    assert draft.payload["titles"] == {"sv": "Gatubelysningen förnyas 2027", "en": "Street lighting renewal 2027"}
    assert draft.payload["descriptions"] == {
        "fi": "Katuvalot LED-valoiksi.", "sv": "Gatubelysning till LED.", "en": "Street lights to LED.",
    }
    edit = officer_client.get(f"/officer/drafts/{draft.pk}/").content.decode()
    assert 'value="Gatubelysningen förnyas 2027"' in edit and "id_title_fi" not in edit  # fi is the title itself
    officer_client.post(f"/officer/drafts/{draft.pk}/", form(action="publish", **{k: v for k, v in data.items()}))
    notice = Notice.objects.get(source="officer")
    html = lang(client, "sv").get(f"/notices/{notice.pk}/").content.decode()
    assert "<h1>Gatubelysningen förnyas 2027</h1>" in html and "Gatubelysning till LED." in html


def test_preview_the_public_page_and_the_pdf_before_publishing(officer_client, settings, tmp_path):
    settings.PDF_CACHE_DIR = str(tmp_path / "pdf")
    officer_client.post("/officer/new/", form())
    draft = Draft.objects.get()
    saved = officer_client.post(f"/officer/drafts/{draft.pk}/", form(action="preview"))
    assert saved["Location"] == f"/officer/drafts/{draft.pk}/preview/"
    page = lang(officer_client, "en").get(saved["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "<h1>Katuvalojen uusiminen 2027</h1>" in html
    assert "Preview: this notice is not public yet." in html and 'id="follow"' not in html
    assert "Tender deadline" in html and "45316110" in html
    pdf_link = re.search(r'href="(/officer/drafts/\d+/preview\.pdf\?lang=en)"', html).group(1)
    response = officer_client.get(pdf_link)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Katuvalojen uusiminen 2027" in text
    # Nothing of it is kept: no notice, no version, no cached PDF, and the draft is still a draft.
    assert not Notice.objects.filter(source="officer").exists()
    assert Draft.objects.get().state == "draft"
    assert not list((tmp_path / "pdf").rglob("*.pdf"))
    assert lang(officer_client, "en").get("/").content.decode().count("Katuvalojen") == 0


def test_copy_an_earlier_notice_as_a_new_draft(officer_client):
    officer_client.post("/officer/new/", form())
    draft = Draft.objects.get()
    officer_client.post(f"/officer/drafts/{draft.pk}/", form(action="publish"))
    notice = Notice.objects.get(source="officer")
    response = officer_client.post(f"/officer/notices/{notice.pk}/", {"action": "copy"})
    copy = Draft.objects.exclude(pk=draft.pk).get()
    assert response["Location"] == f"/officer/drafts/{copy.pk}/"
    assert copy.state == "draft" and copy.payload == Draft.objects.get(pk=draft.pk).payload
