"""Finnish and Swedish free-text helpers: deadlines, contact details and business ids. Pure functions.

Buyers in Finland publish national notices on their own web pages as prose, in Finnish or Swedish
("Tarjoukset 20.5.2016 klo 16.00 mennessä", "Anbuden ska lämnas senast 7.10.2024 kl 15:00"). These helpers
read such prose the way a person would, and say so when a person should check the result.

Decisions, so that every reader behaves the same way:

* Every local time is Helsinki time (Finland has one time zone). The result is an aware datetime with a
  *fixed* UTC offset: the offset Helsinki had at that instant. Fixed offsets keep the instant exact; a
  ``ZoneInfo`` datetime in the repeated autumn hour compares equal to its twin an hour away.
* A date without a time of day means "some time that day": it becomes 23:59 local time of that day (the day
  stays the day that was written, which is what a reminder must show) and ``needs_review`` is set.
* "klo 24.00" is the end of the day written: 00:00 of the next day.
* A local time that does not exist (spring-forward gap, e.g. 31.3.2024 klo 3.30) is shifted forward by the
  length of the gap (04:30+03:00) and flagged. A local time that happens twice (the autumn hour, e.g.
  27.10.2024 klo 3.30) is read as the earlier instant (fold=0, summer time, +03:00): for a deadline the
  earlier instant is the safe one. Flagged too.
* A weekday that contradicts the date is flagged; the date wins (it is the more specific of the two).
* A date without its year ("pe 3.2. klo 13", common in short notices) is read only when a time of day or a
  weekday goes with it (a bare "4.2." is as often a section number) and the caller says when the text was
  published: it is then the first such day from the publication date on (the day before counts too, for
  a page dated the day after it was written), checked against the weekday when one is given. Flagged.
* An impossible date or time (31.2.2016, klo 25.00) is not a deadline at all: it is reported as
  ``impossible`` by :func:`find_instants` and skipped by :func:`find_deadlines`; nothing raises.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from dataclasses import dataclass

from notices.readers.ids import identify
from notices.vocab import HELSINKI

UTC = dt.timezone.utc

# Years outside this window are typos or noise, never a deadline (and keep date arithmetic in range).
MIN_YEAR, MAX_YEAR = 1990, 2199

# Why a deadline needs a person's eye. Stable strings: tests and readers compare them.
DATE_ONLY = "no time of day given; read as 23:59"
DST_GAP = "local time does not exist (spring-forward gap); shifted forward"
DST_AMBIGUOUS = "local time happens twice (autumn); read as the earlier, summer-time instant"
WEEKDAY_MISMATCH = "the weekday written does not match the date"
TIME_RANGE = "a time range was given; read as its end"
CONFLICT = "the text gives more than one time for this deadline"
YEAR_INFERRED = "no year given; the year was inferred from the publication date"

# ---------------------------------------------------------------------------------------------------------
# Dates and times
# ---------------------------------------------------------------------------------------------------------

# Finnish month names are a stem and "kuu" with any case ending ("maaliskuuta", "maaliskuun",
# "maaliskuu"); Swedish ones are names or abbreviations ("februari", "feb.").
_FI_MONTH_STEMS = ("tammi", "helmi", "maalis", "huhti", "touko", "kesä", "heinä", "elo", "syys", "loka", "marras", "joulu")
_SV_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("januari", "jan"),
            ("februari", "febr", "feb"),
            ("mars", "mar"),
            ("april", "apr"),
            ("maj",),
            ("juni", "jun"),
            ("juli", "jul"),
            ("augusti", "aug"),
            ("september", "sept", "sep"),
            ("oktober", "okt"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_FI_MONTH = rf"(?:{'|'.join(_FI_MONTH_STEMS)})kuu(?:ta|n|hun|lle|ssa|sta)?"
_MONTH_ALTERNATION = _FI_MONTH + "|" + "|".join(sorted(map(re.escape, _SV_MONTHS), key=len, reverse=True))
_FI_MONTH_WORD = re.compile(rf"({'|'.join(_FI_MONTH_STEMS)})kuu", re.I)


def month_number(name: str) -> int | None:
    """The month a Finnish (any inflection) or Swedish month name or abbreviation names, or None."""
    word = name.lower().rstrip(".")
    if m := _FI_MONTH_WORD.match(word):
        return _FI_MONTH_STEMS.index(m.group(1)) + 1
    return _SV_MONTHS.get(word)


_NUMERIC_DATE = re.compile(r"(?<![\d.])(?P<d>\d{1,2})\.\s?(?P<m>\d{1,2})\.\s?(?P<y>\d{4})(?!\d)")
_SHORT_DATE = re.compile(r"(?<![\d.])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?!\s?\d)")
_ISO_DATE = re.compile(r"(?<![\d-])(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?!\d)")
# "20. toukokuuta 2016", "den 3 februari 2026", "7 okt. 2024"; and without the year, read like "3.2." is.
_NAMED_DATE = re.compile(
    rf"(?<![\d.])(?P<d>\d{{1,2}})(?:\.\s*|\s+)(?P<mon>{_MONTH_ALTERNATION})\b\.?(?:\s+|,\s*)(?P<y>\d{{4}})(?!\d)", re.I
)
_NAMED_SHORT_DATE = re.compile(
    rf"(?<![\d.])(?P<d>\d{{1,2}})(?:\.\s*|\s+)(?P<mon>{_MONTH_ALTERNATION})\b\.?(?!\s*,?\s*\d{{4}})", re.I
)
# "maaliskuun 15. päivänä 2026": the month (genitive) first.
_MONTH_FIRST_DATE = re.compile(
    rf"(?<!\w)(?P<mon>{_FI_MONTH})\s+(?P<d>\d{{1,2}})\.?\s*(?:päivänä|päivä|pnä|pvä)?\s*,?\s*(?P<y>\d{{4}})(?!\d)", re.I
)
_YEARLESS = (_SHORT_DATE, _NAMED_SHORT_DATE)

_CLOCK_WORD = r"(?:klo|kl|kello|klockan)\.?"
# A time right after a date: "klo 16.00", "kl 15:00", "kello 13", ", 16:00"; optionally a range "9.00–13.00";
# or noon and midnight in words ("puoliltapäivin", "före midnatt", "puoleenyöhön": the end of that day).
_TIME_AFTER = re.compile(
    rf"""
    \s*(?:,\s*)?(?:(?:{_CLOCK_WORD}\s*(?P<h>\d{{1,2}})(?:[.:](?P<mi>\d{{2}}))?)
              |(?:(?P<h2>\d{{1,2}})[.:](?P<mi2>\d{{2}}))
              |(?:{_CLOCK_WORD}\s*)?(?P<noon>puoliltapäivin|keskipäiv[äa]\w*|middag(?:stid)?|mitt\s+på\s+dagen)
              |(?P<midnight>(?:(?:före|vid|till|innan)\s+)?midnatt(?:en)?|puoleenyöhön|puoliyöhön|puolenyön|keskiyö\w*))
    (?!\d)(?![.:]\d)
    (?:\s*[-–—]\s*(?P<eh>\d{{1,2}})(?:[.:](?P<emi>\d{{2}}))?(?!\d)(?![.:]\d))?
    """,
    re.I | re.X,
)
# A time written before its date: "kl. 12 den 7.10.2024", "klo 16 mennessä pe 3.2.2017".
_TIME_BEFORE = re.compile(
    rf"(?<!\w){_CLOCK_WORD}\s*(?P<h>\d{{1,2}})(?:[.:](?P<mi>\d{{2}}))?(?!\d)(?![.:]\d)", re.I
)
_TIME_BEFORE_REACH = 30  # characters between such a time and its date, at most

_WEEKDAYS = {
    # Finnish: abbreviations, nominative and essive ("maanantaina"); Swedish: abbreviations, plain, definite.
    # Finnish also illative ("perjantaihin ... mennessä") and genitive ("perjantain").
    **dict.fromkeys(("ma", "maanantai", "maanantaina", "maanantaihin", "maanantain", "må", "mån", "måndag", "måndagen"), 0),
    **dict.fromkeys(("ti", "tiistai", "tiistaina", "tiistaihin", "tiistain", "tis", "tisdag", "tisdagen"), 1),
    **dict.fromkeys(
        ("ke", "keskiviikko", "keskiviikkona", "keskiviikkoon", "keskiviikon", "ons", "onsdag", "onsdagen"), 2
    ),
    **dict.fromkeys(("to", "torstai", "torstaina", "torstaihin", "torstain", "tor", "tors", "torsdag", "torsdagen"), 3),
    **dict.fromkeys(
        ("pe", "perjantai", "perjantaina", "perjantaihin", "perjantain", "fr", "fre", "fredag", "fredagen"), 4
    ),
    **dict.fromkeys(("la", "lauantai", "lauantaina", "lauantaihin", "lauantain", "lö", "lör", "lördag", "lördagen"), 5),
    **dict.fromkeys(
        ("su", "sunnuntai", "sunnuntaina", "sunnuntaihin", "sunnuntain", "sö", "sön", "söndag", "söndagen"), 6
    ),
}
# "on" is Swedish for Wednesday but Finnish for "is" ("Määräaika on 20.5.2016"): only trusted in Swedish.
_SWEDISH_ONLY_WEEKDAYS = {"on": 2}
_WEEKDAY_BEFORE = re.compile(r"(?<!\w)(?P<w>\w+)\.?,?\s*(?:den\s+)?$")
# Dates that start or bound a period rather than end something: "1.5.2017–30.4.2019", "1.2.2017 alkaen",
# "från 1.10.2024", "fr.o.m. 1.10.2024".
_RANGE_DASH = re.compile(r"\s*(?:[-–—]|till)\s*", re.I)
_STARTS_AFTER = re.compile(r"\s*(?:alkaen|lähtien|framåt)\b", re.I)
_STARTS_BEFORE = re.compile(r"(?:\bfrån|\bfr\.\s?o\.\s?m\.|\balkaen|\blähtien)\s*(?:och\s+med\s+)?$", re.I)


@dataclass(frozen=True)
class Instant:
    """A date (and time) found in text. ``at`` is None when the date or time is impossible."""

    start: int
    end: int
    at: dt.datetime | None
    reasons: tuple[str, ...] = ()
    written: str = ""
    period: bool = False  # the date bounds a period ("1.5.2017–30.4.2019", "1.2.2017 alkaen"): no deadline
    # The end of a range "25.11.2025–2.2.2026 klo 12": where the range starts. Such an end is a deadline
    # when the range is a tender or application period ("Tarjousaika 25.11.2025–2.2.2026 klo 12.00").
    range_from: int | None = None

    @property
    def impossible(self) -> bool:
        return self.at is None

    @property
    def needs_review(self) -> bool:
        return bool(self.reasons)


def to_helsinki(naive: dt.datetime) -> tuple[dt.datetime, tuple[str, ...]]:
    """Read a wall-clock time as Helsinki time; return it with its fixed offset and any DST flag.

    Gap (spring forward): the time never happened; it is shifted forward by the gap's length.
    Ambiguous hour (autumn): the earlier instant (fold=0, summer time) is taken.
    """
    first = naive.replace(tzinfo=HELSINKI, fold=0)
    second = naive.replace(tzinfo=HELSINKI, fold=1)
    reasons: tuple[str, ...] = ()
    if first.utcoffset() != second.utcoffset():
        roundtrip = first.astimezone(UTC).astimezone(HELSINKI)
        if roundtrip.replace(tzinfo=None) != naive:
            first, reasons = roundtrip, (DST_GAP,)
        else:
            reasons = (DST_AMBIGUOUS,)
    offset = first.utcoffset()
    assert offset is not None  # ZoneInfo always knows
    return first.astimezone(dt.timezone(offset)), reasons


def helsinki_midnight(day: dt.date) -> dt.datetime:
    """The start of a Helsinki calendar day, with its fixed offset (published dates are days)."""
    return to_helsinki(dt.datetime(day.year, day.month, day.day))[0]


def _date_matches(text: str, short: bool = False) -> list[re.Match[str]]:
    """Every date in the text, in order, without overlaps (a named date wins over what it contains).
    ``short``: dates without a year too."""
    patterns = (_NAMED_DATE, _MONTH_FIRST_DATE, _NUMERIC_DATE, _ISO_DATE)
    found = [m for pattern in patterns for m in pattern.finditer(text)]
    if short:
        ends = {m.end() for m in found}
        found += [m for p in _YEARLESS for m in p.finditer(text) if _short_date_plausible(text, m, ends)]
    found.sort(key=lambda m: (m.start(), -m.end()))
    kept: list[re.Match[str]] = []
    for m in found:
        if not kept or m.start() >= kept[-1].end():
            kept.append(m)
    return kept


_AFTER_CLOCK_WORD = re.compile(rf"{_CLOCK_WORD}\s*$", re.I)


def _short_date_plausible(text: str, m: re.Match[str], date_ends: set[int]) -> bool:
    """Whether "12.10." is a date without its year rather than a time ("klo 12.10.", "20.5.2016, 16.10.")."""
    if not (1 <= _month(m) <= 12 and 1 <= int(m.group("d")) <= 31):
        return False
    if m.re is _NAMED_SHORT_DATE:
        return True  # "3. helmikuuta" is a date, never a time
    if _AFTER_CLOCK_WORD.search(text, max(0, m.start() - 12), m.start()):
        return False
    # Right after a full date it is that date's time of day.
    return not any(0 <= m.start() - end <= 4 and not text[end : m.start()].strip(" ,") for end in date_ends)


def _month(m: re.Match[str]) -> int:
    name = m.groupdict().get("mon")
    return (month_number(name) or 0) if name else int(m.group("m"))


def _day(m: re.Match[str], published: dt.date | None = None, weekday: int | None = None) -> dt.date | None:
    """The calendar day a date match names, or None when no such day exists. A date without a year is
    the first such day from the day before ``published`` on, in that year or the next, on ``weekday`` if
    one was written and either has it (otherwise the first, and the caller flags the weekday)."""
    groups = m.groupdict()
    month = _month(m)
    if groups.get("y") is None:
        if published is None:
            return None
        days = []
        for year in (published.year, published.year + 1):
            try:
                day = dt.date(year, month, int(m.group("d")))
            except ValueError:
                continue  # 29.2. in a year without it
            if day >= published - dt.timedelta(days=1):
                days.append(day)
        if not days:
            return None
        return next((d for d in days if d.weekday() == weekday), days[0])
    year, day = int(m.group("y")), int(m.group("d"))
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _clock(hour: str, minute: str | None) -> tuple[int, int] | None:
    """Hours and minutes, allowing 24:00 (end of day); None for 25.00, 16.60, 24.30."""
    h, mi = int(hour), int(minute or 0)
    if mi > 59 or h > 24 or (h == 24 and mi):
        return None
    return h, mi


def _weekday_before(prefix: str, lang: str | None) -> int | None:
    """The weekday written just before a date ("pe 3.2.2017", "måndag 7.10.2024"), if any."""
    m = _WEEKDAY_BEFORE.search(prefix[-40:])
    if not m:
        return None
    word = m.group("w").lower()
    if word in _WEEKDAYS:
        return _WEEKDAYS[word]
    if lang == "sv":
        return _SWEDISH_ONLY_WEEKDAYS.get(word)
    return None


def find_instants(text: str, lang: str | None = None, published: dt.date | None = None) -> list[Instant]:
    """Every date in ``text`` with the time of day that goes with it, read as Helsinki time.

    ``lang`` ("fi"/"sv") only disambiguates weekday abbreviations. ``published``, the day the text was
    published, lets dates without a year be read. Impossible dates and times come back with ``at=None``
    so callers can tell "no date" from "a date nobody can meet".
    """
    instants: list[Instant] = []
    previous_end = 0
    matches = _date_matches(text, short=published is not None)
    for index, m in enumerate(matches):
        next_start = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        start, end = m.start(), m.end()
        reasons: list[str] = []
        clock: tuple[int, int] | None = None
        time_given = False

        after = _TIME_AFTER.match(text, end, next_start)
        before = None
        if after:
            time_given = True
            end = after.end()
            if after.group("eh"):
                clock = _clock(after.group("eh"), after.group("emi"))
                reasons.append(TIME_RANGE)
            elif after.group("h"):
                clock = _clock(after.group("h"), after.group("mi"))
            elif after.group("noon"):
                clock = (12, 0)
            elif after.group("midnight"):
                clock = (24, 0)
            else:
                clock = _clock(after.group("h2"), after.group("mi2"))
        else:
            window_start = max(previous_end, start - _TIME_BEFORE_REACH - 12)
            candidates = list(_TIME_BEFORE.finditer(text, window_start, start))
            if candidates and start - candidates[-1].end() <= _TIME_BEFORE_REACH:
                before = candidates[-1]
                if not re.search(r"\d", text[before.end() : start]):
                    time_given = True
                    clock = _clock(before.group("h"), before.group("mi"))
                    start = before.start()

        prefix = text[previous_end : (before.start() if before else m.start())]
        # A weekday may also sit between a preceding time and the date ("kl. 12 fredag 3.2.2017").
        weekday = _weekday_before(text[previous_end : m.start()], lang)
        if weekday is None:
            weekday = _weekday_before(prefix, lang)
        yearless = m.re in _YEARLESS
        if yearless:
            if not time_given and weekday is None:
                continue  # "kohta 4.2.": no sign that it is a date at all
            reasons.append(YEAR_INFERRED)
        day = _day(m, published, weekday)
        written = text[start:end].strip()
        range_end = index > 0 and bool(_RANGE_DASH.fullmatch(text, previous_end, m.start()))
        period = bool(
            _STARTS_AFTER.match(text, end)
            or _STARTS_BEFORE.search(text[max(previous_end, m.start() - 40) : m.start()])
            or (index + 1 < len(matches) and _RANGE_DASH.fullmatch(text, end, next_start))
            or range_end
        )
        range_from = matches[index - 1].start() if range_end else None
        previous_end = end
        if day is None or (time_given and clock is None):
            instants.append(Instant(start, end, None, (), written, period, range_from))
            continue
        if weekday is not None and weekday != day.weekday():
            reasons.append(WEEKDAY_MISMATCH)
        if clock is None:
            naive = dt.datetime(day.year, day.month, day.day, 23, 59)
            reasons.append(DATE_ONLY)
        else:
            naive = dt.datetime(day.year, day.month, day.day) + dt.timedelta(hours=clock[0], minutes=clock[1])
        at, dst_reasons = to_helsinki(naive)
        instants.append(Instant(start, end, at, tuple(reasons) + dst_reasons, written, period, range_from))
    return instants


def parse_deadline(text: str, lang: str | None = None) -> Instant | None:
    """The first possible date (and time) in ``text``; None when there is none or it is impossible."""
    instants = find_instants(text, lang)
    if not instants or instants[0].impossible:
        return None
    return instants[0]


# ---------------------------------------------------------------------------------------------------------
# Which deadline a sentence is about
# ---------------------------------------------------------------------------------------------------------

_KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "questions",
        re.compile(
            r"\b(?:kysym\w*|kysytt\w*|kysyä|lisäkysym\w*|lisätietopyyn\w*|tarkennuspyyn\w*"
            r"|fråg\w*|förfrågning\w*|ställas)\b",
            re.I,
        ),
    ),
    (
        "opening",
        # Compounds ("tarjousavaus", "anbudsöppning") are found by their tail; no leading \w*, which
        # would rescan every long word from each of its letters.
        re.compile(r"(?:avaus|\bavataan\b|avaaminen\b|\bavaamis|öppning|\böppnas\b)", re.I),
    ),
    (
        "participation",
        re.compile(
            r"(?:osallistumishakemu|\bhakemukset\b|anbudsansök|\bansökningar\w*|\bansökan\b"
            r"|\banmälan\s+om\s+deltagande|\bdeltagaransök\w*)",
            re.I,
        ),
    ),
    ("interest", re.compile(r"(?:\bkiinnostuksenilmaisu\w*|\bintresseanmäl\w*)", re.I)),
    (
        "tender",
        re.compile(
            r"\b(?:tarjou(?:s|kset|sten|ksen|ksia|ksien|ksenne|sta)|tarjousaika\w*|tarjousajan?"
            r"|jätettävä\w*|jättää|jätetään|jättämi\w*|jättöaika\w*|jättöpäiv\w*"
            r"|anbud(?:en|et)?|anbudstid\w*|anbudsdag\w*|anbudsgivning\w*|lämnas|inlämna\w*)\b",
            re.I,
        ),
    ),
)
# About answers to questions, not a deadline for anyone to meet ("Svaren publiceras senast 27.9.2024").
_ANSWER_NOUN = re.compile(r"\b(?:svar(?:en|et)?|vastau\w*)\b", re.I)
_ANSWER_VERB = re.compile(r"\b(?:vastataan|vastaamme|besvaras)\b", re.I)


def deadline_kind(sentence: str) -> str | None:
    """Which deadline (a ``DEADLINE_KINDS`` key) a sentence sets, or None when it sets none.

    The order of ``_KIND_PATTERNS`` is the priority: "kysymykset tarjouspyynnöstä" is about questions,
    "tarjousten avaus" about opening, "anbudsansökningar ska lämnas" about participation.
    """
    if _ANSWER_VERB.search(sentence):
        return None
    hits = [(kind, pattern.search(sentence)) for kind, pattern in _KIND_PATTERNS]
    hits = [(kind, m) for kind, m in hits if m]
    if not hits:
        return None
    answer = _ANSWER_NOUN.search(sentence)
    if answer and answer.start() < min(m.start() for _, m in hits):
        return None
    return hits[0][0]


# Procurement words: a tender deadline in a sentence with one of these is a procurement signal on its own.
PROCUREMENT_WORD = re.compile(
    r"(?:tarjou|anbud|osallistumishakemu|osallistu\w*\s+hankin|hankin|upphandl|kiinnostuksenilmaisu"
    r"|intresseanmäl|om\s+att\s+delta|deltagande)",
    re.I,
)
# Phrases that only a procurement notice uses.
NOTICE_SIGNAL = re.compile(
    r"(?:hankintailmoitu\w*|tarjouspyyn\w*|tarjouskilpailu\w*|pyydä\w*\s+tarjou\w*|pyytää\s+tarjou\w*"
    r"|upphandlingsannons\w*|anbudsförfrågan\w*|anbudsinbjudan\w*|begär\w*\s+(?:in\s+)?anbud"
    r"|hankintailmoitukset\.fi)",
    re.I,
)

# Words that make a date a deadline someone must meet ("viimeistään", "mennessä", "senast", "Sista
# anbudsdag", "Tarjousaika päättyy"): a notice sets its closing time with one of them; news mentioning an
# event for bidders ("informationstillfälle ... om hur man lämnar anbud tisdag 13.1.2026") does not.
DEADLINE_WORD = re.compile(
    r"(?:viimeistään|mennessä|\bsenast\b|\bsista\b|viimeinen|päättyy|päättyvät|\bgår\s+ut\b|\butgår\b"
    r"|jättöaika|jättöpäivä|tarjousaika|anbudstid|till\s+handa|perillä|inlämnade|määräaika|takaraja|deadline)",
    re.I,
)
# Tender and application periods: the end of such a range is the deadline ("Tarjousaika 25.11.2025–
# 2.2.2026 klo 12.00"); the end of any other range (a contract period) is not.
_PERIOD_NOUN = re.compile(
    r"(?:tarjousaika|tarjousten\s+jättöaika|jättöaika|osallistumisaika|hakemusaika|anbudstid|anbudstiden"
    r"|ansökningstid\w*\s+för\s+(?:deltagande|anbud)|tarjousajan)\w*\W*$",
    re.I,
)
# A deadline told in the past tense is not one to meet: decisions and news about an earlier procurement
# ("Määräaikaan 15.10.2025 klo 12 mennessä saatiin viisi tarjousta", "Anbudstiden gick ut 9.1.2026").
PAST_TENSE = re.compile(
    r"\b(?:saatiin|saapui|saapuivat|jätettiin|jätetty|päättyi|oli|olivat|avattiin|vastaanotettiin"
    r"|gick\s+ut|utgick|inkom|inkommit|lämnades|öppnades|mottogs|var)\b",
    re.I,
)
# A line that only names what the next line's date is ("Sista anbudsdag", "Tarjousten viimeinen
# jättöpäivä"): a label of a field, a table's header or a definition list's term.
_LABEL_LINE = re.compile(r"^[^\d.!?]{3,60}:?$")

# Written so that no two quantifiers compete for the same whitespace (runs of spaces stay linear).
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[\"'”»(]?[A-ZÅÄÖÜ])")
_CLAUSE_BREAK = re.compile(r"[,;]|\s(?:ja|sekä|och|samt|tai|eller)\s", re.I)


def sentences(text: str) -> list[str]:
    """Split text into sentences; a line break always ends one (web pages break lines with ``<br>``)."""
    return [s.strip() for line in text.split("\n") for s in _SENTENCE_BREAK.split(line) if s and s.strip()]


@dataclass(frozen=True)
class FoundDeadline:
    kind: str
    at: dt.datetime
    needs_review: bool
    text: str  # the sentence it was read from (after the label that named it, when a label did)
    reasons: tuple[str, ...] = ()


def _clause_span(sentence: str, instants: list[Instant], index: int) -> tuple[int, int]:
    """Where the words that belong to one of several dates in a sentence are.

    From the end of the previous date to this date's end, then on to the next clause break; so
    "Tarjoukset 20.5.2016 mennessä ja ne avataan 21.5.2016 klo 10" gives each date its own verb. The end
    of a range takes the words before the range ("Tarjousaika 25.11.2025–2.2.2026 klo 12").
    """
    if len(instants) == 1:
        return 0, len(sentence)
    first = index - 1 if instants[index].range_from is not None and index else index
    start = instants[first - 1].end if first > 0 else 0
    stop = instants[index + 1].start if index + 1 < len(instants) else len(sentence)
    brk = _CLAUSE_BREAK.search(sentence, instants[index].end, stop)
    return start, brk.start() if brk else stop


def _clause(sentence: str, instants: list[Instant], index: int) -> str:
    start, stop = _clause_span(sentence, instants, index)
    return sentence[start:stop]


def _closes_a_period(sentence: str, instant: Instant) -> bool:
    """Whether the end of a range is the end of a tender or application period."""
    if instant.range_from is None:
        return False
    return bool(_PERIOD_NOUN.search(sentence[max(0, instant.range_from - 40) : instant.range_from]))


def _label(previous: str | None) -> str | None:
    """The previous line when it is a label naming the next line's date ("Sista anbudsdag")."""
    if previous and _LABEL_LINE.match(previous) and len(previous.split()) <= 8:
        return previous.rstrip(":").strip()
    return None


def find_deadlines(text: str, lang: str | None = None, published: dt.date | None = None) -> list[FoundDeadline]:
    """Every deadline set in the text, in order. Impossible dates, unrelated times, the bounds of other
    periods and deadlines told in the past tense are left out. The kind comes from the words around the
    date: its clause, or the label on the line before ("Sista anbudsdag" / "9.3.2026 kl. 15.00").
    ``published`` (the day the text was published) lets dates without a year be read.

    Deadlines of one kind given twice with different instants are all kept and all flagged.
    """
    found: list[FoundDeadline] = []
    previous: str | None = None
    for sentence in sentences(text):
        instants = find_instants(sentence, lang, published)
        label = _label(previous)
        previous = sentence
        for index, instant in enumerate(instants):
            if instant.at is None or (instant.period and not _closes_a_period(sentence, instant)):
                continue
            clause = _clause(sentence, instants, index)
            if PAST_TENSE.search(clause):
                continue
            kind, written = deadline_kind(clause), sentence
            if kind is None and label and len(sentence[: instant.start].split()) <= 2:
                kind, written = deadline_kind(label), f"{label}: {sentence}"
            if kind is None:
                continue
            if any(f.kind == kind and f.at == instant.at for f in found):
                continue
            found.append(FoundDeadline(kind, instant.at, instant.needs_review, written, instant.reasons))
    conflicting = {f.kind for f in found if sum(g.kind == f.kind for g in found) > 1}
    return [
        FoundDeadline(f.kind, f.at, True, f.text, f.reasons + (CONFLICT,)) if f.kind in conflicting else f
        for f in found
    ]


def find_impossible_deadlines(text: str, lang: str | None = None, published: dt.date | None = None) -> list[str]:
    """Sentences that set a deadline (by their words) at a date or time that does not exist (31.2.2016,
    klo 25.00): not deadlines, but a person must hear of them, so the reader flags them."""
    flagged = []
    for sentence in sentences(text):
        instants = find_instants(sentence, lang, published)
        for index, instant in enumerate(instants):
            if instant.impossible and deadline_kind(_clause(sentence, instants, index)):
                flagged.append(sentence)
                break
    return flagged


# ---------------------------------------------------------------------------------------------------------
# Contact details
# ---------------------------------------------------------------------------------------------------------

_JS_STRING = re.compile(r"""'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)\"""")
_JS_TERM = r"""(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|[A-Za-z_$][\w$]*)"""
# A JavaScript expression made of string literals and names joined by "+", up to its ";" (a literal
# such as '&#64;' holds a ";" of its own, so "[^;]*" would stop too early).
_JS_EXPR = rf"(?P<expr>(?:\s*{_JS_TERM}\s*\+)*\s*{_JS_TERM})\s*;"
_JS_ESCAPE = re.compile(r"\\(.)")
_EMAIL_FULL = re.compile(r"^[\w.+'-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}$")
_CLOAK_TARGET = re.compile(r"getElementById\(\s*['\"]([^'\"]+)['\"]\s*\)")


def _js_literals(expression: str) -> str:
    """The concatenation of the string literals in a JavaScript ``'a' + 'b'`` expression."""
    return "".join(_JS_ESCAPE.sub(r"\1", a or b) for a, b in _JS_STRING.findall(expression))


def decode_joomla_cloak(script: str) -> str | None:
    """The address hidden by Joomla's e-mail cloaking script, or None when the script is not one.

    Joomla writes ``var addyNNN = 'k&#105;rj' + '&#64;'; addyNNN = addyNNN + 'kym...' + '&#46;' + 'fi';``:
    the address is the string literals assigned to the ``addy`` variable, concatenated, entities unescaped.
    The ``addy_text`` variable (the link text) is the fallback: it may be the address or a name.
    """
    for variable in (r"addy[0-9a-fA-F]*", r"addy_text[0-9a-fA-F]*"):
        declared = re.search(rf"\bvar\s+(?P<name>{variable})\s*=\s*{_JS_EXPR}", script)
        if not declared:
            continue
        name = re.escape(declared.group("name"))
        value = _js_literals(declared.group("expr"))
        for more in re.finditer(rf"\b{name}\s*=\s*{name}\s*\+{_JS_EXPR}", script):
            value += _js_literals(more.group("expr"))
        address = html.unescape(value).strip()
        if _EMAIL_FULL.match(address):
            return _normal_email(address)
    return None


def cloak_target(script: str) -> str | None:
    """The id of the element a Joomla cloaking script writes the address into (its placeholder)."""
    m = _CLOAK_TARGET.search(script)
    return m.group(1) if m else None


_AT = r"(?:@|\s*[(\[{]\s*(?:at|ät|a)\s*[)\]}]\s*)"
_DOT = r"(?:\.|\s*[(\[{]\s*(?:dot|piste|punkt)\s*[)\]}]\s*)"
_EMAIL = re.compile(
    rf"(?<![\w.+-])(?P<local>[\w+-]+(?:\.[\w+-]+)*){_AT}(?P<domain>[\w-]+(?:{_DOT}[\w-]+)+)", re.I
)
_DOT_WORD = re.compile(_DOT, re.I)


def _normal_email(address: str) -> str:
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def find_emails(text: str) -> list[str]:
    """E-mail addresses in text, in order: plain, ``mailto:``, and "nimi(at)domain.fi"/"nimi[at]domain.fi"."""
    found: list[str] = []
    for m in _EMAIL.finditer(text):
        domain = _DOT_WORD.sub(".", m.group("domain"))
        address = f"{m.group('local')}@{domain}"
        if _EMAIL_FULL.match(address):
            address = _normal_email(address)
            if address not in found:
                found.append(address)
    return found


# Business ids: Y-tunnus 0206714-5, FO-nummer 3107219-7, VAT FI02067145.
_ID_VALUE = r"(?P<id>FI\s?\d{8}|\d{6,7}-\d)(?![\w-])"
_LABELLED_ID = re.compile(
    rf"(?<!\w)(?:y-?tunnus\w*|FO-?(?:nummer|nr)|business\s+id|VAT(?:\s+(?:no|number|nr))?|ALV(?:-?numero)?"
    rf"|momsnummer|org\.?\s*nr)\.?\s*(?::\s*)?{_ID_VALUE}",
    re.I,
)
_BARE_ID = re.compile(r"(?<![\w-])(?P<id>\d{7}-\d|FI\d{8})(?![\w-])")


@dataclass(frozen=True)
class BusinessId:
    value: str  # as written
    start: int  # where the id, or the label before it, starts
    labelled: bool


def find_business_ids(text: str) -> list[BusinessId]:
    """Y-tunnus / FO-nummer / VAT numbers in text, in order, one per organisation.

    A labelled value ("Y-tunnus 0206714-5") is kept even when its check digit fails (``identify`` says so);
    a bare one ("Kymenlaakson Liitto 0206714-5") only when the check digit holds, because a bare
    ``1234567-8`` could be anything.
    """
    seen: set[str] = set()
    found: list[BusinessId] = []
    candidates = [(m, True) for m in _LABELLED_ID.finditer(text)]
    labelled_spans = {m.start("id") for m, _ in candidates}
    candidates += [(m, False) for m in _BARE_ID.finditer(text) if m.start("id") not in labelled_spans]
    candidates.sort(key=lambda c: c[0].start())
    for m, labelled in candidates:
        ident = identify(m.group("id"), "FI")
        if ident is None or (not labelled and not ident.valid):
            continue
        if ident.id in seen:
            continue
        seen.add(ident.id)
        found.append(BusinessId(" ".join(m.group("id").split()), m.start(), labelled))
    return found


_PO_BOX = re.compile(
    r"(?<!\w)(?:PL|PB|P\.?\s?O\.?\s?Box|Box|Postilokero|Postbox|Postboks)\.?\s*(?P<n>\d{1,5})(?!\d)"
)
_POSTAL_CITY = re.compile(
    r"(?<![\w-])(?:FI-|SF-)?(?P<code>\d{5})[ \t]+(?P<city>[^\W\d_][^\W\d_]*(?:-[^\W\d_]+)?)(?![\w-])"
)
# What may precede a postal code on its line: nothing, a street and a comma, or a PO box.
_BEFORE_POSTAL = re.compile(
    r"(?:^|,|(?<!\w)(?:PL|PB|P\.?\s?O\.?\s?Box|Box|Postilokero|Postbox)\.?\s*\d{1,5}\s*,?)\s*(?:FI-|SF-)?$"
)
_NOT_CITIES = {"eur", "euro", "euroa", "e", "kpl", "km", "m", "m2", "st", "asukasta", "invånare", "kr"}


def find_po_box(text: str) -> re.Match[str] | None:
    """A post office box ("PL 35", "PB 18", "Box 18", "PO Box 18"); ``group('n')`` is its number."""
    return _PO_BOX.search(text)


def city_name(written: str) -> str:
    """A city as people write it: "KOTKA" → "Kotka", "NÄRPES" → "Närpes"; mixed case kept."""
    return written.title() if written.isupper() else written


@dataclass(frozen=True)
class Postal:
    code: str
    city: str  # as people write it (see city_name)
    start: int  # where the postal code starts in the text


def find_postal(text: str, start: int = 0) -> Postal | None:
    """The first Finnish postal code and city from ``start`` on, with its position.

    Only at the start of a line, after a comma or after a PO box, so that "50000 euroa" is no address.
    """
    for m in _POSTAL_CITY.finditer(text, start):
        city = m.group("city")
        line_start = text.rfind("\n", 0, m.start()) + 1
        if city.lower() in _NOT_CITIES or not _BEFORE_POSTAL.search(text[line_start : m.start()]):
            continue
        return Postal(m.group("code"), city_name(city), m.start())
    return None


def find_postal_city(text: str, start: int = 0) -> tuple[str, str] | None:
    """A Finnish postal code and its city: "48601 KOTKA" → ("48601", "Kotka")."""
    found = find_postal(text, start)
    return (found.code, found.city) if found else None


_NUMBER = r"(?P<number>\+?\(?\d[\d \t\-/()]{4,}\d)"
_PHONE = re.compile(
    rf"(?<!\w)(?:puhelin|puh|p|tfn|tel|telefon|phone|gsm|matkapuhelin)\.?[ \t]*(?::[ \t]*)?{_NUMBER}", re.I
)
_FAX = re.compile(rf"(?<!\w)(?:telefax|telekopio|faksi|fax)\.?[ \t]*(?::[ \t]*)?{_NUMBER}", re.I)


def _clean_number(written: str) -> str:
    return " ".join(written.split()).strip(" -/")


def find_phone(text: str) -> str | None:
    """The first phone number given with a label ("Puh.", "p.", "puhelin", "Tfn", "tel."), as written."""
    m = _PHONE.search(text)
    return _clean_number(m.group("number")) if m else None


def find_fax(text: str) -> str | None:
    """The first fax number given with a label ("Fax.", "faksi", "telefax"), as written."""
    m = _FAX.search(text)
    return _clean_number(m.group("number")) if m else None


# ---------------------------------------------------------------------------------------------------------
# Language and identity
# ---------------------------------------------------------------------------------------------------------

_FINNISH_WORDS = re.compile(
    r"\b(?:ja|on|tai|klo|mennessä|viimeistään|että|sekä|osoitteeseen|tarjoukset|hankinta\w*|ovat|joka|tämä)\b",
    re.I,
)
_SWEDISH_WORDS = re.compile(
    r"\b(?:och|är|att|av|för|på|med|kl|senast|anbud\w*|till|som|den|det|ska|om|upphandling\w*)\b", re.I
)


def guess_language(text: str) -> str | None:
    """ "fi" or "sv" when the text clearly is one of them (common words counted), else None."""
    fi = len(_FINNISH_WORDS.findall(text))
    sv = len(_SWEDISH_WORDS.findall(text))
    if fi >= 3 and fi >= 2 * sv:
        return "fi"
    if sv >= 3 and sv >= 2 * fi:
        return "sv"
    return None


def slugify(text: str) -> str:
    """An ASCII slug ("Förnyelse av ledningar 2017–2019" → "fornyelse-av-ledningar-2017-2019") for ids.

    Accents are dropped (ö → o); every other non-alphanumeric character separates words.
    """
    kept = []
    for char in unicodedata.normalize("NFKD", text.lower()):
        if unicodedata.combining(char):
            continue
        kept.append(char if char.isascii() and char.isalnum() else "-")
    return re.sub(r"-+", "-", "".join(kept)).strip("-")
