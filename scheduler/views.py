"""The pages a subscriber reaches from a notice page or a mail, without logging in.

* ``/notices/<id>/follow/`` (POST, the notice page's follow form): starts the double opt-in exactly as
  ``POST /api/subscriptions`` does (same checks, same rate limits, same confirmation mail); then
  ``/notices/<id>/follow/sent/`` says to look for the mail.
* ``/subscriptions/<token>/``: "your reminders" - what is followed and planned, the calendar feed's
  address and the unsubscribe button; ``/subscriptions/<token>/calendar.ics`` is that feed (the same
  events and UIDs as the mailed .ics). The token is signed (``links.reminders_token``), no login.

* ``/subscriptions/confirm/<token>/`` (GET): opening the confirmation link confirms the subscription
  (double opt-in) and plans its reminders.
* ``/subscriptions/unsubscribe/<token>/``: GET shows a page with a button (so a mail scanner that follows
  links unsubscribes nobody); POST unsubscribes. The POST is also RFC 8058's one-click unsubscribe (body
  ``List-Unsubscribe=One-Click``), sent by mail clients without cookies, so the view is CSRF-exempt: the
  signed token is the authority.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from notices.api.auth import client_ip
from notices.display import (
    KIND_LABELS,
    before_label,
    cancel_reason,
    local_time,
    one_line,
    review_note,
    utc_time,
)
from notices.errors import Invalid, RateLimited
from notices.models import Deadline, Notice
from notices.vocab import LANGUAGES
from notices.web.errors import Missing
from notices.web.feeds import calendar_response, deadline_events
from notices.web.forms import FOLLOW_LIMITED, STATE_LABELS, FollowForm
from notices.web.views import notice_or_404, notice_page
from scheduler import following, links, planning
from scheduler.models import Reminder, Subscription


def _page(request, template, subscription=None, status=200, **context):
    """A page in the subscriber's language (the request's when the link names no subscription)."""
    language = subscription.language if subscription is not None else None
    with translation.override(language or translation.get_language()):
        context.update(subscription=subscription)
        if subscription is not None:
            notice = subscription.notice
            context.update(
                title=notice.titles.get(subscription.language) or notice.title,
                notice_url=reverse("notices:notice", args=[notice.pk]),
            )
        return render(request, f"scheduler/{template}.html", context, status=status)


@require_http_methods(["GET", "HEAD"])
def confirm(request, token: str):
    try:
        subscription_id = links.read_confirm_token(token)
    except signing.SignatureExpired:
        expired = Subscription.objects.filter(pk=links.read_expired_confirm_token(token)).first()
        return _page(request, "invalid", expired, status=400, expired=True)
    except (signing.BadSignature, ValueError):
        return _page(request, "invalid", status=400)
    subscription = Subscription.objects.filter(pk=subscription_id).select_related("notice").first()
    if subscription is None:
        return _page(request, "invalid", status=404)
    if request.method == "GET":
        planning.confirm(subscription)
        subscription.refresh_from_db()
    return _page(
        request,
        "confirmed",
        subscription,
        unsubscribe_url=links.unsubscribe_path(subscription.pk),
        reminders_url=links.reminders_path(subscription.pk),
    )


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    try:
        subscription_id = links.read_unsubscribe_token(token)
    except (signing.BadSignature, ValueError):
        return _page(request, "invalid", status=400)
    subscription = Subscription.objects.filter(pk=subscription_id).select_related("notice").first()
    if subscription is None:
        return _page(request, "invalid", status=404)
    if request.method == "POST":
        planning.unsubscribe(subscription)
        return _page(request, "unsubscribed", subscription)
    return _page(
        request, "unsubscribe", subscription, action=request.path, reminders_url=links.reminders_path(subscription.pk)
    )


# --- following a notice from its page ---------------------------------------------------------------


@require_POST
def follow(request, pk: int):
    """The notice page's follow form: a pending subscription and its confirmation mail (double opt-in),
    or, for a signed-in user following with their own address, active reminders at once."""
    notice = notice_or_404(pk)
    form = FollowForm(request.POST, notice=notice)
    now = timezone.now()
    if not form.is_valid():
        return notice_page(request, notice, follow_form=form, status=400)
    user = request.user if request.user.is_authenticated else None
    language = (translation.get_language() or "")[:2]
    try:
        subscription, _ = following.follow(  # the owner's API token is not shown here; pages use signed links
            notice=notice,
            email=form.cleaned_data["email"],
            user=user,
            lot=form.cleaned_data.get("lot") or "",
            deadlines=form.cleaned_data["deadlines"],
            before=form.cleaned_data["before"],
            language=language if language in LANGUAGES else settings.LANGUAGE_CODE,
            ip=client_ip(request),
            now=now,
        )
    except Invalid as refused:  # the service's one rule of what may be followed, in the page's language
        for path, message in refused.fields:
            form.add_error(path[0] if path and path[0] in form.fields else None, message)
        return notice_page(request, notice, follow_form=form, status=400)
    except RateLimited as limited:
        form.add_error(None, FOLLOW_LIMITED)
        response = notice_page(request, notice, follow_form=form, status=429)
        response["Retry-After"] = str(limited.wait)
        return response
    active = subscription.status == Subscription.Status.ACTIVE
    if active:
        return redirect(links.reminders_path(subscription.pk))
    return redirect("scheduler:follow_sent", notice.pk)


@require_safe
def follow_sent(request, pk: int):
    notice = notice_or_404(pk)
    lang = (translation.get_language() or "")[:2]
    return render(
        request,
        "notices/subscriptions/follow_sent.html",
        {"notice": notice, "title": (notice.titles or {}).get(lang) or notice.title},
    )


# --- "your reminders" and its calendar ---------------------------------------------------------------



def _subscription(token: str) -> Subscription:
    try:
        subscription_id = links.read_reminders_token(token)
    except (signing.BadSignature, ValueError):
        raise Missing(_("This link is not valid: check that you copied the whole link from the mail.")) from None
    subscription = Subscription.objects.filter(pk=subscription_id).select_related("notice").first()
    if subscription is None:
        raise Missing(_("This subscription no longer exists."))
    return subscription


@require_safe
def reminders(request, token: str):
    """What this subscription follows and every reminder planned for it, in the page's language."""
    subscription = _subscription(token)
    notice = subscription.notice
    lang = (translation.get_language() or "")[:2]
    now = timezone.now()
    rows = Reminder.objects.filter(subscription=subscription).select_related("deadline").order_by("due_at", "pk")
    others = (
        Subscription.objects.filter(email__iexact=subscription.email)
        .exclude(pk=subscription.pk)
        .exclude(status=Subscription.Status.UNSUBSCRIBED)
        .select_related("notice")
        .order_by("-created_at")[:50]
    )
    return render(
        request,
        "notices/subscriptions/reminders.html",
        {
            "subscription": subscription,
            "notice": notice,
            "title": (notice.titles or {}).get(lang) or notice.title,
            "kinds": [KIND_LABELS.get(k, k) for k in subscription.deadlines],
            "before": [planning.offset_label(b) for b in subscription.before],
            "reminders": [
                {
                    "kind": KIND_LABELS.get(r.deadline.kind, r.deadline.kind),
                    "lot": r.deadline.lot,
                    "offset": planning.offset_label(r.offset),
                    "due": local_time(r.due_at),
                    "due_iso": r.due_at.isoformat(),
                    "deadline": local_time(r.deadline_at),
                    "deadline_utc": utc_time(r.deadline_at),
                    "review": review_note(r.deadline.review_reasons) if r.deadline.needs_review else "",
                    "state": STATE_LABELS.get(r.state, r.state),
                    "state_code": r.state,
                    "past": r.due_at <= now,
                }
                for r in rows
            ],
            "others": [
                {
                    "title": (s.notice.titles or {}).get(lang) or s.notice.title,
                    "url": links.reminders_path(s.pk),
                    "pending": s.status == Subscription.Status.PENDING,
                }
                for s in others
            ],
            # The calendar's address is copied into a calendar program: absolute, on the host the page
            # was asked from (the page's other links are paths of this site).
            "calendar_url": request.build_absolute_uri(links.calendar_path(subscription.pk)),
            "address_url": links.address_path(subscription.email),  # every reminder and alert of the address
            "unsubscribe_url": links.unsubscribe_path(subscription.pk),
            "notice_url": reverse("notices:notice", args=[notice.pk]),
            "cancel_reason": cancel_reason(notice),
        },
    )


@require_safe
def calendar(request, token: str):
    """The deadlines this subscription follows as an iCalendar feed (the mails' UIDs and SEQUENCE);
    empty once unsubscribed, unconfirmed or cancelled, so calendar programs remove the events."""
    subscription = _subscription(token)
    notice = subscription.notice
    followed: list[Deadline] = []
    if subscription.status == Subscription.Status.ACTIVE and notice.status == Notice.Status.ACTIVE:
        followed = planning.followed(subscription, list(Deadline.objects.filter(notice=notice)))
        for d in followed:
            d.notice = notice
    lang = subscription.language if subscription.language in LANGUAGES else settings.LANGUAGE_CODE
    with translation.override(lang):
        title = (notice.titles or {}).get(lang) or notice.title
        name = _("Deadlines: %(title)s") % {"title": one_line(title, 80)}
        # An alarm at each of the subscription's own offsets, as the reminder mails come.
        alarms = []
        for text in subscription.before:
            try:
                offset = planning.parse_offset(text)
            except ValueError:
                continue
            before = dt.timedelta(days=offset.days) + offset.exact
            alarms.append((before, before_label(offset.days, offset.exact)))
    events = deadline_events(sorted(followed, key=lambda d: d.at), lang)
    return calendar_response(events, f"notice-{notice.pk}.ics", name=name, alarms=alarms)
