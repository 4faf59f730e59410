"""The project's shared vocabulary, said once and importable from anywhere: no Django, no database.

Readers (pure) use it as freely as the store, the scheduler and the pages. Translated labels for these
codes, and how instants are shown, live one layer up in ``notices.display``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

# Finnish notices are written, and every deadline is shown, in Finland's time (with its DST).
HELSINKI = ZoneInfo("Europe/Helsinki")

# The languages of the pages, mails and PDF summaries; the first is the default.
LANGUAGES = ("fi", "sv", "en")

# Where a notice came from (``Notice.source``).
SOURCES = ("eforms", "fi-web", "ocds", "officer")

# Deadline kinds and the eForms business term each one is.
DEADLINE_KINDS = {
    "tender": "BT-131",
    "participation": "BT-1311",
    "questions": "BT-13",
    "opening": "BT-132",
    "interest": "BT-630",
}
# The kinds that close a call: a notice is open while one of these is still ahead.
CLOSING_KINDS = ("tender", "participation")
# The kinds a bidder can be reminded of.
FOLLOWABLE_KINDS = ("tender", "participation", "questions")
# The order deadlines are listed in: as they fall in a procedure.
KIND_ORDER = {k: i for i, k in enumerate(("questions", "interest", "participation", "tender", "opening"))}


def natural_key(lot_id: str) -> tuple:
    """Sort key that puts LOT-2 before LOT-10."""
    digits = "".join(ch for ch in lot_id if ch.isdigit())
    return (lot_id.rstrip("0123456789"), int(digits[:18]) if digits else -1, lot_id)

# The instants a notice may use for anything but showing: deadlines, publication dates and the list's
# order. Anything outside (year 9999, year 1) is kept as written and flagged (notices.gate), never
# reminded of, never what makes a call open or closed.
EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def in_range(at: dt.datetime | None) -> bool:
    """Whether an aware instant lies in [EARLIEST, LATEST) (comparing never overflows)."""
    return at is not None and EARLIEST <= at < LATEST
