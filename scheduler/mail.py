"""Mails to subscribers, built with Django's mail in the subscriber's language (fi, sv, en).

Every mail has a plain text and an HTML part (``templates/emails/``), a one-click unsubscribe link in the
body and in ``List-Unsubscribe`` / ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), and
a ``Message-ID`` that is the same on every attempt, so a duplicate after a crash can be recognised.
Reminders and "deadline moved" mails carry an ``.ics`` (stable UID per notice, lot and deadline kind;
SEQUENCE = the deadline's ``sequence``, which the store raises on every move) and the notice's PDF
summary when ``notices.pdf`` is installed.

Building is pure apart from reading the rows passed in; ``MailCache`` keeps the .ics and PDF of a
deadline or notice so a batch of reminders for one notice builds them once.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections import OrderedDict
from email import encoders
from email.mime.base import MIMEBase
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from notices import pdf
from notices.display import (
    cancel_reason,
    cpv_line,
    deadline_event,
    ics_bytes,
    kind_phrase,
    local_time,
    notice_url,
    one_line,
    review_note,
    site_host,
    time_left,
    utc_time,
)
from notices.vocab import LANGUAGES
from scheduler import links
from scheduler.models import Message, Reminder, Subscription
from scheduler.planning import followed, offset_label

log = logging.getLogger(__name__)

# Stand for the subscriber's own links in bodies rendered once for many (they survive escaping).
LINK_PLACEHOLDER = "UNSUBSCRIBE-LINK-7f3c1e9a5b"
REMINDERS_PLACEHOLDER = "REMINDERS-LINK-2d8e4b6c1f"
ADDRESS_PLACEHOLDER = "ADDRESS-LINK-7a1c9e3b5d"


class MailCache:
    """What mails share (MIME parts are never changed once built, so one object serves many mails):
    one .ics per deadline version and language, one PDF per notice version and language."""

    def __init__(self, size: int = 256):
        self.size = size
        self.ics: OrderedDict = OrderedDict()
        self.pdf: OrderedDict = OrderedDict()
        self.bodies: OrderedDict = OrderedDict()

    def get(self, store: OrderedDict, key, build):
        if key in store:
            store.move_to_end(key)
            return store[key]
        value = store[key] = build()
        while len(store) > self.size:
            store.popitem(last=False)
        return value


def ics_part(filename: str, content: bytes, method: str = "PUBLISH") -> MIMEBase:
    part = MIMEText(content.decode("utf-8"), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def file_part(attachment) -> MIMEBase | None:
    """A base64 MIME part from ``(filename, mimetype, bytes)``; None for None."""
    if not attachment:
        return None
    filename, mimetype, content = attachment
    maintype, _, subtype = mimetype.partition("/")
    part = MIMEBase(maintype, subtype or "octet-stream")
    part.set_payload(content)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def pdf_summary(notice, lang: str):
    """``(filename, mimetype, bytes)`` from ``notices.pdf.render_summary``, or None when it fails: a PDF
    that fails to render is logged and left out, since the reminder matters more."""
    try:
        return pdf.render_summary(notice, lang)
    except Exception:  # noqa: BLE001 - any renderer failure must not stop a reminder
        log.exception("PDF summary of notice %s failed; sending without it", notice.pk)
        return None


class Email(EmailMultiAlternatives):
    """Django's mail with its MIME boundaries chosen up front: random, so they cannot occur in the content,
    which spares the generator a regular expression compiled per part to check that they don't."""

    def message(self):
        msg = super().message()
        for part in msg.walk():
            if part.is_multipart() and part.get_boundary() is None:
                part.set_boundary(f"=_{secrets.token_hex(16)}")
        return msg


def _event(notice, deadline, at: dt.datetime, lang: str, sequence: int | None = None) -> dict:
    """A deadline row as a calendar event at ``at`` (flagged when it needs review)."""
    return deadline_event(
        notice, deadline.lot, deadline.kind, deadline.sequence if sequence is None else sequence, at, lang,
        needs_review=deadline.needs_review, reasons=deadline.review_reasons,
    )


class Builder:
    """Builds the mails of reminder and message rows (with their subscription and notice loaded)."""

    def __init__(self, cache: MailCache | None = None):
        self.cache = cache or MailCache()

    # -- context shared by all mails ---------------------------------------------------------------

    def _language(self, subscription: Subscription) -> str:
        return subscription.language if subscription.language in LANGUAGES else settings.LANGUAGE_CODE

    def _notice_context(self, subscription: Subscription, lang: str) -> dict:
        notice = subscription.notice
        buyers = list(notice.buyers.all())
        buyer = ""
        if buyers:
            buyer = buyers[0].names.get(lang) or buyers[0].name
        lot_title = ""
        if subscription.lot:
            lot = next((x for x in notice.lots.all() if x.lot_id == subscription.lot), None)
            lot_title = ((lot.titles.get(lang) or lot.title) if lot else "") or ""
        return {
            "lang": lang,
            "title": notice.titles.get(lang) or notice.title,
            "buyer": buyer,
            "lot": subscription.lot,
            "lot_title": lot_title,
            "cpv": cpv_line(notice.all_cpv or notice.cpv or [], lang),
            "notice_url": notice_url(notice.pk),
            "unsubscribe_url": links.unsubscribe_url(subscription.pk),
            "reminders_url": links.reminders_url(subscription.pk),
            "address_url": links.address_url(subscription.email),  # every reminder and alert of the address
            "site_url": settings.SITE_URL,
        }

    def _bodies(self, template: str, context: dict, key=None) -> tuple[str, str]:
        """Text and HTML. With a ``key`` (everything in the context but the subscriber's own links) they are
        rendered once and shared: the links are put in afterwards."""
        if key is None:
            return (
                render_to_string(f"emails/{template}.txt", context),
                render_to_string(f"emails/{template}.html", context),
            )
        own = {"unsubscribe_url": LINK_PLACEHOLDER, "reminders_url": REMINDERS_PLACEHOLDER,
               "address_url": ADDRESS_PLACEHOLDER}
        text, html = self.cache.get(
            self.cache.bodies, (template, key), lambda: self._bodies(template, {**context, **own})
        )
        for name, placeholder in own.items():
            text = text.replace(placeholder, context[name])
            html = html.replace(placeholder, str(escape(context[name])))
        return text, html

    def _email(self, subscription, subject, template, context, headers, message_id, key=None) -> Email:
        text, html = self._bodies(template, context, key)
        headers = {
            "Message-ID": f"<{message_id}@{site_host()}>",
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            **headers,
        }
        mail = Email(
            subject=one_line(subject, 200),
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[subscription.email],
            headers=headers,
        )
        mail.attach_alternative(html, "text/html")
        return mail

    def _ics(self, notice, deadline, at: dt.datetime, lang: str) -> MIMEBase:
        """The .ics part for one deadline version and language, built once and shared by the batch."""
        key = (deadline.pk, deadline.sequence, at, lang, notice.updated_at, deadline.needs_review)
        return self.cache.get(
            self.cache.ics,
            key,
            lambda: ics_part(f"deadline-{notice.pk}.ics", ics_bytes([_event(notice, deadline, at, lang)])),
        )

    def _attach_pdf(self, mail, notice, lang: str, now: dt.datetime) -> None:
        """The notice's PDF summary, as one shared MIME part per notice version, language and five
        minutes (notices.pdf keeps its own cache; this only spares the lookups and the base64)."""
        if not settings.SCHEDULER_ATTACH_PDF:
            return
        bucket = int(now.timestamp()) // 300
        part = self.cache.get(
            self.cache.pdf,
            (notice.pk, notice.updated_at, lang, bucket),
            lambda: file_part(pdf_summary(notice, lang)),
        )
        if part is not None:
            mail.attach(part)

    # -- the mails ---------------------------------------------------------------------------------

    def reminder(self, reminder: Reminder, now: dt.datetime | None = None) -> EmailMultiAlternatives:
        now = now or timezone.now()
        subscription = reminder.subscription
        deadline = reminder.deadline
        notice = subscription.notice
        lang = self._language(subscription)
        with translation.override(lang):
            context = self._notice_context(subscription, lang)
            label = kind_phrase(deadline.kind)
            context.update(
                kind_label=label,
                deadline_lot=deadline.lot,
                deadline_local=local_time(reminder.deadline_at),
                deadline_utc=utc_time(reminder.deadline_at),
                time_left=time_left(reminder.deadline_at - now),
                offset=reminder.offset,
                review=review_note(deadline.review_reasons) if deadline.needs_review else "",
            )
            subject = _("Reminder: %(deadline)s %(when)s – %(title)s") % {
                "deadline": label,
                "when": context["deadline_local"],
                "title": one_line(context["title"], 120),
            }
            # Reminders of one deadline sent in the same minute share their rendered bodies: the key holds
            # everything in the context but the unsubscribe link.
            key = (lang, notice.pk, notice.updated_at, subscription.lot, deadline.pk, reminder.deadline_at)
            mail = self._email(
                subscription,
                subject,
                "reminder",
                context,
                {"X-Reminder-ID": str(reminder.pk)},
                f"reminder-{reminder.pk}",
                key=(*key, reminder.offset, context["time_left"]),
            )
            mail.attach(self._ics(notice, deadline, reminder.deadline_at, lang))
            self._attach_pdf(mail, notice, lang, now)
        return mail

    def message(self, message: Message, now: dt.datetime | None = None) -> EmailMultiAlternatives:
        now = now or timezone.now()
        subscription = message.subscription
        notice = subscription.notice
        lang = self._language(subscription)
        with translation.override(lang):
            context = self._notice_context(subscription, lang)
            title = one_line(context["title"], 120)
            headers = {"X-Tracker-Message": str(message.pk), "X-Tracker-Kind": message.kind}
            msgid = f"{message.kind}-{message.pk}"
            if message.kind == Message.Kind.CONFIRM:
                context.update(
                    confirm_url=links.confirm_url(subscription.pk),
                    valid_until=local_time(message.expires_at) if message.expires_at else "",
                    deadline_labels=[kind_phrase(k) for k in subscription.deadlines],
                    before=", ".join(offset_label(b) for b in subscription.before),
                )
                subject = _("Confirm your deadline reminders: %(title)s") % {"title": title}
                return self._email(subscription, subject, "confirm", context, headers, msgid)
            if message.kind == Message.Kind.CANCELLED:
                context["reason"] = cancel_reason(notice)
                subject = _("Notice cancelled: %(title)s") % {"title": title}
                mail = self._email(subscription, subject, "cancelled", context, headers, msgid)
                # The deadlines earlier mails put in the subscriber's calendar leave it again.
                events = [
                    deadline_event(notice, d.lot, d.kind, d.sequence + 1, d.at, lang)
                    for d in followed(subscription, list(notice.deadlines.all()), removed_too=True)
                ]
                if events:
                    mail.attach(ics_part(f"deadline-{notice.pk}.ics", ics_bytes(events, "CANCEL"), "CANCEL"))
                return mail
            moves = []
            events = []
            current = {(d.lot, d.kind): d for d in notice.deadlines.all()}
            for move in message.payload.get("moves", []):
                deadline = current.get((move["lot"], move["kind"]))
                flagged = deadline is not None and deadline.needs_review
                old = dt.datetime.fromisoformat(move["old"])
                new = dt.datetime.fromisoformat(move["new"])
                moves.append(
                    {
                        "kind_label": kind_phrase(move["kind"]),
                        "lot": move["lot"],
                        "old_local": local_time(old),
                        "old_utc": utc_time(old),
                        "new_local": local_time(new),
                        "new_utc": utc_time(new),
                        "time_left": time_left(new - now),
                        "review": review_note(deadline.review_reasons) if flagged else "",
                    }
                )
                if deadline is not None:
                    events.append(_event(notice, deadline, new, lang))
                else:  # a move of a deadline no row holds any more: as it was announced
                    events.append(deadline_event(notice, move["lot"], move["kind"], 0, new, lang))
            context["moves"] = moves
            subject = _("Deadline moved: %(title)s") % {"title": title}
            mail = self._email(subscription, subject, "moved", context, headers, msgid)
            if events:
                mail.attach(ics_part(f"deadline-{notice.pk}.ics", ics_bytes(events)))
            self._attach_pdf(mail, notice, lang, now)
        return mail
