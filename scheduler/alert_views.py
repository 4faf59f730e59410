"""Pages of the alerts and of one address, reached from the home page, a buyer's page or a mail; no login.

* ``/alerts/new/?q=...&cpv=...`` "save this search as an alert": the home page's filters (read by the home
  page's own ``SearchForm``, plus any other alert filter given by name, e.g. ``buyer_id`` from a buyer's
  page), an address, how often; then ``/alerts/sent/`` (double opt-in) or, for a signed-in user with their
  own address, the alert's page.
* ``/alerts/confirm/<token>/`` confirms; ``/alerts/unsubscribe/<token>/`` stops (GET: a page with a
  button, so mail scanners stop nothing; POST, also RFC 8058 one-click, CSRF-exempt: the signed token is
  the authority).
* ``/alerts/<token>/`` the alert: what it watches, every notice it announced (the digests' "full list"),
  its Atom feed ``/alerts/<token>/feed.atom``.
* ``/alerts/remind/<token>/`` "remind me of this deadline": one button, reminders at once for the
  alert's address (already confirmed), no confirmation mail.
* ``/my/`` asks for the link to an address's page (sent by mail, rate-limited like confirmations);
  ``/my/<token>/`` "your reminders and alerts": every reminder and alert of the address, each editable
  and removable, and ``/my/<token>/calendar.ics``, the address's calendar of every followed deadline.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django import forms
from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core import signing
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from notices.api.auth import client_ip
from notices.display import KIND_LABELS, local_time, notice_url, time_left
from notices.errors import Invalid, RateLimited
from notices.models import Deadline, Notice
from notices.vocab import FOLLOWABLE_KINDS, LANGUAGES
from notices.web.feeds import calendar_response, deadline_events
from notices.web.forms import BEFORE_LABELS, SearchForm
from scheduler import alertmail, alerts, dispatch, following, links, planning
from scheduler.models import Alert, AlertItem, AlertMail, Subscription

HOURS = [(h, f"{h:02d}.00") for h in range(24)]


def _language() -> str:
    lang = (translation.get_language() or "")[:2]
    return lang if lang in LANGUAGES else settings.LANGUAGE_CODE


class AlertForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Your e-mail address"), max_length=254)
    name = forms.CharField(label=gettext_lazy("Name (optional)"), max_length=200, required=False)
    frequency = forms.ChoiceField(
        label=gettext_lazy("How often"), widget=forms.RadioSelect, initial="daily",
        choices=[(k, v) for k, v in alertmail.FREQUENCY_LABELS.items()],
    )
    hour = forms.TypedChoiceField(label=gettext_lazy("At (Finnish time)"), coerce=int, initial=7, choices=HOURS)
    weekday = forms.TypedChoiceField(
        label=gettext_lazy("On (weekly)"), coerce=int, initial=0, choices=list(enumerate(alertmail.WEEKDAY_LABELS))
    )


def filters_from(query) -> dict:
    """An alert's filters from a page's query string: the home page's form as the home page reads it, and
    any other alert field by its name (``buyer_id``, ``notice_type``, ``country``...)."""
    form = SearchForm(query)
    found = {}
    if form.is_valid():
        found = {k: v for k, v in dataclasses.asdict(form.filters(timezone.now())).items() if v not in (None, "")}
    fields = set(alerts.alert_fields())
    for name, value in query.items():
        if name in fields and name not in found and name not in form.fields and value.strip():
            found[name] = int(value) if name == "buyer_id" and value.strip().isdigit() else value
    return {k: v for k, v in found.items() if k in fields}


# --- saving a search as an alert --------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def alert_new(request):
    source = request.POST if request.method == "POST" else request.GET
    filters = filters_from(_prefixed(source) if request.method == "POST" else source)
    user = request.user if request.user.is_authenticated else None
    initial = {"email": user.email} if user is not None and user.email else {}
    if request.GET.get("name"):
        initial["name"] = request.GET["name"][:200]
    form = AlertForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                alert, _token = alerts.create(
                    email=data["email"], user=user, filters=filters, frequency=data["frequency"],
                    hour=data["hour"], weekday=data["weekday"], language=_language(), name=data.get("name") or "",
                    ip=client_ip(request),
                )
            except Invalid as refused:
                for error in refused.fields:
                    field = error.path[0] if error.path and error.path[0] in form.fields else None
                    form.add_error(field, _("This search cannot be saved as an alert.") if field is None else error.message)
            except RateLimited as limited:
                form.add_error(None, _("Too many subscriptions in a short time; try again later."))
                response = _render_new(request, form, filters, 429)
                response["Retry-After"] = str(limited.wait)
                return response
            else:
                if alert.status == Alert.Status.ACTIVE:
                    return redirect(_local(links.alert_url(alert.pk)))
                return redirect("scheduler:alert_sent")
    return _render_new(request, form, filters, status)


def _prefixed(data) -> dict:
    return {k[2:]: v for k, v in data.items() if k.startswith("f_")}


def _render_new(request, form, filters, status):
    return render(
        request,
        "scheduler/alerts/new.html",
        {"form": form, "filters": filters, "summary": alerts.describe(filters), "hidden": [(f"f_{k}", v) for k, v in filters.items()]},
        status=status,
    )


def _local(url: str) -> str:
    return url.removeprefix(settings.SITE_URL.rstrip("/"))


@require_safe
def alert_sent(request):
    return render(request, "scheduler/alerts/sent.html", {})


def _alert_by(token: str, read) -> Alert:
    try:
        alert_id = read(token)
    except (signing.BadSignature, ValueError):
        raise Http404("No such alert.") from None
    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None:
        raise Http404("No such alert.")
    return alert


@require_http_methods(["GET", "HEAD"])
def alert_confirm(request, token: str):
    try:
        alert_id = links.read_alert_confirm_token(token)
    except signing.SignatureExpired:
        return render(request, "scheduler/invalid.html", {"expired": True}, status=400)
    except (signing.BadSignature, ValueError):
        return render(request, "scheduler/invalid.html", {}, status=400)
    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None:
        return render(request, "scheduler/invalid.html", {}, status=404)
    if request.method == "GET":
        alerts.confirm(alert)
        alert.refresh_from_db()
    with translation.override(alert.language):
        return render(request, "scheduler/alerts/confirmed.html", _alert_context(alert))


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def alert_unsubscribe(request, token: str):
    alert = _alert_by(token, links.read_alert_unsubscribe_token)
    if request.method == "POST":
        alerts.unsubscribe(alert)
    with translation.override(alert.language):
        context = _alert_context(alert)
        context.update(action=request.path, done=request.method == "POST")
        return render(request, "scheduler/alerts/unsubscribe.html", context)


def _alert_context(alert: Alert) -> dict:
    return {
        "alert": alert,
        "name": alert.name or alerts.describe(alert.filters),
        "summary": alerts.describe(alert.filters),
        "schedule": alertmail.schedule_label(alert),
        "alert_url": links.alert_url(alert.pk),
        "feed_url": links.alert_feed_url(alert.pk),
        "address_url": links.address_url(alert.email),
        "unsubscribe_url": links.alert_unsubscribe_url(alert.pk),
    }


def announced(alert: Alert):
    """The notices an alert announced, newest first (its page and its feed)."""
    return (
        AlertItem.objects.filter(alert=alert, kind=AlertItem.Kind.NEW)
        .select_related("notice")
        .defer("notice__descriptions")
        .order_by("-created_at", "-pk")
    )


@require_safe
def alert_page(request, token: str):
    alert = _alert_by(token, links.read_alert_token)
    now = timezone.now()
    lang = _language()
    page = Paginator(announced(alert), 50).get_page(request.GET.get("page"))
    rows = []
    for item in page:
        notice = item.notice
        at = alertmail.closing(notice, now)
        rows.append(
            {
                "title": alertmail.title_of(notice, lang),
                "url": reverse("notices:notice", args=[notice.pk]),
                "found": local_time(item.created_at),
                "closes": local_time(at) if at else "",
                "left": time_left(at - now) if at else "",
                "cancelled": notice.status == Notice.Status.CANCELLED,
            }
        )
    context = _alert_context(alert)
    context.update(rows=rows, page=page)
    return render(request, "scheduler/alerts/alert.html", context)


class AlertFeed(Feed):
    """GET /alerts/<token>/feed.atom: the notices this alert announced, newest first."""

    feed_type = Atom1Feed

    def get_object(self, request, token: str):
        self.request = request
        alert = _alert_by(token, links.read_alert_token)
        self.lang = alert.language if alert.language in LANGUAGES else settings.LANGUAGE_CODE
        return alert

    def title(self, alert):
        with translation.override(self.lang):
            return _("Alert: %(name)s") % {"name": alert.name or alerts.describe(alert.filters)}

    def link(self, alert):
        return _local(links.alert_url(alert.pk))

    def feed_guid(self, alert):
        return links.alert_feed_url(alert.pk)

    def items(self, alert):
        return list(announced(alert).prefetch_related("notice__buyers")[:50])

    def item_title(self, item):
        return alertmail.title_of(item.notice, self.lang)

    def item_description(self, item):
        notice = item.notice
        with translation.override(self.lang):
            parts = [", ".join(b.names.get(self.lang) or b.name for b in notice.buyers.all())]
            at = alertmail.closing(notice, timezone.now())
            if at:
                parts.append(_("Closes %(when)s (Finnish time)") % {"when": local_time(at)})
            if notice.status == Notice.Status.CANCELLED:
                parts.append(_("Cancelled."))
            return " — ".join(p for p in parts if p)

    def item_link(self, item):
        return reverse("notices:notice", args=[item.notice_id])

    def item_guid(self, item):
        return notice_url(item.notice_id)

    def item_pubdate(self, item):
        return item.created_at

    def item_updateddate(self, item):
        return max(item.created_at, item.notice.updated_at)


alert_feed = AlertFeed()


# --- "remind me of this deadline" -------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def remind(request, token: str):
    try:
        alert_id, notice_id = links.read_remind_token(token)
    except (signing.BadSignature, ValueError):
        raise Http404("No such link.") from None
    alert = Alert.objects.filter(pk=alert_id).first()
    notice = Notice.objects.filter(pk=notice_id).first()
    if alert is None or notice is None:
        raise Http404("No such link.")
    lang = alert.language
    existing = (
        Subscription.objects.filter(email__iexact=alert.email, notice=notice, lot="", status=Subscription.Status.ACTIVE)
        .order_by("-pk")
        .first()
    )
    if existing is not None:
        return redirect(_local(links.reminders_url(existing.pk)))
    problems = []
    if request.method == "POST":
        kinds = [k for k in FOLLOWABLE_KINDS if any(d.kind == k and d.active for d in notice.deadlines.all())]
        closing = [k for k in kinds if k in ("tender", "participation")] or kinds[:1] or ["tender"]
        try:
            with translation.override(lang):
                subscription, _token = following.follow(
                    notice=notice, email=alert.email, user=None, lot="", deadlines=closing,
                    before=list(planning.DEFAULT_BEFORE), language=lang, ip=client_ip(request), confirmed=True,
                )
        except Invalid as refused:
            problems = [str(f.message) for f in refused.fields] or [refused.message]
        else:
            return redirect(_local(links.reminders_url(subscription.pk)))
    with translation.override(lang):
        return render(
            request,
            "scheduler/alerts/remind.html",
            {"notice": notice, "title": alertmail.title_of(notice, lang), "notice_url": notice_url(notice.pk),
             "email": alert.email, "problems": problems},
            status=400 if problems else 200,
        )


# --- one address: "your reminders and alerts" -------------------------------------------------------------


class AddressForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Your e-mail address"), max_length=254)


@require_http_methods(["GET", "HEAD", "POST"])
def address_request(request):
    """Send the link to an address's page to that address (the answer never says whether it has any)."""
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        now = timezone.now()
        recent = AlertMail.objects.filter(
            kind=AlertMail.Kind.LINK, email__iexact=email, created_at__gt=now - dt.timedelta(days=1)
        ).count()
        if recent < settings.SCHEDULER_RATE_PER_ADDRESS:
            with transaction.atomic():
                mail = AlertMail.objects.create(
                    kind=AlertMail.Kind.LINK, email=email, language=_language(), next_attempt_at=now,
                    expires_at=now + dt.timedelta(days=1), created_at=now, updated_at=now,
                )
                if settings.SCHEDULER_SEND_CONFIRMATION_NOW:
                    transaction.on_commit(lambda: dispatch.send_now(AlertMail, mail.pk))
        return render(request, "scheduler/alerts/address_sent.html", {"email": email})
    return render(request, "scheduler/alerts/address_request.html", {"form": form}, status=400 if form.errors else 200)


def _address(token: str) -> str:
    try:
        return links.read_address_token(token)
    except (signing.BadSignature, ValueError):
        raise Http404("No such page.") from None


class SubscriptionEdit(forms.Form):
    deadlines = forms.MultipleChoiceField(
        label=gettext_lazy("Which deadlines"), widget=forms.CheckboxSelectMultiple,
        choices=[(k, KIND_LABELS[k]) for k in FOLLOWABLE_KINDS],
    )
    before = forms.MultipleChoiceField(label=gettext_lazy("How long before"), widget=forms.CheckboxSelectMultiple)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=Subscription.Language.choices)

    def __init__(self, *args, subscription: Subscription, **kwargs):
        super().__init__(*args, prefix=f"s{subscription.pk}", **kwargs)
        offsets = dict(BEFORE_LABELS)
        for text in subscription.before:
            offsets.setdefault(text, text)
        self.fields["before"].choices = list(offsets.items())
        if not self.is_bound:
            self.initial = {"deadlines": subscription.deadlines, "before": subscription.before,
                            "language": subscription.language}


class AlertEdit(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name (optional)"), max_length=200, required=False)
    frequency = AlertForm.base_fields["frequency"]
    hour = AlertForm.base_fields["hour"]
    weekday = AlertForm.base_fields["weekday"]
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=Subscription.Language.choices)

    def __init__(self, *args, alert: Alert, **kwargs):
        super().__init__(*args, prefix=f"a{alert.pk}", **kwargs)
        if not self.is_bound:
            self.initial = {"name": alert.name, "frequency": alert.frequency, "hour": alert.hour,
                            "weekday": alert.weekday, "language": alert.language}


@require_http_methods(["GET", "HEAD", "POST"])
def address(request, token: str):
    email = _address(token)
    subscriptions = list(
        Subscription.objects.filter(email__iexact=email).exclude(status=Subscription.Status.UNSUBSCRIBED)
        .select_related("notice").order_by("-created_at", "-pk")[:200]
    )
    alert_rows = list(
        Alert.objects.filter(email__iexact=email).exclude(status=Alert.Status.UNSUBSCRIBED).order_by("-created_at", "-pk")[:200]
    )
    status = 200
    message = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        kind, _sep, rest = action.partition(":")
        what, _sep, pk = rest.partition(":")
        target_s = next((s for s in subscriptions if str(s.pk) == pk), None) if kind == "subscription" else None
        target_a = next((a for a in alert_rows if str(a.pk) == pk), None) if kind == "alert" else None
        if target_s is None and target_a is None:
            raise Http404("No such reminder or alert.")
        if what == "remove":
            if target_s is not None:
                planning.unsubscribe(target_s)
            else:
                alerts.unsubscribe(target_a)
            return redirect(request.path + "?done=removed")
        if target_s is not None:
            form = SubscriptionEdit(request.POST, subscription=target_s)
            if form.is_valid():
                with transaction.atomic():
                    target_s.deadlines = form.cleaned_data["deadlines"]
                    target_s.before = form.cleaned_data["before"]
                    target_s.language = form.cleaned_data["language"]
                    target_s.save(update_fields=["deadlines", "before", "language"])
                    planning.plan(target_s)
                return redirect(request.path + "?done=saved")
            status, message = 400, "error"
        else:
            form = AlertEdit(request.POST, alert=target_a)
            if form.is_valid():
                alerts.update(target_a, form.cleaned_data)
                return redirect(request.path + "?done=saved")
            status, message = 400, "error"
    lang = _language()
    now = timezone.now()
    posted = request.POST.get("action", "") if request.method == "POST" else ""
    context = {
        "email": email,
        "done": request.GET.get("done", ""),
        "message": message,
        "calendar_url": links.address_calendar_url(email),
        "subscriptions": [
            {
                "subscription": s,
                "title": alertmail.title_of(s.notice, lang),
                "notice_url": reverse("notices:notice", args=[s.notice_id]),
                "reminders_url": links.reminders_url(s.pk),
                "pending": s.status == Subscription.Status.PENDING,
                "closes": local_time(s.notice.closes_at) if s.notice.closes_at and s.notice.closes_at > now else "",
                "form": SubscriptionEdit(
                    request.POST if posted == f"subscription:save:{s.pk}" else None, subscription=s
                ),
            }
            for s in subscriptions
        ],
        "alerts": [
            {
                "alert": a,
                "name": a.name or alerts.describe(a.filters),
                "summary": alerts.describe(a.filters),
                "schedule": alertmail.schedule_label(a),
                "url": links.alert_url(a.pk),
                "pending": a.status == Alert.Status.PENDING,
                "form": AlertEdit(request.POST if posted == f"alert:save:{a.pk}" else None, alert=a),
            }
            for a in alert_rows
        ],
    }
    return render(request, "scheduler/alerts/address.html", context, status=status)


@require_safe
def address_calendar(request, token: str):
    """Every deadline the address's active subscriptions follow, one event per deadline (the mails' UIDs)."""
    email = _address(token)
    subscriptions = Subscription.objects.filter(email__iexact=email, status=Subscription.Status.ACTIVE).select_related("notice")
    seen, followed = set(), []
    language = settings.LANGUAGE_CODE
    for subscription in subscriptions:
        language = subscription.language
        notice = subscription.notice
        if notice.status != Notice.Status.ACTIVE:
            continue
        for deadline in planning.followed(subscription, list(Deadline.objects.filter(notice=notice))):
            if deadline.pk not in seen:
                seen.add(deadline.pk)
                deadline.notice = notice
                followed.append(deadline)
    lang = language if language in LANGUAGES else settings.LANGUAGE_CODE
    with translation.override(lang):
        name = str(_("Your reminders"))
    return calendar_response(deadline_events(sorted(followed, key=lambda d: d.at), lang), "reminders.ics", name=name)
