"""A notice the first fi-web reader stored under the page heading's slug is found by the current reader.

The first reader read the WordPress page below as one item titled by the page heading ("Avoimet
hankinnat") and stored it as ``page URL#avoimet-hankinnat``. The current reader reads the item's own
heading, so the same notice has another id; it carries the old one as an alias, and the store finds the
stored notice by it: no duplicate, the same notice updated (and renamed), nothing left reminding under
the old id.
"""

import dataclasses
import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from notices import store
from notices.models import Deadline, Notice, NoticeVersion
from notices.readers import fi_web
from notices.records import BuyerRecord, DeadlineRecord, Identifier, NoticeRecord, Phone, canonical_json

pytestmark = pytest.mark.django_db

PAGE = Path(__file__).resolve().parents[1] / "data" / "fi-web-labelled" / "tuning" / "wordpress-page-rantala-avoimet.html"
URL = "https://www.rantala.fi/yrittajille/avoimet-hankinnat/"
OLD_ID = f"{URL}#avoimet-hankinnat"
HELSINKI_WINTER = dt.timezone(dt.timedelta(hours=2))


def old_reader_record() -> NoticeRecord:
    """What the first reader made of the page (its output, written down): one notice named after the
    page heading, with both notices' deadlines and the label in the buyer's name."""
    conflict = ("the text gives more than one time for this deadline",)
    return NoticeRecord(
        source="fi-web",
        source_id=OLD_ID,
        notice_type="national",
        title="Avoimet hankinnat",
        language="fi",
        titles={"fi": "Avoimet hankinnat"},
        descriptions={"fi": "Rantalan kunnan kansalliset hankinnat ilmoitetaan tällä sivulla."},
        buyers=(
            BuyerRecord(
                name="Hankintayksikkö: Rantalan kunta",
                names={"fi": "Hankintayksikkö: Rantalan kunta"},
                identifiers=(Identifier("FI-PRO", "3010441-7", True, "3010441-7"),),
                email="kirjaamo@rantala.fi",
                phone=Phone("040 718 2233", "+358407182233", True),
            ),
        ),
        deadlines=(
            DeadlineRecord("tender", dt.datetime(2026, 3, 5, 12, tzinfo=HELSINKI_WINTER), None, True, "", conflict),
            DeadlineRecord("questions", dt.datetime(2026, 2, 24, 12, tzinfo=HELSINKI_WINTER), None, False, ""),
            DeadlineRecord("tender", dt.datetime(2026, 3, 16, 15, tzinfo=HELSINKI_WINTER), None, True, "", conflict),
        ),
        source_url=URL,
    )


def stored_by_the_old_reader() -> Notice:
    change = store.save(old_reader_record(), raw=PAGE.read_bytes(), origin=str(PAGE), fmt="fi-web")
    assert change.outcome == store.NEW
    return change.notice


def ingest(*args: str) -> str:
    out, err = StringIO(), StringIO()
    call_command("ingest", *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_the_current_reader_gives_the_old_id_as_an_alias() -> None:
    first, second = fi_web.read(PAGE.read_bytes(), URL)
    assert first.title == "Rantalan koulun piha-alueen peruskorjaus"
    assert first.source_id == f"{URL}#kansallinen-hankintailmoitus-rantalan-koulun-piha-alueen-peruskorjaus"
    assert first.aliases == (OLD_ID,)
    assert second.aliases == ()


def test_a_notice_stored_by_the_old_reader_is_updated_not_duplicated() -> None:
    old = stored_by_the_old_reader()

    output = ingest(str(PAGE), "--url", URL)

    assert "new: 1, updated: 1, unchanged: 0" in output
    first, second = fi_web.read(PAGE.read_bytes(), URL)
    notices = Notice.objects.filter(source="fi-web").order_by("pk")
    assert [n.source_id for n in notices] == [first.source_id, second.source_id]
    updated = notices[0]
    assert updated.pk == old.pk  # the same notice: its followers and calendars stay with it
    assert updated.title == "Rantalan koulun piha-alueen peruskorjaus"
    assert not Notice.objects.filter(source_id=OLD_ID).exists()  # nothing left under the old id
    # The buyer is one row per organisation, found by its Y-tunnus; its Finnish name is now without the
    # label (its first-seen ``name`` is kept as it was: the store does not rename buyers).
    assert [b.names["fi"] for b in updated.buyers.all()] == ["Rantalan kunta"]
    assert sorted(
        (d.kind, d.at.isoformat()) for d in Deadline.objects.filter(notice=updated, active=True)
    ) == [("questions", "2026-02-24T10:00:00+00:00"), ("tender", "2026-03-05T10:00:00+00:00")]
    assert NoticeVersion.objects.filter(notice=updated).count() == 2  # the old version is history

    # Read again: found by its own id now, nothing changes.
    assert "new: 0, updated: 0, unchanged: 2" in ingest(str(PAGE), "--url", URL)


def test_in_a_group_commit_too(tmp_path) -> None:
    """Bulk ingests write new notices together; one with aliases is looked up first all the same."""
    old = stored_by_the_old_reader()
    ingest(str(PAGE), "--url", URL, "--group", "10")
    assert Notice.objects.filter(source="fi-web").count() == 2
    assert Notice.objects.get(pk=old.pk).title == "Rantalan koulun piha-alueen peruskorjaus"


def test_aliases_that_name_nothing_stored_create_the_notice_under_its_own_id() -> None:
    ingest(str(PAGE), "--url", URL)
    first, second = fi_web.read(PAGE.read_bytes(), URL)
    assert sorted(Notice.objects.values_list("source_id", flat=True)) == sorted([first.source_id, second.source_id])


def test_a_record_without_aliases_hashes_as_before_the_field_existed() -> None:
    (record,) = [r for r in fi_web.read(PAGE.read_bytes(), URL) if not r.aliases][:1]
    assert "aliases" not in canonical_json(record)
    aliased = dataclasses.replace(record, aliases=("x",))
    assert '"aliases": ["x"]' in canonical_json(aliased)
    assert "aliases" not in record.as_json() and aliased.as_json()["aliases"] == ["x"]
