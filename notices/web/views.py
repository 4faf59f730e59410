"""Pages: open calls (home), a notice, a buyer, the PDF summary, and the officers' pages.

Server-rendered and usable without JavaScript. Lists are found with ``notices.search`` (the same query
functions as the REST API); officers act through ``notices.officers`` (the same service as the API), and
its field errors are shown beside the fields. Times are shown in Europe/Helsinki with UTC beside them.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from notices import codes, errors, officers, pdf, search, store
from notices.display import (
    FIELD_LABELS,
    KIND_LABELS,
    LANGUAGE_LABELS,
    SOURCE_LABELS,
    cancel_reason,
    cpv_labels,
    local_time,
    money,
    region_name,
    review_note,
    review_reasons,
    time_left,
    utc_time,
)
from notices.models import Buyer, Deadline, Draft, Notice
from notices.vocab import KIND_ORDER, LANGUAGES, natural_key
from notices.web import export
from notices.web.errors import Missing, bad_request_page
from notices.web.forms import (
    PAGE_SIZE,
    BuyerForm,
    CancelForm,
    FollowForm,
    OfficerForms,
    SearchForm,
    translate_problem,
)


def page_language() -> str:
    lang = (get_language() or "").split("-")[0]
    return lang if lang in LANGUAGES else LANGUAGES[0]


# --- shared bits --------------------------------------------------------------------------------------


def buyer_key(buyer: Buyer) -> str:
    """What the buyer's page is addressed by: its checked identifier, else its id."""
    ident = buyer.primary_identifier
    return ident.value if ident is not None and ident.valid is not False else str(buyer.pk)


def buyer_url(buyer: Buyer) -> str:
    return reverse("notices:buyer", args=[buyer_key(buyer)])


def title_of(notice: Notice, lang: str) -> str:
    return (notice.titles or {}).get(lang) or notice.title


def instant(at: dt.datetime | None, now: dt.datetime, *, publication: bool = False) -> dict | None:
    """An instant as the pages show it: Helsinki time in the page language, UTC, and the time left.
    ``publication``: a date given without a time of day is shown as the date alone."""
    if at is None:
        return None
    return {
        "iso": at.astimezone(dt.UTC).isoformat(),
        "local": local_time(at, publication=publication),
        "utc": utc_time(at),
        "left": time_left(at - now) if at > now else "",
        "passed": at <= now,
        "soon": now < at <= now + dt.timedelta(days=3),
    }


def cards(rows: list[tuple[int, dt.datetime | None]], now: dt.datetime, lang: str) -> list[dict]:
    """The list entries for a page of ``search.page`` rows, in their order."""
    ids = [pk for pk, _ in rows]
    found = Notice.objects.filter(pk__in=ids).prefetch_related(
        Prefetch("buyers", queryset=Buyer.objects.prefetch_related("identifiers").order_by("pk"))
    )
    by_id = {n.pk: n for n in found}
    review = Deadline.to_review(ids)
    items = []
    for pk, ahead in rows:
        notice = by_id.get(pk)
        if notice is None:
            continue
        items.append(
            {
                "notice": notice,
                "title": title_of(notice, lang),
                "url": reverse("notices:notice", args=[pk]),
                "buyers": [{"name": b.names.get(lang) or b.name, "url": buyer_url(b)} for b in notice.buyers.all()],
                "deadline": instant(ahead, now),
                "review": review_note(review[(pk, ahead)]) if (pk, ahead) in review else "",
                "closed_at": instant(notice.closes_at, now) if ahead is None else None,
                "cancelled": notice.status == Notice.Status.CANCELLED,
                "cpv": cpv_labels((notice.all_cpv or notice.cpv or [])[:4], lang),
                "source": SOURCE_LABELS.get(notice.source, notice.source),
            }
        )
    return items


def pages(request, number: int, count: int, more: bool) -> dict:
    """Links to the previous and next page, keeping the other query parameters."""
    last = max(1, -(-count // PAGE_SIZE))

    def link(n: int) -> str:
        query = request.GET.copy()
        query["page"] = str(n)
        return "?" + query.urlencode()

    return {
        "number": number,
        "last": last,
        "previous": link(number - 1) if number > 1 else None,
        "next": link(number + 1) if more else None,
    }


def _offset(number: int) -> int:
    offset = (number - 1) * PAGE_SIZE
    if offset > search.count_cap():
        raise Missing(_("This list has no page %(number)s.") % {"number": number})
    return offset


# --- home: open calls ---------------------------------------------------------------------------------


@require_safe
def home(request):
    """Open calls, soonest deadline first, with search and filters."""
    now = timezone.now()
    lang = page_language()
    form = SearchForm(request.GET, lang=lang)
    items, count, exact, more, number = [], 0, True, False, 1
    if form.is_valid():
        number = form.page_number
        found = search.page(form.filters(now), now=now, limit=PAGE_SIZE + 1, offset=_offset(number))
        more = len(found.rows) > PAGE_SIZE
        items = cards(found.rows[:PAGE_SIZE], now, lang)
        count, exact = found.count, found.count_exact
    feed_query = {k: v for k, v in request.GET.items() if k not in ("page", "cpv_name") and v}
    suggestions = []
    if form.is_bound and (request.GET.get("cpv_name") or "").strip():
        # The CPV picker without JavaScript: codes whose names hold the words, each a link that sets it.
        for found in codes.suggest_cpv(request.GET["cpv_name"], lang):
            query = request.GET.copy()
            query.pop("cpv_name", None)
            query.pop("page", None)
            query["cpv"] = found["code"]
            suggestions.append({**found, "url": "?" + query.urlencode()})
    return render(
        request,
        "notices/home.html",
        {
            "form": form,
            "items": items,
            "count": count,
            "count_exact": exact,
            "pages": pages(request, number, count, more),
            # Anything typed, even what did not read: the "clear" link is there to start over.
            "filtered": form.is_filtered() or any(v for k, v in request.GET.items() if k != "page"),
            "status": form.chosen_status,
            "cpv_suggestions": suggestions,
            "csv_url": reverse("notices:export_csv") + ("?" + urlencode(feed_query) if feed_query else ""),
            "ics_url": reverse("notices:feed_ics") + ("?" + urlencode(feed_query) if feed_query else ""),
            "atom_url": reverse("notices:feed_atom") + ("?" + urlencode(feed_query) if feed_query else ""),
        },
    )


# --- a notice -----------------------------------------------------------------------------------------


@require_safe
def notice_detail(request, pk: int):
    notice = notice_or_404(pk, Notice.objects.select_related("current_version"))
    return notice_page(request, notice)


def notice_or_404(pk: int, rows=None) -> Notice:
    notice = (rows if rows is not None else Notice.objects).filter(pk=pk).first()
    if notice is None:
        raise Missing(_("There is no notice %(id)s.") % {"id": pk})
    return notice


def notice_page(request, notice: Notice, *, follow_form: FollowForm | None = None, status: int = 200):
    """The notice page; scheduler's follow view renders it again with its form's errors."""
    return render(request, "notices/notice.html", notice_context(notice, follow_form), status=status)


def notice_context(notice: Notice, follow_form: FollowForm | None = None) -> dict:
    now = timezone.now()
    lang = page_language()
    language = notice.language or ""
    lots = sorted(notice.lots.all(), key=lambda lot: natural_key(lot.lot_id))
    lot_titles = {lot.lot_id: (lot.titles or {}).get(lang) or lot.title for lot in lots}
    deadlines = sorted(
        notice.deadlines.filter(active=True),
        key=lambda d: (d.lot != "", natural_key(d.lot), KIND_ORDER.get(d.kind, 9), d.at),
    )
    rows = [
        {
            "lot": d.lot,
            "lot_title": lot_titles.get(d.lot, ""),
            "kind": KIND_LABELS.get(d.kind, d.kind),
            "at": instant(d.at, now),
            "needs_review": d.needs_review,
            "review_reasons": review_reasons(d.review_reasons),
            "moved": d.sequence > 0,
        }
        for d in deadlines
    ]
    description = (notice.descriptions or {}).get(lang) or (notice.descriptions or {}).get(language) or next(
        iter((notice.descriptions or {}).values()), ""
    )
    buyers = list(notice.buyers.prefetch_related("identifiers").order_by("pk"))
    is_open = notice.status == Notice.Status.ACTIVE and notice.closes_at is not None and notice.closes_at > now
    return {
        "notice": notice,
        "title": title_of(notice, lang),
        "original_title": notice.title if title_of(notice, lang) != notice.title else "",
        "language_name": LANGUAGE_LABELS.get(language, language),
        "description": description,
        "cancelled": notice.status == Notice.Status.CANCELLED,
        "cancel_reason": cancel_reason(notice),
        "open": is_open,
        "published": instant(notice.published_at, now, publication=True),
        "buyers": [
            {
                "name": b.names.get(lang) or b.name,
                "url": buyer_url(b),
                "identifiers": [
                    {"scheme": i.scheme, "value": i.value, "invalid": i.valid is False} for i in b.identifiers.all()
                ],
            }
            for b in buyers
        ],
        "deadline_rows": rows,
        "deadline_groups": _groups(rows),
        "contacts": _contacts(notice.contacts.all()),
        "lots": [
            {
                "id": lot.lot_id,
                "title": lot_titles.get(lot.lot_id, ""),
                "cpv": cpv_labels(lot.cpv or [], lang),
                "value": money(lot.estimated_value, notice.currency),
            }
            for lot in lots
        ],
        "cpv": cpv_labels(notice.all_cpv or notice.cpv or [], lang),
        "regions": [{"code": c, "name": region_name(c, lang)} for c in notice.nuts or []],
        "estimated_value": money(notice.estimated_value, notice.currency),
        "links": [{"href": _http(link), "text": link} for link in notice.links or []],
        "source": {
            "name": SOURCE_LABELS.get(notice.source, notice.source),
            "url": _http(notice.source_url),
            # Every address it was read from (TED and Hilma both, say), besides its own page.
            "origins": [
                {"href": href, "text": href}
                for href in dict.fromkeys(_http(o.url) for o in notice.origins.all())
                if href and href != _http(notice.source_url)
            ],
        },
        "versions": _history(notice),
        "pdf_url": reverse("notices:summary_pdf", args=[notice.pk]) + f"?lang={lang}",
        "follow_form": follow_form or (FollowForm(notice=notice) if is_open else None),
        "follow_url": reverse("scheduler:follow", args=[notice.pk]),
    }


def _groups(rows: list[dict]) -> list[dict]:
    """Deadline rows by lot: the whole procedure first, then each lot in natural order."""
    groups: list[dict] = []
    for row in rows:
        if not groups or groups[-1]["lot"] != row["lot"]:
            groups.append({"lot": row["lot"], "lot_title": row["lot_title"], "rows": []})
        groups[-1]["rows"].append(row)
    return groups


def _http(url: str | None) -> str:
    """A link target only for http(s): notice text is untrusted, so nothing else becomes clickable."""
    url = (url or "").strip()
    return url if urlsplit(url).scheme.lower() in ("http", "https") else ""


def _contacts(rows) -> list[dict]:
    """Contacts as shown, the most authoritative source first (see notices.store.AUTHORITY)."""
    return [_contact(c) for c in sorted(rows, key=lambda c: (-store.authority(c.source), c.pk))]


def _provenance(source: str, origin: str) -> dict:
    """Where a name or contact came from, for a person: the kind of source, and the site of a web page
    (anyone can write a page that cites a buyer; only the buyer's own notices are its word)."""
    if not source:
        return {"source_label": "", "origin_host": "", "unconfirmed": False}
    host = urlsplit(origin).hostname or "" if source == "fi-web" else ""
    return {"source_label": str(SOURCE_LABELS.get(source, source)), "origin_host": host, "unconfirmed": source == "fi-web"}


def _contact(c) -> dict:
    place = " ".join(p for p in (c.postal_code, c.city) if p)
    address = [p for p in (c.street, (_("P.O. Box %(number)s") % {"number": c.po_box}) if c.po_box else "", place) if p]
    return {
        **_provenance(c.source, c.origin),
        "address": ", ".join(address),
        "email": c.email,
        "phone": c.phone or c.phone_e164,
        "phone_href": c.phone_e164 if c.phone_valid and c.phone_e164 else "",
        "phone_invalid": c.phone_valid is False,
        "fax": c.fax or c.fax_e164,
        "fax_invalid": c.fax_valid is False,
        "url": _http(c.url),
        "url_text": c.url,
    }


def _history(notice: Notice) -> list[dict]:
    """Every version, newest first, with what it changed: deadlines moved from → to, added, removed."""
    now = timezone.now()
    versions = notice.versions.defer("raw", "record").order_by("-number")[:100]
    history = []
    for v in versions:
        changes = v.changes or {}

        def where(c):
            kind = KIND_LABELS.get(c.get("kind"), c.get("kind") or "")
            return _("%(kind)s, lot %(lot)s") % {"kind": kind, "lot": c["lot"]} if c.get("lot") else str(kind)

        def when(value):
            try:
                return instant(dt.datetime.fromisoformat(value), now)
            except (TypeError, ValueError):
                return None

        items = []
        if changes.get("outcome") == store.STALE:
            items.append({"type": "stale"})
        if changes.get("outcome") == store.ATTACHED:  # TED's or Hilma's published copy of the officer's notice
            items.append({"type": "attached", "where": "TED" if changes.get("kind") == "eu" else "Hilma",
                          "number": changes.get("publication_number") or ""})
        if changes.get("cancelled"):
            items.append({"type": "cancelled"})
        for c in changes.get("moved", []):
            items.append({"type": "moved", "what": where(c), "old": when(c.get("old")), "new": when(c.get("new"))})
        if v.number > 1:
            for c in changes.get("added", []):
                items.append({"type": "added", "what": where(c), "new": when(c.get("new"))})
        for c in changes.get("removed", []):
            items.append({"type": "removed", "what": where(c), "old": when(c.get("old"))})
        fields = list(dict.fromkeys(str(FIELD_LABELS.get(f, f)) for f in changes.get("fields", [])))
        if fields:
            items.append({"type": "fields", "fields": ", ".join(fields)})
        history.append(
            {
                "number": v.number,
                "received": instant(v.received_at, now),
                "issued": instant(v.issued_at, now, publication=True),
                "first": v.number == 1,
                "items": items,
            }
        )
    return history


@require_safe
def notice_summary_pdf(request, pk: int):
    """GET /notices/<id>/summary.pdf?lang=fi|sv|en: the PDF summary (ETag; If-None-Match gives 304).
    Without ``lang`` the page language (cookie, Accept-Language, then LANGUAGE_CODE) is used."""
    notice = notice_or_404(pk)
    lang = request.GET.get("lang") or page_language()
    if lang not in LANGUAGES:
        return bad_request_page(request, [_("lang: give one of %(languages)s.") % {"languages": ", ".join(LANGUAGES)}])
    return pdf.summary_response(request, notice, lang)


# --- a buyer ------------------------------------------------------------------------------------------


@require_safe
def buyer_detail(request, identifier: str):
    """A buyer by identifier in any written form (0206714-5, FI02067145, FI-PRO:0206714-5) or its id."""
    buyer = search.buyers_for(identifier).order_by("pk").first()
    if buyer is None and identifier.isdigit() and len(identifier) < 12:
        buyer = Buyer.objects.filter(pk=int(identifier)).first()
    if buyer is None:
        raise Missing(_("No buyer has the identifier %(id)s.") % {"id": identifier})
    now = timezone.now()
    lang = page_language()
    try:
        number = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        number = 1
    found = search.page(search.Filters(buyer_id=buyer.pk), now=now, limit=PAGE_SIZE + 1, offset=_offset(number))
    more = len(found.rows) > PAGE_SIZE
    return render(
        request,
        "notices/buyer.html",
        {
            "buyer": buyer,
            "name": buyer.names.get(lang) or buyer.name,
            "name_from": _provenance(buyer.name_sources.get(lang if lang in buyer.names else "", ""), ""),
            "identifiers": list(buyer.identifiers.order_by("pk")),
            "contacts": _contacts(buyer.contacts.order_by("pk")[:20]),
            "items": cards(found.rows[:PAGE_SIZE], now, lang),
            "count": found.count,
            "pages": pages(request, number, found.count, more),
            "search_url": reverse("notices:home") + "?" + urlencode({"buyer": buyer_key(buyer)}),
        },
    )


# --- officers -----------------------------------------------------------------------------------------


class OfficerLoginView(LoginView):
    template_name = "officer/login.html"
    redirect_authenticated_user = True
    next_page = reverse_lazy("notices:officer_home")


class OfficerLogoutView(LogoutView):
    next_page = reverse_lazy("notices:home")


officer_required = login_required(login_url=reverse_lazy("notices:officer_login"))


def _service(call, *args, **kwargs):
    """Call notices.officers: not found is 404, not allowed is 403 (the others are the caller's)."""
    try:
        return call(*args, **kwargs)
    except errors.NotFound:
        raise Missing(_("There is no such draft or notice.")) from None
    except errors.NotAllowed as exc:
        raise PermissionDenied(exc.message) from None


def _buyer_choices(user, wanted: str | None = None) -> list[tuple[str, str]]:
    """(Y-tunnus, label) of the buyers this user may publish for; staff: any with a valid one (the one
    ``wanted`` names among them, e.g. a buyer just added)."""
    if user.is_staff:
        valid = Buyer.objects.filter(identifiers__scheme="FI-PRO", identifiers__valid=True).distinct()
        buyers = list(valid.order_by("name")[:500])
        if wanted:
            buyers += [b for b in valid.filter(identifiers__value=wanted) if b not in buyers]
    else:
        buyers = officers.buyers_of(user)
    choices = []
    for b in buyers:
        ident = b.primary_identifier
        if ident is not None:
            choices.append((ident.value, f"{b.name} ({ident.value})"))
    return choices


@officer_required
@require_safe
def officer_home(request):
    rows = list(_service(officers.mine, request.user)[:500])
    return render(
        request,
        "officer/home.html",
        {
            "drafts": [d for d in rows if d.state == Draft.State.DRAFT],
            "published": [d for d in rows if d.state != Draft.State.DRAFT],
            "buyers": officers.buyers_of(request.user),
            "requests": list(officers.requests_of(request.user)[:20]) if not request.user.is_staff else [],
        },
    )


@officer_required
@require_http_methods(["GET", "HEAD", "POST"])
def officer_buyer(request):
    """A buyer by its business ID and name: staff create it at once, anyone else signed in asks for it
    (an operator approves the request in the admin; then the buyer and the membership exist)."""
    form = BuyerForm(request.POST if request.method == "POST" else None)
    staff = request.user.is_staff
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if staff:
                buyer = officers.create_buyer(request.user, data["business_id"], data["name"])
            else:
                officers.request_buyer(request.user, data["business_id"], data["name"])
        except errors.Invalid as exc:
            form.show(exc.fields)
        except errors.Conflict as exc:
            form.add_error("business_id", translate_problem(exc.message))
        else:
            if staff:
                messages.success(request, _("Buyer %(name)s added.") % {"name": buyer.name})
                return redirect(reverse("notices:officer_new") + "?" + urlencode({"buyer": buyer_key(buyer)}))
            messages.success(request, _("Your request was sent. An operator approves it; then you can publish for the buyer."))
            return redirect("notices:officer_home")
    status = 400 if request.method == "POST" else 200
    return render(request, "officer/buyer.html", {"form": form, "staff": staff}, status=status)


@officer_required
@require_http_methods(["GET", "HEAD", "POST"])
def officer_new(request):
    buyers = _buyer_choices(request.user, request.GET.get("buyer"))
    if not buyers and not request.user.is_staff:
        messages.info(request, _("You are not an officer of any buyer yet: ask for one here."))
        return redirect("notices:officer_buyer")
    forms = OfficerForms(request.POST or None, buyers=buyers, with_buyer=True, buyer=request.GET.get("buyer"))
    if request.method == "POST" and forms.is_valid():
        data = forms.payload()
        if "buyer" not in data and buyers:
            data["buyer"] = buyers[0][0]
        try:
            draft = _service(officers.create_draft, request.user, data)
        except errors.Invalid as exc:
            forms.show(exc.fields)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("notices:officer_draft", draft.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "officer/edit.html", {"forms": forms, "mode": "new"}, status=status)


@officer_required
@require_http_methods(["GET", "HEAD", "POST"])
def officer_draft(request, draft_id: int):
    """Edit a draft; the buttons save, check, publish or discard it."""
    draft = _service(officers.get_draft, request.user, draft_id)
    if draft.state != Draft.State.DRAFT:
        if draft.notice_id:
            return redirect("notices:officer_notice", draft.notice_id)
        raise Missing(_("This draft is closed: it was published or cancelled."))
    action = request.POST.get("action", "save")
    if request.method == "POST" and action == "discard":
        _service(officers.discard_draft, request.user, draft.pk)
        messages.success(request, _("Draft discarded."))
        return redirect("notices:officer_home")
    if request.method == "POST" and action == "copy":
        return _copy(request, draft.pk)
    forms = OfficerForms(request.POST or None, payload=draft.payload)
    eforms = export.EformsPart(request.POST or None, draft, forms)
    status = 200
    if request.method == "POST":
        status = 400
        if all([forms.is_valid(), eforms.is_valid()]):
            try:
                draft = _service(officers.update_draft, request.user, draft.pk, forms.payload())
                eforms.save()
                if action in export.CHECKS:  # findings beside their fields (Invalid), or a message
                    export.check(request, draft, forms, eforms, action)
                if action == "validate":
                    _service(officers.validate_draft, request.user, draft.pk)
                    messages.success(request, _("The notice has no problems: it can be published."))
                elif action == "publish":
                    draft, _change = _service(officers.publish, request.user, draft.pk)
                    messages.success(request, _("Published. The notice is now public."))
                    return redirect("notices:officer_notice", draft.notice_id)
                elif action == "preview":
                    return redirect("notices:officer_preview", draft.pk)
                else:
                    messages.success(request, _("Draft saved."))
                return redirect("notices:officer_draft", draft.pk)
            except errors.Invalid as exc:
                forms.show(exc.fields)
            except errors.Conflict as exc:
                forms.general.append(exc.message)
    return render(
        request, "officer/edit.html", {"forms": forms, "draft": draft, "mode": "draft", "eforms": eforms},
        status=status,
    )


@officer_required
@require_http_methods(["GET", "HEAD", "POST"])
def officer_notice(request, notice_id: int):
    """A published notice: check or publish a correction (a new version through the store)."""
    draft = _service(officers.get_published, request.user, notice_id)
    if request.method == "POST" and request.POST.get("action") == "copy":
        return _copy(request, draft.pk)
    forms = OfficerForms(request.POST or None, payload=draft.payload)
    eforms = export.EformsPart(request.POST or None, draft, forms)
    status = 200
    if request.method == "POST":
        status = 400
        action = request.POST.get("action", "correct")
        if draft.state != Draft.State.PUBLISHED:
            forms.general.append(_("This notice is cancelled; it can no longer be corrected."))
        elif all([forms.is_valid(), eforms.is_valid()]):
            try:
                eforms.save()
                if action in export.CHECKS:  # the correction as typed; findings beside their fields
                    export.check(request, draft, forms, eforms, action, content=export.typed(draft, forms))
                    status = 200
                elif action == "validate":
                    _service(officers.check_correction, request.user, notice_id, forms.payload())
                    messages.success(request, _("The correction has no problems: it can be published."))
                    status = 200
                else:
                    draft, change = _service(officers.correct, request.user, notice_id, forms.payload())
                    if change.outcome == store.UNCHANGED:
                        messages.info(request, _("Nothing changed, so no new version was made."))
                    else:
                        messages.success(request, _("Correction published as version %(number)s.")
                                         % {"number": change.version.number})
                    return redirect("notices:officer_notice", notice_id)
            except errors.Invalid as exc:
                forms.show(exc.fields)
            except errors.Conflict as exc:
                forms.general.append(exc.message)
    return render(
        request, "officer/edit.html",
        {"forms": forms, "draft": draft, "notice": draft.notice, "mode": "published", "eforms": eforms},
        status=status,
    )


def _copy(request, draft_id: int):
    copy = _service(officers.copy_draft, request.user, draft_id)
    messages.success(request, _("A copy is saved as a new draft. Check its deadlines before you publish it."))
    return redirect("notices:officer_draft", copy.pk)


@officer_required
@require_safe
def officer_preview(request, draft_id: int):
    """The public page this draft would be, before publishing: written by the store and rolled back."""
    lang = page_language()

    def show(notice):
        context = notice_context(notice)
        context.update(
            preview=True,
            follow_form=None,
            pdf_url=reverse("notices:officer_preview_pdf", args=[draft_id]) + f"?lang={lang}",
            draft_url=reverse("notices:officer_draft", args=[draft_id]),
        )
        return render(request, "notices/notice.html", context)

    try:
        return _service(officers.preview, request.user, draft_id, show)
    except errors.Invalid as exc:
        for error in exc.fields:
            messages.error(request, translate_problem(error.message))
    except errors.Conflict:
        pass
    return redirect("notices:officer_draft", draft_id)


@officer_required
@require_safe
def officer_preview_pdf(request, draft_id: int):
    lang = request.GET.get("lang") or page_language()
    if lang not in LANGUAGES:
        return bad_request_page(request, [_("lang: give one of %(languages)s.") % {"languages": ", ".join(LANGUAGES)}])

    def show(notice):
        return HttpResponse(pdf.preview_pdf(notice, lang), content_type=pdf.MIMETYPE, headers={
            "Content-Disposition": f'inline; filename="preview-{pdf.summary_filename(notice, lang)}"',
            "Cache-Control": "no-store",
        })

    try:
        return _service(officers.preview, request.user, draft_id, show)
    except (errors.Invalid, errors.Conflict):
        return redirect("notices:officer_preview", draft_id)


@officer_required
@require_http_methods(["GET", "HEAD", "POST"])
def officer_cancel(request, notice_id: int):
    draft = _service(officers.get_published, request.user, notice_id)
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            _service(officers.cancel, request.user, notice_id, reason=form.cleaned_data["reason"])
        except errors.Conflict:
            messages.info(request, _("This notice was already cancelled."))
        else:
            messages.success(request, _("The notice is cancelled. Its followers are told."))
        return redirect("notices:officer_home")
    status = 400 if request.method == "POST" else 200
    return render(request, "officer/cancel.html", {"draft": draft, "notice": draft.notice, "form": form}, status=status)
