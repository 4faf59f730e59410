"""Feeds: Atom for new notices, iCalendar for the deadlines of a search.

Both take the home page's filters (``?q=&cpv=&buyer=&within=&source=``, checked by the same
``SearchForm``, found by the same ``notices.search`` functions). The calendar's events are the ones the
reminder mails attach (``notices.display.deadline_event``): the same UID
``deadline-<notice>-<lot or all>-<kind>@host``
and SEQUENCE, so a calendar that has both the feed and a mailed .ics keeps one event per deadline and
moves it when a corrigendum moves the deadline.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.syndication.views import Feed
from django.db.models import Prefetch
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from notices import search, spreadsheet
from notices.display import cpv_line, deadline_event, ics_bytes, local_time, review_note
from notices.models import Buyer, Deadline, Notice
from notices.vocab import LANGUAGES, LATEST
from notices.web.errors import bad_request_page, form_reasons
from notices.web.forms import SearchForm

FEED_SIZE = 50
CALENDAR_SIZE = 2000
CALENDAR_PAST = dt.timedelta(days=30)  # deadlines this recent stay in the calendar


class BadFilters(Exception):
    """The feed's filters do not read: answered with the 400 page listing why (no traceback logged)."""

    def __init__(self, form):
        super().__init__("bad filters")
        self.reasons = form_reasons(form)


def _filters(request, now: dt.datetime) -> search.Filters:
    form = SearchForm(request.GET)
    if not form.is_valid():
        raise BadFilters(form)
    filters = form.filters(now)
    filters.status = None  # the feeds' own rules below decide which notices
    return filters


def _language(request) -> str:
    lang = request.GET.get("lang") or (translation.get_language() or "fi")[:2]
    return lang if lang in LANGUAGES else "fi"


class NoticesFeed(Feed):
    """GET /feeds/notices.atom: the newest notices (not cancelled) matching the filters."""

    feed_type = Atom1Feed
    title = gettext_lazy("New procurement notices")
    subtitle = gettext_lazy("Calls for tenders, newest first")

    def __call__(self, request, *args, **kwargs):
        try:
            return super().__call__(request, *args, **kwargs)
        except BadFilters as bad:
            return bad_request_page(request, bad.reasons)

    def get_object(self, request):
        self.request = request
        now = timezone.now()
        self.lang = _language(request)
        return _filters(request, now)

    def link(self, obj):
        return reverse("notices:home")

    def items(self, filters):
        notices = list(
            search.notices(filters)
            .filter(status=Notice.Status.ACTIVE)
            .prefetch_related(Prefetch("buyers", queryset=Buyer.objects.order_by("pk")))
            .order_by("-created_at", "-pk")[:FEED_SIZE]
        )
        self.review = Deadline.to_review(n.pk for n in notices)
        return notices

    def item_title(self, notice):
        return (notice.titles or {}).get(self.lang) or notice.title

    def item_description(self, notice):
        buyers = ", ".join(b.names.get(self.lang) or b.name for b in notice.buyers.all())
        parts = [buyers]
        with translation.override(self.lang):
            if notice.next_deadline:
                parts.append(_("Deadline: %(when)s (Finnish time)") % {"when": local_time(notice.next_deadline)})
                if (notice.pk, notice.next_deadline) in self.review:
                    parts[-1] += f" ({review_note(self.review[(notice.pk, notice.next_deadline)])})"
        if notice.all_cpv or notice.cpv:
            parts.append("CPV " + cpv_line(notice.all_cpv or notice.cpv, self.lang))
        return " — ".join(p for p in parts if p)

    def item_link(self, notice):
        return reverse("notices:notice", args=[notice.pk])

    def item_guid(self, notice):
        return self.request.build_absolute_uri(reverse("notices:notice", args=[notice.pk]))

    def item_pubdate(self, notice):
        return notice.published_at or notice.created_at

    def item_updateddate(self, notice):
        return notice.updated_at

    def item_author_name(self, notice):
        first = next(iter(notice.buyers.all()), None)
        return (first.names.get(self.lang) or first.name) if first else None


def calendar_response(events: list[dict], filename: str, *, name: str, alarms=()) -> HttpResponse:
    """A calendar feed named ``name`` (X-WR-CALNAME), with ``alarms`` on every event (see ics_bytes)."""
    body = ics_bytes(events, name=name, alarms=alarms)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-cache"
    return response


def deadline_events(deadlines, lang: str) -> list[dict]:
    """VEVENT dicts for deadlines (with their notice loaded), exactly as the reminder mails build them."""
    with translation.override(lang):
        return [
            deadline_event(
                d.notice, d.lot, d.kind, d.sequence, d.at, lang, needs_review=d.needs_review, reasons=d.review_reasons
            )
            for d in deadlines
        ]


def csv_response(lines, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def notices_csv(request):
    """GET /notices.csv?...: every notice the home page's filters match, in its order, as a spreadsheet
    (``;``-separated UTF-8 with a byte order mark for Finnish Excel; ``sep=,`` for commas)."""
    now = timezone.now()
    lang = _language(request)
    form = SearchForm(request.GET, lang=lang)
    if not form.is_valid():
        return bad_request_page(request, form_reasons(form))
    sep = "," if request.GET.get("sep") == "," else ";"
    return csv_response(spreadsheet.rows(form.filters(now), now=now, lang=lang, sep=sep), "notices.csv")


@require_safe
def deadlines_ics(request):
    """GET /feeds/deadlines.ics?q=...&cpv=...: every deadline of the matching notices that are not
    cancelled, from a month ago on."""
    now = timezone.now()
    try:
        filters = _filters(request, now)
    except BadFilters as bad:
        return bad_request_page(request, bad.reasons)
    lang = _language(request)
    notices = search.notices(filters).filter(status=Notice.Status.ACTIVE).values("id")
    rows = (
        Deadline.objects.filter(active=True, at__gte=now - CALENDAR_PAST, at__lt=LATEST, notice_id__in=notices)
        .select_related("notice")
        .order_by("at", "pk")[:CALENDAR_SIZE]
    )
    with translation.override(lang):
        name = _("Procurement deadlines – Deadline watch")
    return calendar_response(deadline_events(rows, lang), "deadlines.ics", name=name)
