"""Alerts: saved searches whose new matches are mailed. The one place an alert is made, confirmed, changed
or stopped, for the API and the pages alike; and the pure parts matching relies on (the index keys and the
digest schedule).

**What an alert is.** ``filters`` are ``notices.search.Filters`` field names with their values: whatever
the home page or ``GET /api/notices`` accepts, except the status, the order, paging and the closing-date
window (``EXCLUDED``), which are about a list seen now, not about notices still to come. A field added to
``Filters`` later works in alerts without a change here. "Matches" has one definition, in
``notices.search``: a notice matches an alert when ``search.notices(Filters(**alert.filters))`` contains
it; ``scheduler.matching`` asks ``search.notice_check`` (the same rule over one notice's facts, in
Python) and the search itself where that check cannot tell.

**The index** (``index``, ``notice_keys``) only finds the alerts worth that check, so it may say "maybe"
too often but never "no" for a match. An alert is indexed by the keys of its most selective filter (a
buyer, a long CPV prefix, a word...) in ``AlertKey``; its ``requirements`` (shown in the admin) list
every indexable filter as the keys one of which a notice must have. Keys: ``cpv`` and ``region`` every
prefix of each code; ``buyer`` a buyer's id and each written form of its identifiers, and for an alert
the forms ``search.buyers_for`` accepts plus the ids of the buyers it finds now; ``country``, ``type``
(notice type), ``source``; ``text`` for ``q``: a word of three letters or more matches when one of its
inner forms (``search.inner_forms``) is inside the lower-cased text, so inside one of its words (a form
is letters and digits only). The alert's keys are those forms (of its word with the longest ones), each
as ``text_key``: the form, or the pieces of ``TEXT_KEY`` letters that cover it; a notice offers its
words, and has a key when one of its words has all of the key's pieces (``word_pieces``: every piece of
3 to ``TEXT_KEY`` letters of the word). An
alert with nothing indexable (short words only, a field added later) is checked against every notice
(``any``). The matcher holds this index in memory (``scheduler.alert_index``) and reads again only the
alerts whose rows changed, so every change writes new rows: the keys, or one ``off`` row when it stops.

**Schedule** (``next_due``): immediately; daily at ``hour`` (Finnish time, DST included: a skipped hour
moves forward by the gap, a repeated one is the first); weekly on ``weekday`` at ``hour``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notices import search
from notices.errors import FieldError, Invalid, RateLimited
from notices.vocab import HELSINKI, SOURCES
from scheduler import dispatch
from scheduler.models import PENDING, Alert, AlertKey, AlertMail, State, Subscription

UTC = dt.UTC

# Filters' fields that are about the list as seen now, not about notices still to come.
EXCLUDED = frozenset(
    {"status", "sort", "order", "ordering", "deadline_after", "deadline_before", "limit", "offset", "cursor", "page"}
)
MAX_ALERTS_PER_ADDRESS = 100


def alert_fields() -> list[str]:
    """The Filters fields an alert may hold (all but ``EXCLUDED``), in Filters' order."""
    return [f.name for f in dataclasses.fields(search.Filters) if f.name not in EXCLUDED]


# --- filters ---------------------------------------------------------------------------------------------


def clean_filters(data: dict, *, path: tuple = ("filters",)) -> dict:
    """The alert's filters from what was sent: known fields only, empty values dropped, values checked as
    the list checks them. Raises ``Invalid`` field by field."""
    if not isinstance(data, dict):
        raise Invalid("filters must be an object", fields=[FieldError(path, "expected an object")])
    known = set(alert_fields())
    problems, clean = [], {}
    for name, value in data.items():
        if name not in known:
            message = f"unknown filter {name!r}; an alert takes: {', '.join(alert_fields())}"
            problems.append(FieldError((*path, name), message))
            continue
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            continue
        if isinstance(value, str):
            value = value.strip()
        elif not isinstance(value, int | float | bool | list):
            problems.append(FieldError((*path, name), "expected a string, a number or a list"))
            continue
        if name == "cpv":
            try:
                value = search.check_cpv(value)
            except Invalid:
                problems.append(FieldError((*path, name), "expected 1 to 8 leading digits of a CPV code"))
                continue
        elif name == "source" and value not in SOURCES:
            problems.append(FieldError((*path, name), "one of " + ", ".join(SOURCES)))
            continue
        elif name == "country" and isinstance(value, str):
            value = value.upper()
        elif name == "q" and not _WORD.findall(value.casefold()):
            problems.append(FieldError((*path, name), "give at least one word"))
            continue
        clean[name] = value
    if problems:
        raise Invalid(problems[0].message if len(problems) == 1 else "See the fields.", fields=problems)
    if not clean:
        raise Invalid("An alert needs at least one filter.", fields=[FieldError(path, "give at least one filter")])
    try:
        search.notices(search.Filters(**clean))  # the list's own checks
    except Invalid as refused:
        raise Invalid(refused.message, fields=[FieldError((*path, *f.path[1:]), f.message) for f in refused.fields])
    except (TypeError, ValueError) as exc:
        raise Invalid(f"a filter has a value of the wrong kind: {exc}", fields=[FieldError(path, str(exc))]) from None
    return clean


def as_filters(alert_filters: dict) -> search.Filters:
    return search.Filters(**alert_filters)


def describe(filters: dict) -> str:
    """A short summary of the filters for subjects and lists: 'siivous · CPV 9091 · 0206714-5'."""
    parts = []
    for name, value in filters.items():
        if name == "q":
            parts.append(str(value))
        elif name == "cpv":
            parts.append(f"CPV {value}")
        elif name == "buyer_id":
            parts.append(_("buyer %(id)s") % {"id": value})
        else:
            parts.append(str(value))
    return " · ".join(parts)


# --- index keys ------------------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # as notices.search splits words
TEXT_KEY = 5  # letters of a word's inner form used as its text key


def _buyer_forms(identifier: str) -> list[str]:
    """Keys of the identifier forms ``search.buyers_for`` accepts, plus the buyers it finds now."""
    forms = search.buyer_forms(identifier)
    keys = {f"v:{forms.text}", f"w:{forms.text}", *(f"s:{scheme}:{value}" for scheme, value in forms.pairs)}
    keys.update(f"id:{pk}" for pk in search.buyers_for(identifier).values_list("pk", flat=True)[:50])
    return sorted(keys)


def text_key(form: str) -> str:
    """The text key of an inner form: the form itself when it has at most ``TEXT_KEY`` letters, else the
    pieces of ``TEXT_KEY`` letters that cover it (every fifth letter on, and its last ``TEXT_KEY``; at
    most six), space-separated: all of them are inside one word of a notice that has the form."""
    if len(form) <= TEXT_KEY:
        return form
    starts = [*range(0, len(form) - TEXT_KEY, TEXT_KEY)][:5] + [len(form) - TEXT_KEY]
    return " ".join(form[i : i + TEXT_KEY] for i in starts)


def text_key_pieces(key: str) -> tuple[str, ...]:
    return tuple(key.split(" "))


def _text_keys(q: str) -> list[str]:
    """The text keys of the word of ``q`` whose inner forms are longest (a notice with the word has one
    of them); [] when no word has three letters or more."""
    best: tuple = ()
    for word in search.parse_words(q).words:
        forms = search.inner_forms(word)
        if forms and (not best or (min(map(len, forms)), -len(forms)) > best[0]):
            best = ((min(map(len, forms)), -len(forms)), sorted({text_key(f) for f in forms}))
    return best[1] if best else []


def index(filters: dict) -> tuple[list, tuple[str, list[str]]]:
    """``(requirements, primary)``: every indexable filter as ``[kind, [keys]]`` (a notice must have one key
    of each), and the most selective one's ``(kind, keys)`` to store in ``AlertKey``."""
    requirements: list = []
    ranked: list[tuple[int, str, list[str]]] = []

    def key(rank: int, kind: str, keys: list[str]) -> None:
        requirements.append([kind, keys])
        ranked.append((rank, kind, keys))

    for name, value in filters.items():
        if name == "cpv" and isinstance(value, str):
            key(1 if len(value) >= 4 else 4 if len(value) >= 2 else 6, "cpv", [value])
        elif name == "region" and isinstance(value, str):
            key(4 if len(value) >= 4 else 5, "region", [value])
        elif name == "buyer" and isinstance(value, str):
            key(0, "buyer", _buyer_forms(value))
        elif name == "buyer_id" and isinstance(value, int):
            key(0, "buyer", [f"id:{value}"])
        elif name == "country" and isinstance(value, str):
            key(5, "country", [value.upper()])
        elif name == "notice_type" and isinstance(value, str):
            key(5, "type", [value])
        elif name == "source" and isinstance(value, str):
            key(6, "source", [value])
        elif name == "q" and isinstance(value, str) and (keys := _text_keys(value.strip())):
            shortest = min(len(k) for k in keys)
            key(2 if shortest > TEXT_KEY else 3 if shortest >= TEXT_KEY - 1 else 5, "text", keys)
    if not ranked:
        return requirements, ("any", [""])
    _rank, kind, keys = min(ranked, key=lambda r: r[0])
    return requirements, (kind, keys)


def word_pieces(word: str) -> frozenset[str]:
    """Every piece of 3 to ``TEXT_KEY`` letters of a word: a text key is inside the word when all of its
    pieces are among them."""
    return frozenset(
        word[i : i + n] for n in range(search.COMPOUND_MIN, TEXT_KEY + 1) for i in range(len(word) - n + 1)
    )


def notice_keys(facts: search.NoticeFacts) -> dict[str, set[str]]:
    """The keys a notice offers the index, by kind, from its facts (``search.notice_facts``)."""
    codes = {"cpv": set(), "region": set()}
    for kind, values in (("cpv", facts.cpv), ("region", facts.regions)):
        for code in values:
            codes[kind].update(code[:n] for n in range(1, len(code) + 1))
    buyer_keys = {f"id:{pk}" for pk in facts.buyers}
    for scheme, value, written in facts.identifiers:
        buyer_keys.update((f"v:{value}", f"w:{written}", f"s:{scheme}:{value}"))
    return {
        **codes,
        "buyer": buyer_keys,
        "country": {c.upper() for c in facts.countries if c},
        "type": {facts.notice_type or ""},
        "source": {facts.source or ""},
        "words": set(_WORD.findall(facts.text)),  # met against text keys word by word (scheduler.alert_index)
        "any": {""},
    }


OFF_KEY = "off"  # the one index row of an alert that stopped (see write_keys)


def write_keys(alert: Alert) -> None:
    """Make the alert's index rows agree with its filters and status: its keys while it is active, else
    one ``OFF_KEY`` row. Every change writes new rows (new ids), which is how a matcher holding the index
    in memory (``scheduler.alert_index``) learns which alerts to read again; no notice has an ``off`` key."""
    requirements, (kind, keys) = index(alert.filters)
    if requirements != alert.requirements:
        alert.requirements = requirements
        Alert.objects.filter(pk=alert.pk).update(requirements=requirements)
    AlertKey.objects.filter(alert=alert).delete()
    if alert.status == Alert.Status.ACTIVE:
        AlertKey.objects.bulk_create(AlertKey(alert=alert, kind=kind, value=k[:200]) for k in keys)
    else:
        AlertKey.objects.create(alert=alert, kind=OFF_KEY, value="")


# --- schedule --------------------------------------------------------------------------------------------


def _at(day: dt.date, hour: int) -> dt.datetime:
    # fold=0: a skipped local time moves forward by the gap, a repeated one is the first (as reminders).
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=HELSINKI, fold=0).astimezone(UTC)


def next_due(frequency: str, hour: int, weekday: int, now: dt.datetime) -> dt.datetime:
    """When a digest that starts now is sent: now (immediately), or the next chosen hour (and weekday) in
    Finnish time strictly after now."""
    if frequency == Alert.Frequency.IMMEDIATE:
        return now
    day = now.astimezone(HELSINKI).date()
    for step in range(15):
        candidate = day + dt.timedelta(days=step)
        if frequency == Alert.Frequency.WEEKLY and candidate.weekday() != weekday:
            continue
        at = _at(candidate, hour)
        if at > now:
            return at
    raise AssertionError("unreachable: a week has every weekday")


def alert_due(alert: Alert, now: dt.datetime) -> dt.datetime:
    return next_due(alert.frequency, alert.hour, alert.weekday, now)


# --- making, confirming, changing, stopping --------------------------------------------------------------


def rate_limit(email: str, ip: str | None, now: dt.datetime) -> RateLimited | None:
    """As for reminders (``SCHEDULER_RATE_PER_ADDRESS``, ``SCHEDULER_RATE_PER_IP``): confirmation mails
    to an address a day and anonymous requests from a client an hour, reminders and alerts counted
    together."""
    checks = [
        (
            {"user__isnull": True, "email__iexact": email},
            settings.SCHEDULER_RATE_PER_ADDRESS,
            dt.timedelta(days=1),
            "Too many confirmation mails to this address; try again later.",
        )
    ]
    if ip:
        checks.append(
            (
                {"user__isnull": True, "client_ip": ip},
                settings.SCHEDULER_RATE_PER_IP,
                dt.timedelta(hours=1),
                "Too many subscriptions from your address; try again later.",
            )
        )
    for lookup, limit, window, why in checks:
        times = []
        for model in (Subscription, Alert):
            rows = model.objects.filter(created_at__gt=now - window, **lookup).order_by("-created_at")
            times += list(rows.values_list("created_at", flat=True)[:limit])
        times.sort(reverse=True)
        if len(times) >= limit:
            oldest = times[limit - 1]
            return RateLimited(why, wait=max(1, int((oldest + window - now).total_seconds()) + 1))
    return None


def check_schedule(frequency: str, hour: int, weekday: int) -> list[FieldError]:
    problems = []
    if frequency not in Alert.Frequency.values:
        problems.append(FieldError(("frequency",), "one of " + ", ".join(Alert.Frequency.values)))
    if not isinstance(hour, int) or not 0 <= hour <= 23:
        problems.append(FieldError(("hour",), "an hour from 0 to 23 (Finnish time)"))
    if not isinstance(weekday, int) or not 0 <= weekday <= 6:
        problems.append(FieldError(("weekday",), "0 (Monday) to 6 (Sunday)"))
    return problems


def create(
    *,
    email: str,
    user,
    filters: dict,
    frequency: str = Alert.Frequency.DAILY,
    hour: int = 7,
    weekday: int = 0,
    language: str = "fi",
    name: str = "",
    ip: str | None = None,
    now: dt.datetime | None = None,
    confirmed: bool = False,
) -> tuple[Alert, str]:
    """Make an alert; returns it and its owner token (shown once). A signed-in user with their own
    address (or ``confirmed``: the address was proven another way) gets an active alert at once; anyone
    else a pending one and a confirmation mail. Raises ``Invalid`` and ``RateLimited``."""
    now = now or timezone.now()
    clean = clean_filters(filters)
    problems = check_schedule(frequency, hour, weekday)
    if not email:
        problems.append(FieldError(("email",), "an e-mail address is required"))
    if problems:
        raise Invalid(problems[0].message if len(problems) == 1 else "See the fields.", fields=problems)
    active = confirmed or (user is not None and bool(user.email) and email.casefold() == user.email.casefold())
    if not active and (limited := rate_limit(email, ip, now)):
        raise limited
    if Alert.objects.filter(email__iexact=email).exclude(status=Alert.Status.UNSUBSCRIBED).count() >= MAX_ALERTS_PER_ADDRESS:
        raise Invalid(
            f"An address may have at most {MAX_ALERTS_PER_ADDRESS} alerts.",
            fields=[FieldError(("email",), "too many alerts for this address")],
        )
    alert = Alert(
        user=user,
        email=email,
        name=(name or "")[:200],
        filters=clean,
        frequency=frequency,
        hour=hour,
        weekday=weekday,
        language=language,
        client_ip=ip,
        created_at=now,
        updated_at=now,
        status=Alert.Status.ACTIVE if active else Alert.Status.PENDING,
        confirmed_at=now if active else None,
    )
    token = alert.new_token()
    with transaction.atomic():
        alert.requirements = index(clean)[0]
        alert.save()
        if active:
            write_keys(alert)
        else:
            mail = AlertMail.objects.create(
                kind=AlertMail.Kind.CONFIRM,
                alert=alert,
                email=email,
                language=language,
                next_attempt_at=now,
                expires_at=now + dt.timedelta(seconds=settings.SCHEDULER_CONFIRM_MAX_AGE),
                created_at=now,
                updated_at=now,
            )
            if settings.SCHEDULER_SEND_CONFIRMATION_NOW:
                transaction.on_commit(lambda: dispatch.send_now(AlertMail, mail.pk))
    return alert, token


def confirm(alert: Alert, *, now: dt.datetime | None = None) -> bool:
    """Pending -> active: from now on, notices stored are matched against it. False if not pending."""
    now = now or timezone.now()
    with transaction.atomic():
        done = Alert.objects.filter(pk=alert.pk, status=Alert.Status.PENDING).update(
            status=Alert.Status.ACTIVE, confirmed_at=now, updated_at=now
        )
        if not done:
            return False
        alert.status, alert.confirmed_at = Alert.Status.ACTIVE, now
        write_keys(alert)
    return True


def unsubscribe(alert: Alert, *, now: dt.datetime | None = None) -> bool:
    """Stop an alert: out of the index, its waiting mails cancelled. False if already stopped."""
    now = now or timezone.now()
    with transaction.atomic():
        done = (
            Alert.objects.filter(pk=alert.pk)
            .exclude(status=Alert.Status.UNSUBSCRIBED)
            .update(status=Alert.Status.UNSUBSCRIBED, unsubscribed_at=now, updated_at=now)
        )
        alert.status = Alert.Status.UNSUBSCRIBED
        alert.unsubscribed_at = alert.unsubscribed_at or now
        if done:
            write_keys(alert)
        AlertMail.objects.filter(alert=alert, state__in=PENDING).update(
            state=State.CANCELLED, updated_at=now, last_error="unsubscribed"
        )
    return bool(done)


def update(alert: Alert, changes: dict, *, now: dt.datetime | None = None) -> Alert:
    """Change an alert's filters, name, language or schedule (never its address). A waiting digest moves
    to the new schedule; new filters apply to notices stored from now on."""
    now = now or timezone.now()
    fields = {}
    if "filters" in changes and changes["filters"] is not None:
        fields["filters"] = clean_filters(changes["filters"])
    for name in ("frequency", "hour", "weekday", "language", "name"):
        if name in changes and changes[name] is not None:
            fields[name] = changes[name]
    problems = check_schedule(
        fields.get("frequency", alert.frequency), fields.get("hour", alert.hour), fields.get("weekday", alert.weekday)
    )
    if problems:
        raise Invalid(problems[0].message if len(problems) == 1 else "See the fields.", fields=problems)
    if "name" in fields:
        fields["name"] = str(fields["name"])[:200]
    with transaction.atomic():
        for name, value in fields.items():
            setattr(alert, name, value)
        alert.updated_at = now
        alert.save(update_fields=[*fields, "updated_at"])
        if "filters" in fields:
            write_keys(alert)
        if {"frequency", "hour", "weekday"} & set(fields):
            AlertMail.objects.filter(alert=alert, kind=AlertMail.Kind.DIGEST, state=State.SCHEDULED).update(
                next_attempt_at=alert_due(alert, now), updated_at=now
            )
    return alert
