"""The two pages a subscriber reaches from a mail, without logging in.

* ``/subscriptions/confirm/<token>/`` (GET): opening the confirmation link confirms the subscription
  (double opt-in) and plans its reminders.
* ``/subscriptions/unsubscribe/<token>/``: GET shows a page with a button (so a mail scanner that follows
  links unsubscribes nobody); POST unsubscribes. The POST is also RFC 8058's one-click unsubscribe (body
  ``List-Unsubscribe=One-Click``), sent by mail clients without cookies, so the view is CSRF-exempt: the
  signed token is the authority.
"""

from __future__ import annotations

from django.core import signing
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from scheduler import links, planning
from scheduler.models import Subscription


def _page(request, template, subscription=None, status=200, **context):
    """A page in the subscriber's language (the request's when the link names no subscription)."""
    language = subscription.language if subscription is not None else None
    with translation.override(language or translation.get_language()):
        context.update(subscription=subscription)
        if subscription is not None:
            notice = subscription.notice
            context.update(
                title=notice.titles.get(subscription.language) or notice.title,
                notice_url=links.notice_url(notice.pk),
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
    return _page(request, "confirmed", subscription, unsubscribe_url=links.unsubscribe_url(subscription.pk))


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
    return _page(request, "unsubscribe", subscription, action=request.path)
