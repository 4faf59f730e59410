"""The fi-web reader's accuracy on labelled pages of the layouts Finnish public bodies use.

``tests/data/fi-web-labelled/`` holds pages written for this (see its README): a held-out half, written
before the reader was changed for issue 14 and never tuned on, and a tuning half. Every page is read as a
poller would read it (its URL, and the HTTP header's charset beside the bytes); each expected notice is
matched with what the reader found and every field is compared. The per-field accuracy of each half is
printed, and anything below 100% fails with the list of mistakes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from notices.readers import fi_web
from notices.records import NoticeRecord

LABELLED = Path(__file__).resolve().parents[1] / "data" / "fi-web-labelled"
HALVES = ("holdout", "tuning")
# "pages": the page yields as many notices as expected; "notices": an expected notice was found (a notice
# found that is not expected counts against it); the rest are compared per expected notice.
FIELDS = (
    "pages",
    "notices",
    "source_id",
    "title",
    "buyer.name",
    "buyer.identifiers",
    "deadlines",
    "contacts.email",
    "contacts.phone",
    "contacts.fax",
    "whole notice",
)
NOTICE_FIELDS = FIELDS[2:-1]

Reader = Callable[[bytes, str, str | None], list[NoticeRecord]]


def _read(data: bytes, url: str, charset: str | None) -> list[NoticeRecord]:
    return fi_web.read(data, url, charset=charset)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_labelled(record: NoticeRecord) -> dict:
    """A record in the shape of the labelled notices."""
    buyer = record.buyers[0] if record.buyers else None
    return {
        "source_id": record.source_id,
        "title": record.title,
        "buyer": {
            "name": buyer.name if buyer else None,
            "identifiers": [i.as_json() for i in buyer.identifiers] if buyer else [],
        },
        "deadlines": [
            {"kind": d.kind, "at": _utc(d.at), "needs_review": d.needs_review} for d in record.deadlines
        ],
        "contacts": {
            "email": buyer.email if buyer else None,
            "phone": buyer.phone.e164 if buyer and buyer.phone else None,
            "fax": buyer.fax.e164 if buyer and buyer.fax else None,
        },
    }


def _value(notice: dict, name: str):
    if name == "deadlines":
        return sorted(notice["deadlines"], key=lambda d: (d["at"], d["kind"]))
    value = notice
    for part in name.split("."):
        value = value[part]
    return value


@dataclass
class Score:
    right: Counter = field(default_factory=Counter)
    total: Counter = field(default_factory=Counter)
    mistakes: list[str] = field(default_factory=list)

    def add(self, name: str, ok: bool, mistake: str = "") -> None:
        self.total[name] += 1
        self.right[name] += ok
        if not ok and mistake:
            self.mistakes.append(mistake)

    def percent(self, name: str) -> float:
        return 100.0 * self.right[name] / self.total[name] if self.total[name] else 100.0

    def perfect(self) -> bool:
        return all(self.right[name] == self.total[name] for name in self.total)

    def table(self, title: str) -> str:
        lines = [title]
        for name in FIELDS:
            lines.append(f"  {name:<18} {self.right[name]:>3}/{self.total[name]:<3} {self.percent(name):6.1f}%")
        return "\n".join(lines)


def _match(expected: list[dict], actual: list[dict]) -> tuple[list[tuple[dict, dict | None]], list[dict]]:
    """Pairs (expected, actual or None) and the actual notices nobody expected: by identity, then title,
    then page order."""
    left = list(actual)
    pairs: list[tuple[dict, dict | None]] = []
    pending = []
    for want in expected:
        same = next((a for a in left if a["source_id"] == want["source_id"]), None) or next(
            (a for a in left if a["title"] == want["title"]), None
        )
        if same is not None:
            left.remove(same)
        pairs.append((want, same))
        if same is None:
            pending.append(len(pairs) - 1)
    for index in pending:
        if left:
            pairs[index] = (pairs[index][0], left.pop(0))
    return pairs, left


def pages(half: str) -> list[Path]:
    return sorted((LABELLED / half).glob("*.html"))


def score(half: str, read: Reader = _read) -> Score:
    result = Score()
    for page in pages(half):
        meta = json.loads(page.with_suffix(".meta.json").read_text(encoding="utf-8"))
        expected = json.loads(page.with_suffix(".expected.json").read_text(encoding="utf-8"))
        crash = None
        try:
            actual = [as_labelled(r) for r in read(page.read_bytes(), meta["url"], meta.get("http_charset"))]
        except Exception as error:  # a crash is a page read wrong, and the report names it
            actual, crash = [], f"{type(error).__name__}: {error}"
        result.add(
            "pages",
            crash is None and len(actual) == len(expected),
            f"{page.name}: {crash or ''}{len(actual)} notices, expected {len(expected)}: "
            f"{[a['title'] for a in actual]}",
        )
        pairs, extra = _match(expected, actual)
        for record in extra:
            result.add("notices", False, f"{page.name}: not a notice: {record['title']!r}")
        for want, got in pairs:
            where = f"{page.name}: {want['title']!r}"
            result.add("notices", got is not None, f"{where}: not found")
            whole = got is not None
            for name in NOTICE_FIELDS:
                ok = got is not None and _value(got, name) == _value(want, name)
                whole = whole and ok
                if got is not None:
                    result.add(name, ok, f"{where}: {name} {_value(got, name)!r} != {_value(want, name)!r}")
                else:
                    result.add(name, False)
            result.add("whole notice", whole)
    return result


def test_the_labelled_set_is_large_and_varied_enough() -> None:
    found = {half: pages(half) for half in HALVES}
    assert sum(map(len, found.values())) >= 30
    assert len(found["holdout"]) * 2 >= sum(map(len, found.values())) - 2  # about half held out
    charsets = set()
    for half in HALVES:
        for page in found[half]:
            meta = json.loads(page.with_suffix(".meta.json").read_text(encoding="utf-8"))
            assert meta["url"].startswith("http")
            charsets.add(meta.get("http_charset"))
            assert page.with_suffix(".expected.json").is_file()
    assert {"windows-1252", "iso-8859-1"} <= charsets  # pages whose charset only the HTTP header gives


@pytest.mark.parametrize("half", HALVES)
def test_reader_accuracy_on_labelled_pages(half: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = score(half)
    report = result.table(f"fi-web reader accuracy, {half} ({len(pages(half))} pages)")
    with capsys.disabled():
        print("\n" + report)
    assert result.perfect(), report + "\n" + "\n".join(result.mistakes)
