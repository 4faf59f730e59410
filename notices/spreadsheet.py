"""A list of notices as CSV for a spreadsheet: the same filters and order as the pages and the API
(``notices.search``), streamed page by page so memory stays flat however long the list.

Excel in Finland opens a file of ``;``-separated values with a decimal comma and needs a byte order mark to
read UTF-8 (else "Hämeenlinna" shows as "HÃ¤meenlinna"); ``sep=","`` gives the international form with a
decimal point. A cell that a spreadsheet would take for a formula (=, +, -, @ first) is written with a
leading apostrophe: notice text is untrusted.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator

from django.db.models import Prefetch
from django.utils import translation

from notices import codes, search
from notices.display import cpv_labels, notice_url
from notices.models import Buyer, Notice
from notices.vocab import HELSINKI

BOM = "\ufeff"
BATCH = 500
SEPARATORS = (";", ",")
COLUMNS = {
    "fi": ("id", "otsikko", "ostaja", "y-tunnus", "tila", "seuraava määräaika", "sulkeutuu", "julkaistu",
           "CPV-koodit", "CPV-nimet", "alueet", "ilmoitustyyppi", "menettely", "arvioitu arvo", "valuutta",
           "lähde", "linkki"),
    "sv": ("id", "rubrik", "upphandlare", "FO-nummer", "status", "nästa tidsfrist", "stänger", "publicerad",
           "CPV-koder", "CPV-namn", "regioner", "meddelandetyp", "förfarande", "uppskattat värde", "valuta",
           "källa", "länk"),
    "en": ("id", "title", "buyer", "business ID", "status", "next deadline", "closes", "published",
           "CPV codes", "CPV names", "regions", "notice type", "procedure", "estimated value", "currency",
           "source", "link"),
}
STATUS_WORDS = {
    "fi": {"open": "avoin", "closed": "päättynyt", "cancelled": "peruttu"},
    "sv": {"open": "öppen", "closed": "stängd", "cancelled": "avbruten"},
    "en": {"open": "open", "closed": "closed", "cancelled": "cancelled"},
}


class _Line:
    """A file-like object for csv.writer that hands each written line back."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _when(at: dt.datetime | None) -> str:
    return at.astimezone(HELSINKI).strftime("%Y-%m-%d %H:%M") if at else ""


def rows(filters: search.Filters, *, now: dt.datetime, lang: str, sep: str = ";") -> Iterator[str]:
    """CSV lines (the first with the byte order mark and the header) of every notice matching ``filters``,
    in the list's order. Raises ``search.InvalidFilters`` before the first line when a filter is wrong."""
    filters = search.check(filters)
    writer = csv.writer(_Line(), delimiter=sep, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    words = STATUS_WORDS.get(lang, STATUS_WORDS["en"])
    decimal = "," if sep == ";" else "."

    def lines() -> Iterator[str]:
        yield BOM + writer.writerow(COLUMNS.get(lang, COLUMNS["en"]))
        cursor = None
        while True:
            found = search.page(filters, now=now, limit=BATCH, cursor=cursor, counted=False)
            ids = [pk for pk, _ in found.rows]
            notices = Notice.objects.filter(pk__in=ids).prefetch_related(
                Prefetch("buyers", queryset=Buyer.objects.prefetch_related("identifiers").order_by("pk"))
            )
            by_id = {n.pk: n for n in notices}
            with translation.override(lang):
                for pk, ahead in found.rows:
                    n = by_id.get(pk)
                    if n is None:
                        continue
                    buyers = list(n.buyers.all())
                    status = ("cancelled" if n.status == Notice.Status.CANCELLED
                              else "open" if n.closes_at and n.closes_at > now else "closed")
                    cpv = cpv_labels(n.all_cpv or n.cpv or [], lang)
                    value = "" if n.estimated_value is None else f"{n.estimated_value:f}".replace(".", decimal)
                    yield writer.writerow([_cell(v) for v in (
                        n.pk,
                        (n.titles or {}).get(lang) or n.title,
                        "; ".join(b.names.get(lang) or b.name for b in buyers),
                        "; ".join(i.value for b in buyers for i in b.identifiers.all() if i.scheme == "FI-PRO"),
                        words[status],
                        _when(ahead),
                        _when(n.closes_at),
                        _when(n.published_at),
                        " ".join(c["code"] for c in cpv),
                        "; ".join(c["name"] for c in cpv if c["name"]),
                        " ".join(n.nuts or []),
                        codes.name("notice-subtype", n.subtype, lang) or n.subtype or n.notice_type,
                        codes.name("procurement-procedure-type", n.procedure_type, lang) or n.procedure_type,
                        value,
                        n.currency,
                        n.source,
                        notice_url(n.pk),
                    )])
            if not found.next_cursor:
                return
            cursor = found.next_cursor

    return lines()
