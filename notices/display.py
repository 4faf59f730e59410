"""How the notices' vocabulary is shown to people, said once for pages, PDFs, feeds and mails.

Translated labels of deadline kinds, sources, fields and review reasons; instants in Finnish time (and
UTC) with the time left; money; absolute links to the site; and the calendar events (.ics) that the
feeds and the reminder mails share, so an event keeps one UID wherever a subscriber met it first.
Everything here reads the active language (``translation.override``), never a request.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import formats, timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from icalendar import Alarm, Calendar, Event

from notices import codes
from notices.gate import OUT_OF_RANGE
from notices.readers import text as ft
from notices.vocab import HELSINKI

# --- labels ----------------------------------------------------------------------------------------------

KIND_LABELS = {
    "tender": gettext_lazy("Tender deadline"),
    "participation": gettext_lazy("Requests to participate"),
    "questions": gettext_lazy("Questions deadline"),
    "opening": gettext_lazy("Opening of tenders"),
    "interest": gettext_lazy("Expressions of interest"),
}
SOURCE_LABELS = {
    "eforms": gettext_lazy("eForms (TED, Hilma)"),
    "fi-web": gettext_lazy("Buyers' web pages"),
    "ocds": gettext_lazy("OCDS"),
    "officer": gettext_lazy("Published here"),
}
LANGUAGE_LABELS = {"fi": gettext_lazy("Finnish"), "sv": gettext_lazy("Swedish"), "en": gettext_lazy("English")}
SCHEME_LABELS = {"FI-PRO": pgettext_lazy("identifier scheme", "Business ID")}
# What a new version of a notice changed, by the record's field names.
FIELD_LABELS = {
    "title": gettext_lazy("title"),
    "titles": gettext_lazy("title"),
    "descriptions": gettext_lazy("description"),
    "cpv": gettext_lazy("CPV codes"),
    "all_cpv": gettext_lazy("CPV codes"),
    "links": gettext_lazy("procurement documents"),
    "estimated_value": gettext_lazy("estimated value"),
    "currency": gettext_lazy("estimated value"),
    "published_at": gettext_lazy("publication date"),
    "source_url": gettext_lazy("source"),
    "procedure_id": gettext_lazy("procedure identifier"),
    "notice_type": gettext_lazy("notice type"),
    "language": gettext_lazy("language"),
}
# Why a deadline read from free text needs a person's eye (notices.readers.text), as a bidder reads it.
REVIEW_REASONS = {
    ft.DATE_ONLY: gettext_lazy("no time of day was given: read as 23.59"),
    ft.DST_GAP: gettext_lazy("that local time does not exist (clocks go forward): moved to the hour after"),
    ft.DST_AMBIGUOUS: gettext_lazy("that local time happens twice (clocks go back): read as the earlier one"),
    ft.WEEKDAY_MISMATCH: gettext_lazy("the weekday written does not match the date"),
    ft.TIME_RANGE: gettext_lazy("a time range was given: read as its end"),
    ft.CONFLICT: gettext_lazy("the notice gives more than one time for this deadline"),
    ft.YEAR_INFERRED: gettext_lazy("no year was given: taken from the publication date"),
    OUT_OF_RANGE: gettext_lazy(
        "the date is before 1990 or after 2099: shown as written, never used for reminders or to decide "
        "whether the call is open"
    ),
}


def review_reasons(reasons) -> list[str]:
    """A deadline's ``review_reasons`` in the active language (one not known here, as stored)."""
    return [str(REVIEW_REASONS.get(reason, reason)) for reason in reasons]


def review_note(reasons) -> str:
    """One line that flags a deadline needing review, wherever a deadline is shown without the notice
    page's table (lists, feeds, calendars, mails): "read from free text: check the notice (why)"."""
    why = "; ".join(review_reasons(reasons))
    note = _("read from free text: check the notice")
    return f"{note} ({why})" if why else note
def cpv_labels(cpv_codes, lang: str) -> list[dict]:
    """CPV codes with their names in ``lang`` from the eForms SDK's labels (``notices.codes``):
    [{"code": "90910000", "name": "Siivous- ja puhdistuspalvelut", "text": "90910000 Siivous- ja ..."}];
    a code without a known name is shown bare."""
    found = []
    for code in cpv_codes or ():
        name = codes.cpv_name(code, lang)
        found.append({"code": code, "name": name, "text": f"{code} {name}" if name else code})
    return found


def cpv_line(cpv_codes, lang: str, limit: int = 4) -> str:
    """"45233000 Tienrakennustyöt; 90910000 Siivous- ja puhdistuspalvelut" (up to ``limit`` codes)."""
    shown = [c["text"] for c in cpv_labels(list(cpv_codes or ())[:limit], lang)]
    more = len(cpv_codes or ()) - limit
    return "; ".join(shown) + (f"; +{more}" if more > 0 else "")


def region_name(code: str, lang: str) -> str:
    return codes.name("nuts", code, lang)


def kind_phrase(kind: str) -> str:
    """A deadline kind as it reads inside a sentence ("Reminder: tender deadline ...")."""
    phrases = {
        "tender": _("tender deadline"),
        "participation": _("deadline for requests to participate"),
        "questions": _("deadline for questions"),
        "opening": _("tender opening"),
        "interest": _("deadline for expressions of interest"),
    }
    return phrases.get(kind, kind)


def cancel_reason(notice) -> str:
    """Why a cancelled notice was cancelled, when its officer said (``Draft.cancel_reason``); ingested
    notices give none here."""
    if notice.source != "officer" or notice.status != "cancelled":
        return ""
    draft = getattr(notice, "officer_draft", None)  # a missing one-to-one raises an AttributeError
    return (draft.cancel_reason or "") if draft is not None else ""


# --- instants and amounts -----------------------------------------------------------------------------


def in_helsinki(instant: dt.datetime) -> dt.datetime:
    """The instant in Helsinki time; as it is when Helsinki cannot show it (a year-9999 deadline that a
    source wrote is kept and flagged by notices.gate, and must still be shown, not crash a page)."""
    try:
        return instant.astimezone(HELSINKI)
    except (OverflowError, ValueError):
        return instant


def date_only(instant: dt.datetime) -> bool:
    """Whether a publication instant stands for a date without a time of day: readers take such a date as
    the start of its day in its own offset (eForms: +00:00 to +03:00, Finnish pages: Helsinki), so it is a
    whole-hour midnight between UTC and UTC+3, and its Helsinki date is the date meant."""
    at = instant.astimezone(dt.UTC)
    return (at.minute, at.second, at.microsecond) == (0, 0, 0) and at.hour in (0, 21, 22, 23)


def local_time(instant: dt.datetime, *, short: bool = False, publication: bool = False) -> str:
    """The instant in Helsinki: in the active language's format (31. maaliskuuta 2025 kello 12.00, 31 Mar
    2025, 12:00), or ``short``, the Finnish numeric form in every language (31.3.2025 12.00) for tables
    such as the PDF's. ``publication``: a publication or issue date that came without a time of day (see
    ``date_only``) is shown as the date alone. Deadlines always show their time. An instant Helsinki
    cannot show (years 1 and 9999) is shown as written, with its offset."""
    at = in_helsinki(instant)
    if at.tzinfo is not HELSINKI:
        return instant.isoformat(" ", "minutes")
    if publication and date_only(instant):
        if short:
            return f"{at.day}.{at.month}.{at.year}"
        return formats.date_format(at, "DATE_FORMAT")
    if short:
        return f"{at.day}.{at.month}.{at.year} {at.hour:02d}.{at.minute:02d}"
    return formats.date_format(at, "DATETIME_FORMAT")


def utc_time(instant: dt.datetime, *, short: bool = False) -> str:
    """The instant in UTC: 2025-03-31 09:00 UTC, or ``short``: 31.3.2025 09.00 UTC (as written, with its
    offset, when UTC cannot show it)."""
    try:
        at = instant.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return instant.isoformat(" ", "minutes")
    if short:
        return f"{at.day}.{at.month}.{at.year} {at.hour:02d}.{at.minute:02d} UTC"
    return f"{at.year:04d}-{at.month:02d}-{at.day:02d} {at.hour:02d}:{at.minute:02d} UTC"


def time_left(delta: dt.timedelta, *, short: bool = False) -> str:
    """'6 days, 23 hours', '2 hours, 5 minutes', 'less than a minute' in the active language; ``short``:
    '6 d 23 h', '2 h 5 min', and 'passed' once it is over."""
    seconds = int(delta.total_seconds())
    if short:
        if seconds <= 0:
            return _("passed")
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        if days:
            return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest // 60}
    minutes = seconds // 60
    if minutes < 1:
        return _("less than a minute")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    day = ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    hour = ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    minute = ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    if days:
        return f"{day}, {hour}" if hours else day
    if hours:
        return f"{hour}, {minute}" if minutes else hour
    return minute


def before_label(days: int, exact: dt.timedelta) -> str:
    """How long before a deadline a reminder comes, as the follow form says it: "7 days before", "2 hours
    before", "1 day, 30 minutes before" (``days``: calendar days, ``exact``: hours and minutes)."""
    minutes = int(exact.total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(ngettext("%(count)d day", "%(count)d days", days) % {"count": days})
    if hours:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    if minutes:
        parts.append(ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes})
    return _("%(span)s before") % {"span": ", ".join(parts)}


def money(value, currency: str) -> str:
    """1 234 567,00 EUR in the active language's format; '' for no amount."""
    if value is None:
        return ""
    return f"{number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)} {currency}".strip()


def one_line(text: str, limit: int = 150) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- links to the site --------------------------------------------------------------------------------


def site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def notice_url(notice_id: int) -> str:
    return absolute(f"/notices/{notice_id}/")


# --- calendar events ----------------------------------------------------------------------------------


def ics_uid(notice_id: int, lot: str, kind: str) -> str:
    """One UID per notice, lot and deadline kind: a moved deadline moves the same event."""
    return f"deadline-{notice_id}-{lot or 'all'}-{kind}@{site_host()}"


def deadline_event(
    notice, lot: str, kind: str, sequence: int, at: dt.datetime, lang: str, *, needs_review: bool = False,
    reasons=(),
) -> dict:
    """One deadline as a calendar event (call inside ``translation.override(lang)``). A deadline that
    needs review is TENTATIVE, with the reason in its description."""
    title = notice.titles.get(lang) or notice.title
    label = kind_phrase(kind)
    summary = f"{label[:1].upper()}{label[1:]}: {one_line(title, 120)}"
    if lot:
        summary += f" ({_('lot')} {lot})"
    description = notice_url(notice.pk)
    if needs_review:
        note = review_note(reasons)
        description = f"{note[:1].upper()}{note[1:]}.\n{description}"
    return {
        "uid": ics_uid(notice.pk, lot, kind),
        "sequence": sequence,
        "at": at,
        "summary": summary,
        "description": description,
        "url": notice_url(notice.pk),
        "tentative": needs_review,
    }


def ics_bytes(
    events: list[dict], method: str = "PUBLISH", *, name: str | None = None, alarms=()
) -> bytes:
    """A calendar with one VEVENT per deadline (dict: uid, sequence, at, summary, url, description,
    tentative). METHOD:PUBLISH adds or updates the events; METHOD:CANCEL (same UIDs, a higher SEQUENCE)
    removes them from calendars that took them in from earlier mails (RFC 5546). ``name`` is the
    calendar's name (X-WR-CALNAME); ``alarms``, ``(timedelta before, label)`` pairs, become a VALARM each
    on every event."""
    cal = Calendar()
    cal.add("prodid", "-//Procurement notice tracker//deadline reminders//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    stamp = timezone.now().astimezone(dt.UTC).replace(microsecond=0)
    for item in events:
        event = Event()
        event.add("uid", item["uid"])
        event.add("sequence", item["sequence"])
        event.add("dtstamp", stamp)
        event.add("dtstart", item["at"].astimezone(dt.UTC))
        event.add("summary", item["summary"])
        event.add("description", item["description"])
        event.add("url", item["url"])
        if method == "CANCEL":
            status = "CANCELLED"
        else:
            status = "TENTATIVE" if item.get("tentative") else "CONFIRMED"
        event.add("status", status)
        event.add("transp", "TRANSPARENT")
        if method != "CANCEL":
            for before, label in alarms:
                alarm = Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("trigger", -before)
                alarm.add("description", f"{label}: {item['summary']}")
                event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical()
