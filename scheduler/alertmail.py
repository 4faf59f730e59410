"""The mails of the alerts side, in the subscriber's language (fi, sv, en), plain text and HTML:

* **confirm**: "confirm your alert" (double opt-in), with what it watches and how often;
* **digest**: the new matching notices (title, buyer, closing time in Finnish time with the time left, CPV,
  a link, and "remind me of this deadline", which starts reminders in one step) and the changes to notices
  it announced before (deadline moved old -> new, cancelled, new lots). At most ``ALERTS_DIGEST_MAX``
  notices, then "N more" and a link to the alert's page with the full list. A notice announced and
  cancelled within one period is left out; a digest left with nothing to say is not sent
  (``NothingToSend``: the dispatcher marks it cancelled);
* **link**: the link to the address's page, "your reminders and alerts".

Alert mails carry ``List-Unsubscribe`` / ``List-Unsubscribe-Post`` (RFC 8058) for the alert, a link to the
address's page, and a ``Message-ID`` that is the same on every attempt.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from notices.display import kind_phrase, local_time, notice_url, one_line, site_host, time_left
from notices.models import Notice
from notices.vocab import LANGUAGES
from scheduler import alerts, links
from scheduler.mail import Email
from scheduler.models import AlertItem, AlertMail

FREQUENCY_LABELS = {
    "immediate": gettext_lazy("immediately"),
    "daily": gettext_lazy("daily"),
    "weekly": gettext_lazy("weekly"),
}
WEEKDAY_LABELS = [
    gettext_lazy("Monday"), gettext_lazy("Tuesday"), gettext_lazy("Wednesday"), gettext_lazy("Thursday"),
    gettext_lazy("Friday"), gettext_lazy("Saturday"), gettext_lazy("Sunday"),
]


class NothingToSend(Exception):
    """A digest whose every item turned out to say nothing (say, a new notice cancelled before it left)."""


def schedule_label(alert) -> str:
    """'immediately', 'daily at 7.00', 'weekly on Monday at 7.00' in the active language."""
    if alert.frequency == "immediate":
        return str(FREQUENCY_LABELS["immediate"])
    if alert.frequency == "weekly":
        return _("weekly on %(day)s at %(hour)s.00") % {"day": WEEKDAY_LABELS[alert.weekday], "hour": alert.hour}
    return _("daily at %(hour)s.00") % {"hour": alert.hour}


def _language(row: AlertMail) -> str:
    lang = row.alert.language if row.alert_id and row.alert else row.language
    return lang if lang in LANGUAGES else settings.LANGUAGE_CODE


def title_of(notice: Notice, lang: str) -> str:
    return (notice.titles or {}).get(lang) or notice.title


def closing(notice: Notice, now: dt.datetime) -> dt.datetime | None:
    """The call's next closing deadline still ahead (None when closed or cancelled)."""
    if notice.status != Notice.Status.ACTIVE:
        return None
    for at in (notice.next_deadline, notice.closes_at):
        if at is not None and at > now:
            return at
    return None


class AlertBuilder:
    def __init__(self):
        self._notices: dict = {}

    def build(self, row: AlertMail, now: dt.datetime | None = None) -> Email:
        now = now or timezone.now()
        lang = _language(row)
        with translation.override(lang):
            if row.kind == AlertMail.Kind.CONFIRM:
                return self.confirm(row, lang, now)
            if row.kind == AlertMail.Kind.LINK:
                return self.link(row, lang)
            return self.digest(row, lang, now)

    def _email(self, row: AlertMail, subject: str, template: str, context: dict, unsubscribe: str | None) -> Email:
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
        headers = {
            "Message-ID": f"<alert-{row.kind}-{row.pk}@{site_host()}>",
            "Auto-Submitted": "auto-generated",
            "X-Alert-Mail": str(row.pk),
            "X-Tracker-Kind": f"alert-{row.kind}",
        }
        if unsubscribe:
            headers["List-Unsubscribe"] = f"<{unsubscribe}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        mail = Email(
            subject=one_line(subject, 200), body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[row.email],
            headers=headers,
        )
        mail.attach_alternative(html, "text/html")
        return mail

    def _alert_context(self, alert, lang: str) -> dict:
        summary = alerts.describe(alert.filters)
        return {
            "lang": lang,
            "name": alert.name or summary,
            "summary": summary,
            "schedule": schedule_label(alert),
            "alert_url": links.alert_url(alert.pk),
            "feed_url": links.alert_feed_url(alert.pk),
            "address_url": links.address_url(alert.email),
            "unsubscribe_url": links.alert_unsubscribe_url(alert.pk),
            "site_url": settings.SITE_URL,
        }

    def confirm(self, row: AlertMail, lang: str, now: dt.datetime) -> Email:
        alert = row.alert
        context = self._alert_context(alert, lang)
        context.update(
            confirm_url=links.alert_confirm_url(alert.pk),
            valid_until=local_time(row.expires_at) if row.expires_at else "",
        )
        subject = _("Confirm your alert: %(name)s") % {"name": one_line(context["name"], 120)}
        return self._email(row, subject, "alert_confirm", context, context["unsubscribe_url"])

    def link(self, row: AlertMail, lang: str) -> Email:
        context = {"lang": lang, "address_url": links.address_url(row.email), "site_url": settings.SITE_URL}
        return self._email(row, _("Your reminders and alerts"), "alert_link", context, None)

    # -- the digest ------------------------------------------------------------------------------------

    def digest(self, row: AlertMail, lang: str, now: dt.datetime) -> Email:
        alert = row.alert
        by_notice: OrderedDict[int, dict] = OrderedDict()
        for item in row.items.all():
            entry = by_notice.setdefault(
                item.notice_id, {"notice": item.notice, "new": False, "moves": {}, "cancelled": False, "lots": []}
            )
            if item.kind == AlertItem.Kind.NEW:
                entry["new"] = True
            elif item.kind == AlertItem.Kind.MOVED:
                for move in item.payload.get("moves", []):
                    key = (move.get("lot") or "", move.get("kind"))
                    if key in entry["moves"]:
                        entry["moves"][key]["new"] = move.get("new")
                    else:
                        entry["moves"][key] = dict(move)
            elif item.kind == AlertItem.Kind.CANCELLED:
                entry["cancelled"] = True
            elif item.kind == AlertItem.Kind.LOTS:
                entry["lots"] += [lot for lot in item.payload.get("lots", []) if lot not in entry["lots"]]
        new, changed = [], []
        limit = max(settings.ALERTS_DIGEST_MAX, 1)
        for entry in by_notice.values():
            notice = entry["notice"]
            if entry["new"]:
                if notice.status == Notice.Status.CANCELLED:
                    continue  # announced and cancelled in one period: nothing to tell
                # Only the notices shown are written out; the rest are counted ("N more").
                new.append(self._entry(alert, notice, lang, now) if len(new) < limit else None)
                continue
            moves = []
            for move in entry["moves"].values():
                if not move.get("old") or not move.get("new") or move["old"] == move["new"]:
                    continue
                old, at = dt.datetime.fromisoformat(move["old"]), dt.datetime.fromisoformat(move["new"])
                moves.append(
                    {
                        "kind_label": kind_phrase(move.get("kind") or ""),
                        "lot": move.get("lot") or "",
                        "old_local": local_time(old),
                        "new_local": local_time(at),
                        "time_left": time_left(at - now) if at > now else "",
                    }
                )
            if not (moves or entry["cancelled"] or entry["lots"]):
                continue
            if len(new) + len(changed) >= limit:
                changed.append(None)
                continue
            changed.append(
                {
                    **self._entry(alert, notice, lang, now, remind=not entry["cancelled"]),
                    "moves": moves,
                    "cancelled": entry["cancelled"],
                    "new_lots": entry["lots"],
                }
            )
        if not new and not changed:
            raise NothingToSend
        shown_new = new[:limit]
        shown_changed = changed[: max(limit - len(shown_new), 0)]
        more = len(new) + len(changed) - len(shown_new) - len(shown_changed)
        context = self._alert_context(alert, lang)
        context.update(new=shown_new, changed=shown_changed, more=more, new_count=len(new))
        name = one_line(context["name"], 100)
        if new:
            subject = ngettext(
                "%(count)d new notice: %(name)s", "%(count)d new notices: %(name)s", len(new)
            ) % {"count": len(new), "name": name}
        else:
            subject = _("Changes to notices: %(name)s") % {"name": name}
        return self._email(row, subject, "alert_digest", context, context["unsubscribe_url"])

    def _entry(self, alert, notice: Notice, lang: str, now: dt.datetime, remind: bool = True) -> dict:
        # What every digest of this minute says about the notice in this language, made once.
        key = (notice.pk, notice.updated_at, lang, int(now.timestamp()) // 60)
        shared = self._notices.get(key)
        if shared is None:
            if len(self._notices) >= 5000:
                self._notices.clear()
            at = closing(notice, now)
            shared = self._notices[key] = {
                "title": title_of(notice, lang),
                "url": notice_url(notice.pk),
                "buyer": ", ".join(b.names.get(lang) or b.name for b in notice.buyers.all()),
                "closes_local": local_time(at) if at else "",
                "time_left": time_left(at - now) if at else "",
                "closed": at is None and notice.status == Notice.Status.ACTIVE,
                "cpv": (notice.all_cpv or notice.cpv or [])[:4],
                "open": at is not None,
            }
        return {**shared, "remind_url": links.remind_url(alert.pk, notice.pk) if (remind and shared["open"]) else ""}
