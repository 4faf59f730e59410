"""The project's own sample notices (samples/), with dates relative to a day, so the demo always shows
open calls. Placeholders, N days from ``today`` (N may be negative):

    {{D+N}}         20.5.2027            Finnish date, as on a web page
    {{ISODATE+N}}   2027-05-20
    {{XD+N}}        2027-05-20+03:00     xs:date with the Europe/Helsinki offset of that day (eForms)
    {{XO+N}}        +03:00               that offset alone (for eForms times)
    {{ISO+NTHH:MM}} 2027-05-20T12:00:00+03:00   an instant, HH:MM Helsinki time
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from django.conf import settings

from notices.vocab import HELSINKI

SAMPLES_DIR = Path(settings.BASE_DIR) / "samples"
# file -> (format, the URL a web page says it came from)
SAMPLES = {
    "esimerkkila-ajankohtaista.html": ("fi-web", "https://www.esimerkkila.example/ajankohtaista"),
    "jarvenranta-cn.xml": ("eforms", None),
    "pohjoisrannikko-ocds.json": ("ocds", None),
}
_PLACEHOLDER = re.compile(r"\{\{(D|ISODATE|XD|XO|ISO)([+-]\d+)(?:T(\d\d):(\d\d))?\}\}")


def render(text: str, today: dt.date) -> str:
    def fill(match: re.Match) -> str:
        kind, days = match.group(1), int(match.group(2))
        day = today + dt.timedelta(days=days)
        hour, minute = int(match.group(3) or 12), int(match.group(4) or 0)
        local = dt.datetime.combine(day, dt.time(hour, minute), HELSINKI)
        offset = local.isoformat()[-6:]
        return {
            "D": f"{day.day}.{day.month}.{day.year}",
            "ISODATE": day.isoformat(),
            "XD": day.isoformat() + offset,
            "XO": offset,
            "ISO": local.isoformat(),
        }[kind]

    return _PLACEHOLDER.sub(fill, text)


def payloads(today: dt.date | None = None):
    """(name, format, url, bytes) of every sample, rendered for ``today`` (Helsinki's today by default)."""
    today = today or dt.datetime.now(HELSINKI).date()
    for name, (fmt, url) in SAMPLES.items():
        text = (SAMPLES_DIR / name).read_text(encoding="utf-8")
        yield name, fmt, url, render(text, today).encode("utf-8")
