"""Finnish/Swedish free-text helpers: deadlines (with DST edges), kinds, contacts, business ids."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notices.readers import text as ft

UTC = dt.timezone.utc


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _utc(value: dt.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _last_sunday(year: int, month: int) -> dt.date:
    day = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return day - dt.timedelta(days=(day.weekday() - 6) % 7)


# --------------------------------------------------------------------------------------------------------
# Dates and times
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "at", "needs_review"),
    [
        ("Tarjoukset 20.5.2016 klo 16.00 mennessä", "2016-05-20T16:00:00+03:00", False),
        ("viimeistään pe 3.2.2017 klo 13", "2017-02-03T13:00:00+02:00", False),
        ("senast 7.10.2024 kl 15:00", "2024-10-07T15:00:00+03:00", False),
        ("senast 23.9.2024 kl. 12.00.", "2024-09-23T12:00:00+03:00", False),
        ("20.05.2016 kello 9", "2016-05-20T09:00:00+03:00", False),
        ("20.5.2016, 16:30", "2016-05-20T16:30:00+03:00", False),
        ("20.5.2016 16.30", "2016-05-20T16:30:00+03:00", False),
        ("20. 5. 2016 klo 16", "2016-05-20T16:00:00+03:00", False),
        ("maanantaina 23.1.2017 klo 12", "2017-01-23T12:00:00+02:00", False),
        ("senast måndag 7.10.2024 kl 15:00", "2024-10-07T15:00:00+03:00", False),
        ("senast måndagen den 7.10.2024 kl 15", "2024-10-07T15:00:00+03:00", False),
        ("senast må 7.10.2024 kl. 12", "2024-10-07T12:00:00+03:00", False),
        ("fr 4.10.2024 kl 12", "2024-10-04T12:00:00+03:00", False),
        ("20. toukokuuta 2016 klo 16", "2016-05-20T16:00:00+03:00", False),
        ("3. helmikuuta 2017 klo 13.15", "2017-02-03T13:15:00+02:00", False),
        ("den 7 oktober 2024 kl. 15", "2024-10-07T15:00:00+03:00", False),
        ("7 okt. 2024 kl. 15", "2024-10-07T15:00:00+03:00", False),
        ("2024-10-07 kl 15:00", "2024-10-07T15:00:00+03:00", False),
        ("kl. 12 den 7.10.2024", "2024-10-07T12:00:00+03:00", False),
        ("klo 16 mennessä pe 3.2.2017", "2017-02-03T16:00:00+02:00", False),
        # klo 24.00 is the end of the day written
        ("Tarjoukset 15.6.2018 klo 24.00 mennessä", "2018-06-16T00:00:00+03:00", False),
        ("31.12.2024 klo 24", "2025-01-01T00:00:00+02:00", False),
        ("28.2.2017 klo 24.00", "2017-03-01T00:00:00+02:00", False),
        ("29.2.2016 klo 24.00", "2016-03-01T00:00:00+02:00", False),
        # without a time: 23:59 of that day, for a person to check
        ("Tarjoukset 20.5.2016 mennessä", "2016-05-20T23:59:00+03:00", True),
        ("senast 27.9.2024", "2024-09-27T23:59:00+03:00", True),
        # a range of hours: its end, flagged
        ("12.9.2024 kl. 9.00–13.00", "2024-09-12T13:00:00+03:00", True),
        # weekday contradicting the date: the date wins, flagged
        ("ma 3.2.2017 klo 13", "2017-02-03T13:00:00+02:00", True),
        ("måndag 3.2.2017 kl. 13", "2017-02-03T13:00:00+02:00", True),
        ("tiistaina 7.10.2024 klo 15", "2024-10-07T15:00:00+03:00", True),
        ("lö 7.10.2024 kl 15", "2024-10-07T15:00:00+03:00", True),
    ],
)
def test_parse_deadline(phrase: str, at: str, needs_review: bool) -> None:
    found = ft.parse_deadline(phrase)
    assert found is not None
    assert found.at.isoformat() == at
    assert found.needs_review is needs_review
    assert found.at.utcoffset() is not None


def test_date_only_reason_and_time_range_reason() -> None:
    assert ft.parse_deadline("pe 20.5.2016").reasons == (ft.DATE_ONLY,)
    assert ft.parse_deadline("12.9.2024 kl. 9.00–13.00").reasons == (ft.TIME_RANGE,)
    assert ft.parse_deadline("ma 3.2.2017 klo 13").reasons == (ft.WEEKDAY_MISMATCH,)


def test_weekday_on_is_wednesday_only_in_swedish() -> None:
    # "on" is Finnish for "is": "Määräaika on 7.10.2024 klo 15" has no weekday at all.
    assert not ft.parse_deadline("Määräaika on 7.10.2024 klo 15", "fi").needs_review
    assert not ft.parse_deadline("Määräaika on 7.10.2024 klo 15").needs_review
    assert ft.parse_deadline("senast on 7.10.2024 kl 15", "sv").reasons == (ft.WEEKDAY_MISMATCH,)
    assert not ft.parse_deadline("senast on 9.10.2024 kl 15", "sv").needs_review


@pytest.mark.parametrize(
    "phrase",
    [
        "Tarjoukset 31.2.2016 klo 12 mennessä",
        "29.2.2017 klo 12",  # not a leap year
        "32.1.2016 klo 12",
        "1.13.2016 klo 12",
        "0.1.2016 klo 12",
        "20.5.2016 klo 25.00",
        "20.5.2016 klo 16.60",
        "20.5.2016 klo 24.30",
        "20.5.0000 klo 12",
        "31.12.9999 klo 24.00",
    ],
)
def test_impossible_dates_are_not_deadlines(phrase: str) -> None:
    assert ft.parse_deadline(phrase) is None
    instants = ft.find_instants(phrase)
    assert len(instants) == 1 and instants[0].impossible
    assert ft.find_deadlines(f"Tarjoukset {phrase} mennessä.") == []


def test_leap_day_exists() -> None:
    assert ft.parse_deadline("29.2.2016 klo 12").at.isoformat() == "2016-02-29T12:00:00+02:00"


def test_no_date_no_deadline() -> None:
    assert ft.parse_deadline("Tilaisuus klo 10") is None
    assert ft.find_instants("Jaakko Mikkola aloittaa 1.8.") == []


# --------------------------------------------------------------------------------------------------------
# Daylight saving time: last Sunday of March (03:00 EET → 04:00 EEST) and of October (04:00 EEST → 03:00 EET)
# --------------------------------------------------------------------------------------------------------

YEARS = range(2016, 2031)


@pytest.mark.parametrize("year", YEARS)
def test_spring_gap_is_shifted_forward_and_flagged(year: int) -> None:
    day = _last_sunday(year, 3)
    found = ft.parse_deadline(f"Tarjoukset {day.day}.3.{year} klo 3.30 mennessä")
    assert found.at.isoformat() == f"{day.isoformat()}T04:30:00+03:00"
    assert _utc(found.at) == f"{day.isoformat()}T01:30:00Z"
    assert found.reasons == (ft.DST_GAP,)
    at_three = ft.parse_deadline(f"{day.day}.3.{year} klo 3.00")
    assert at_three.at.isoformat() == f"{day.isoformat()}T04:00:00+03:00" and at_three.reasons == (
        ft.DST_GAP,
    )


@pytest.mark.parametrize("year", YEARS)
def test_spring_edges_either_side_of_the_gap_are_plain(year: int) -> None:
    day = _last_sunday(year, 3)
    before = ft.parse_deadline(f"{day.day}.3.{year} klo 2.59")
    after = ft.parse_deadline(f"{day.day}.3.{year} klo 4.00")
    assert before.at.isoformat() == f"{day.isoformat()}T02:59:00+02:00" and not before.needs_review
    assert after.at.isoformat() == f"{day.isoformat()}T04:00:00+03:00" and not after.needs_review
    assert after.at - before.at == dt.timedelta(minutes=1)


@pytest.mark.parametrize("year", YEARS)
def test_autumn_repeated_hour_is_the_earlier_instant_and_flagged(year: int) -> None:
    day = _last_sunday(year, 10)
    for clock in ("3.00", "3.30", "3.59"):
        found = ft.parse_deadline(f"Anbuden ska lämnas senast {day.day}.10.{year} kl. {clock}")
        hour, minute = clock.split(".")
        assert found.at.isoformat() == f"{day.isoformat()}T0{hour}:{minute}:00+03:00"
        assert found.reasons == (ft.DST_AMBIGUOUS,)
    assert _utc(ft.parse_deadline(f"{day.day}.10.{year} kl. 3.30").at) == f"{day.isoformat()}T00:30:00Z"


@pytest.mark.parametrize("year", YEARS)
def test_autumn_edges_either_side_of_the_repeated_hour_are_plain(year: int) -> None:
    day = _last_sunday(year, 10)
    before = ft.parse_deadline(f"{day.day}.10.{year} klo 2.59")
    after = ft.parse_deadline(f"{day.day}.10.{year} klo 4.00")
    assert before.at.isoformat() == f"{day.isoformat()}T02:59:00+03:00" and not before.needs_review
    assert after.at.isoformat() == f"{day.isoformat()}T04:00:00+02:00" and not after.needs_review
    assert after.at - before.at == dt.timedelta(hours=2, minutes=1)


def test_klo_24_on_the_eve_of_a_dst_change() -> None:
    spring = ft.parse_deadline("30.3.2024 klo 24.00")
    autumn = ft.parse_deadline("26.10.2024 klo 24.00")
    assert spring.at.isoformat() == "2024-03-31T00:00:00+02:00" and not spring.needs_review
    assert autumn.at.isoformat() == "2024-10-27T00:00:00+03:00" and not autumn.needs_review


def test_resolved_instants_carry_fixed_offsets() -> None:
    # A ZoneInfo datetime in the repeated hour compares equal to its twin an hour away; fixed offsets do not.
    first = ft.parse_deadline("27.10.2024 klo 3.30").at
    assert isinstance(first.tzinfo, dt.timezone)
    assert first != dt.datetime(2024, 10, 27, 3, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert ft.helsinki_midnight(dt.date(2024, 9, 2)).isoformat() == "2024-09-02T00:00:00+03:00"
    assert ft.helsinki_midnight(dt.date(2024, 1, 2)).isoformat() == "2024-01-02T00:00:00+02:00"


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2199, 12, 31, 23, 59)))
def test_any_written_wall_clock_time_reads_back(moment: dt.datetime) -> None:
    moment = moment.replace(second=0, microsecond=0)
    found = ft.parse_deadline(
        f"{moment.day}.{moment.month}.{moment.year} klo {moment.hour}.{moment.minute:02d}"
    )
    local = found.at.astimezone(ft.HELSINKI).replace(tzinfo=None)
    if ft.DST_GAP in found.reasons:
        assert local - moment == dt.timedelta(hours=1)
    else:
        assert local == moment
    twins = {moment.replace(tzinfo=ft.HELSINKI, fold=fold).utcoffset() for fold in (0, 1)}
    assert (len(twins) == 2) == found.needs_review


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.sampled_from([None, "fi", "sv"]))
def test_free_text_helpers_never_raise(value: str, lang: str | None) -> None:
    for found in ft.find_deadlines(value, lang):
        assert found.at.utcoffset() is not None and found.kind in (
            "tender",
            "questions",
            "participation",
            "opening",
            "interest",
        )
    ft.find_emails(value)
    ft.find_business_ids(value)
    ft.find_postal_city(value)
    ft.find_po_box(value)
    ft.find_phone(value)
    ft.find_fax(value)
    ft.decode_joomla_cloak(value)
    ft.slugify(value)


# --------------------------------------------------------------------------------------------------------
# Which deadline a sentence is about
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("Tarjoukset 20.5.2016 klo 16.00 mennessä osoitteeseen:", "tender"),
        ("Tarjous on jätettävä viimeistään pe 3.2.2017 klo 13.", "tender"),
        ("Tarjousten on oltava perillä 20.5.2016 klo 12.", "tender"),
        ("Tarjousaika päättyy 20.5.2016 klo 12.", "tender"),
        ("Anbuden ska lämnas senast måndag 7.10.2024 kl 15:00 till adressen:", "tender"),
        ("Anbud lämnas senast 7.10.2024.", "tender"),
        ("Kysymykset tarjouspyynnöstä on esitettävä 10.5.2016 mennessä.", "questions"),
        ("Lisätietopyynnöt 10.5.2016 klo 12 mennessä.", "questions"),
        ("Mahdolliset lisäkysymykset on kysyttävä viimeistään 10.5.2016.", "questions"),
        ("Frågor om upphandlingen ska ställas skriftligen senast 23.9.2024 kl. 12.00.", "questions"),
        ("Eventuella frågor om anbuden ska ställas senast 23.9.2024.", "questions"),
        ("Osallistumishakemukset on jätettävä 1.6.2016 klo 12 mennessä.", "participation"),
        ("Anbudsansökningar ska lämnas senast 16.9.2024 kl. 16.", "participation"),
        ("Ansökningar om att delta ska lämnas senast 16.9.2024.", "participation"),
        ("Tarjousten avaus 21.5.2016 klo 10.", "opening"),
        ("Tarjoukset avataan 21.5.2016 klo 10.", "opening"),
        ("Anbuden öppnas 8.10.2024 kl. 10.", "opening"),
        ("Anbudsöppning 8.10.2024 kl. 10.", "opening"),
        ("Kiinnostuksenilmaisut 1.6.2016 mennessä.", "interest"),
        # unrelated times
        ("Svaren publiceras senast 27.9.2024.", None),
        ("Vastaukset kysymyksiin julkaistaan 15.5.2016.", None),
        ("Kysymyksiin vastataan 15.5.2016 mennessä.", None),
        ("Svar på frågorna lämnas senast 27.9.2024.", None),
        ("vattendistributionen avbruten torsdag 12.9.2024 kl. 9.00–13.00", None),
        ("Tilaisuus klo 10", None),
        ("Tarjouspyyntö julkaistu 2.5.2016.", None),
        ("Kundtjänsten betjänar vardagar kl. 9–15.", None),
    ],
)
def test_deadline_kind(sentence: str, kind: str | None) -> None:
    assert ft.deadline_kind(sentence) == kind


def test_find_deadlines_in_a_paragraph() -> None:
    paragraph = (
        "Frågor om arbetet ska ställas senast fr 20.9.2024 kl. 12.00. Svaren publiceras senast 25.9.2024.\n"
        "Anbuden ska lämnas senast måndag 7.10.2024 kl 15:00 till adressen:\nPB 4\n"
        "Avbrott i vattnet torsdag 12.9.2024 kl. 9.00–13.00."
    )
    found = ft.find_deadlines(paragraph, "sv")
    assert [(f.kind, f.at.isoformat(), f.needs_review) for f in found] == [
        ("questions", "2024-09-20T12:00:00+03:00", False),
        ("tender", "2024-10-07T15:00:00+03:00", False),
    ]
    assert found[0].text == "Frågor om arbetet ska ställas senast fr 20.9.2024 kl. 12.00."
    assert found[1].text == "Anbuden ska lämnas senast måndag 7.10.2024 kl 15:00 till adressen:"


def test_each_date_in_a_sentence_gets_its_own_clause() -> None:
    found = ft.find_deadlines(
        "Tarjoukset on jätettävä 20.5.2016 klo 16 mennessä ja ne avataan 21.5.2016 klo 10."
    )
    assert [(f.kind, f.at.isoformat()) for f in found] == [
        ("tender", "2016-05-20T16:00:00+03:00"),
        ("opening", "2016-05-21T10:00:00+03:00"),
    ]
    found = ft.find_deadlines("Kysymykset 10.5.2016 mennessä, tarjoukset 20.5.2016 klo 12 mennessä.")
    assert [(f.kind, f.at.isoformat()) for f in found] == [
        ("questions", "2016-05-10T23:59:00+03:00"),
        ("tender", "2016-05-20T12:00:00+03:00"),
    ]


def test_two_times_for_one_deadline_are_both_flagged() -> None:
    found = ft.find_deadlines("Tarjoukset 20.5.2016 klo 12 mennessä.\nTarjousaika päättyy 27.5.2016 klo 12.")
    assert [(f.kind, f.needs_review) for f in found] == [("tender", True), ("tender", True)]
    assert all(ft.CONFLICT in f.reasons for f in found)
    # the same deadline repeated is one deadline
    found = ft.find_deadlines(
        "Tarjoukset 20.5.2016 klo 12 mennessä.\nTarjoukset 20.5.2016 klo 12.00 mennessä."
    )
    assert len(found) == 1 and not found[0].needs_review


def test_periods_are_not_deadlines() -> None:
    assert ft.find_deadlines("Pyydämme tarjouksia ajalle 1.5.2017–30.4.2019.") == []
    assert ft.find_deadlines("Anbud för perioden 1.5.2017 till 30.4.2019.") == []
    assert ft.find_deadlines("Tarjoukset otetaan vastaan 1.2.2017 alkaen.") == []
    assert ft.find_deadlines("Ny kundtjänsttid för anbud från 1.10.2024.") == []


def test_impossible_date_is_skipped_but_the_next_one_is_read() -> None:
    found = ft.find_deadlines("Tarjoukset 31.2.2016 klo 12 mennessä.\nKysymykset 10.2.2016 klo 12 mennessä.")
    assert [(f.kind, f.at.isoformat()) for f in found] == [("questions", "2016-02-10T12:00:00+02:00")]


def test_sentences_split_on_lines_and_full_stops_but_not_on_clock_abbreviations() -> None:
    assert ft.sentences("Frågor senast 23.9.2024 kl. 12.00. Svaren publiceras.\nPB 18") == [
        "Frågor senast 23.9.2024 kl. 12.00.",
        "Svaren publiceras.",
        "PB 18",
    ]


# --------------------------------------------------------------------------------------------------------
# Contacts
# --------------------------------------------------------------------------------------------------------

CLOAK = """
    document.getElementById('cloak77aa01').innerHTML = '';
    var prefix = 'ma' + 'il' + 'to';
    var path = 'hr' + 'ef' + '=';
    var addy77aa01 = 'h&#97;nk&#105;nn&#97;t' + '&#64;';
    addy77aa01 = addy77aa01 + '&#101;s&#105;m&#101;rkk&#105;l&#97;' + '&#46;' + 'f&#105;';
    var addy_text77aa01 = 'H&#97;nk&#105;nn&#97;t';
    document.getElementById('cloak77aa01').innerHTML += '<a ' + path + '\\'' + prefix + ':'
        + addy77aa01 + '\\'>' + addy_text77aa01 + '<\\/a>';
"""


def test_joomla_cloak_is_decoded() -> None:
    assert ft.decode_joomla_cloak(CLOAK) == "hankinnat@esimerkkila.fi"
    assert ft.cloak_target(CLOAK) == "cloak77aa01"


def test_joomla_cloak_with_double_quotes_and_no_continuation() -> None:
    script = 'var addy9f = "info" + "&#64;" + "esimerkki.fi";'
    assert ft.decode_joomla_cloak(script) == "info@esimerkki.fi"


def test_joomla_cloak_falls_back_to_the_link_text_variable() -> None:
    script = "var addy_text1a = 'info' + '&#64;' + 'esimerkki' + '&#46;' + 'fi';"
    assert ft.decode_joomla_cloak(script) == "info@esimerkki.fi"


@pytest.mark.parametrize(
    "script", ["", "var x = 1;", "var addy1 = 'not an address';", "addy1 = addy1 + 'x';"]
)
def test_other_scripts_are_not_cloaks(script: str) -> None:
    assert ft.decode_joomla_cloak(script) is None


@pytest.mark.parametrize(
    ("text", "emails"),
    [
        ("E-post: upphandling@narpes-vatten.fi.", ["upphandling@narpes-vatten.fi"]),
        ("mailto:Kirjaamo@Esimerkki.FI", ["Kirjaamo@esimerkki.fi"]),
        ("osoitteeseen hankinnat(at)esimerkkila.fi tai", ["hankinnat@esimerkkila.fi"]),
        ("etunimi.sukunimi[at]esimerkki.fi", ["etunimi.sukunimi@esimerkki.fi"]),
        ("info (at) esimerkki (dot) fi", ["info@esimerkki.fi"]),
        ("a@b.fi, a@b.fi ja c@d.fi", ["a@b.fi", "c@d.fi"]),
        ("klo 12@ ei osoite", []),
    ],
)
def test_find_emails(text: str, emails: list[str]) -> None:
    assert ft.find_emails(text) == emails


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("Kymenlaakson Liitto 0206714-5 /", ["0206714-5"]),
        ("Y-tunnus 0206714-5", ["0206714-5"]),
        ("Y-tunnus: 0206714-5", ["0206714-5"]),
        ("(FO-nummer 3107219-7)", ["3107219-7"]),
        ("FI02067145", ["FI02067145"]),
        ("ALV FI 02067145", ["FI 02067145"]),
        ("0206714-5 eli FI02067145", ["0206714-5"]),  # one organisation
        ("Y-tunnus 0206714-4", ["0206714-4"]),  # labelled: kept, identify() marks it invalid
        ("tilausnumero 1234567-8", []),  # bare and failing its check digit: not an id
        ("puh. 040-1234567", []),
    ],
)
def test_find_business_ids(text: str, values: list[str]) -> None:
    assert [b.value for b in ft.find_business_ids(text)] == values


@pytest.mark.parametrize(
    ("text", "box"),
    [
        ("PL 35", "35"),
        ("PB 18", "18"),
        ("Box 18", "18"),
        ("PO Box 18", "18"),
        ("P.O. Box 18", "18"),
        ("PL35", "35"),
        ("Postilokero 4", "4"),
        ("Pl 35", None),
        ("HELPL 35", None),
    ],
)
def test_find_po_box(text: str, box: str | None) -> None:
    found = ft.find_po_box(text)
    assert (found.group("n") if found else None) == box


@pytest.mark.parametrize(
    ("text", "postal"),
    [
        ("PL 35\n48601 KOTKA", ("48601", "Kotka")),
        ("PB 18\n64201 NÄRPES", ("64201", "Närpes")),
        ("Kauppamiehenkatu 4, 45100 Kouvola", ("45100", "Kouvola")),
        ("PL 35, 48601 Kotka", ("48601", "Kotka")),
        ("PL 35 48601 KOTKA", ("48601", "Kotka")),
        ("FI-00100 HELSINKI", ("00100", "Helsinki")),
        ("65100 Vaasa-Vasa", ("65100", "Vaasa-Vasa")),
        ("Hankinnan arvo\n50000 euroa", None),
        ("noin 12000 Asukasta", None),
        ("Viite 12345 Kotka", None),  # not at the start of a line
    ],
)
def test_find_postal_city(text: str, postal: tuple[str, str] | None) -> None:
    assert ft.find_postal_city(text) == postal


@pytest.mark.parametrize(
    ("text", "phone", "fax"),
    [
        ("Puh. +354447478502\nFax. +35852308910", "+354447478502", "+35852308910"),
        ("Tfn 06 224 1100", "06 224 1100", None),
        ("p. 040 123 4567", "040 123 4567", None),
        ("puhelin: 040-123 4567", "040-123 4567", None),
        ("tel. +358 40 123 4567", "+358 40 123 4567", None),
        ("Telefon 06 555 1234\nTelefax 06 555 1235", "06 555 1234", "06 555 1235"),
        ("faksi 05 123 4568", None, "05 123 4568"),
        ("Telefax 06 555 1235", None, "06 555 1235"),
        ("Kesäyliopisto klo 12", None, None),
    ],
)
def test_find_phone_and_fax(text: str, phone: str | None, fax: str | None) -> None:
    assert ft.find_phone(text) == phone
    assert ft.find_fax(text) == fax


def test_city_name() -> None:
    assert ft.city_name("KOTKA") == "Kotka"
    assert ft.city_name("NÄRPES") == "Närpes"
    assert ft.city_name("Mustasaari") == "Mustasaari"


# --------------------------------------------------------------------------------------------------------
# Language and slugs
# --------------------------------------------------------------------------------------------------------


def test_guess_language() -> None:
    assert ft.guess_language("Tarjoukset on jätettävä viimeistään klo 12 mennessä ja osoitteeseen") == "fi"
    assert ft.guess_language("Anbuden ska lämnas senast kl 15 till adressen och av") == "sv"
    assert ft.guess_language("Suomi100") is None


def test_slugify() -> None:
    assert ft.slugify(
        "Nationell upphandlingsannons: Förnyelse av avloppsledningar i Närpes centrum 2025"
    ) == ("nationell-upphandlingsannons-fornyelse-av-avloppsledningar-i-narpes-centrum-2025")
    assert ft.slugify("Lumityöt 2017–2019") == "lumityot-2017-2019"
    assert ft.slugify("—") == ""


# --------------------------------------------------------------------------------------------------------
# Dates without a year
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "published", "at"),
    [
        # the first such day from the publication date on
        ("Tarjoukset on jätettävä viimeistään pe 3.2. klo 13.", dt.date(2017, 1, 20), "2017-02-03T13:00:00+02:00"),
        # published in December, due in January: the next year
        ("Tarjoukset 10.1. klo 12.00 mennessä.", dt.date(2016, 12, 15), "2017-01-10T12:00:00+02:00"),
        # the day before the publication date still counts (a page dated the morning after)
        ("Tarjoukset viimeistään 14.3. klo 16.", dt.date(2024, 3, 15), "2024-03-14T16:00:00+02:00"),
        # Swedish, summer time
        ("Anbuden ska lämnas senast fredag 6.9. kl 15:00.", dt.date(2024, 8, 20), "2024-09-06T15:00:00+03:00"),
        # a weekday alone (no time) is enough to tell a date; it is read as the end of that day
        ("Tarjoukset viimeistään pe 3.2.", dt.date(2017, 1, 20), "2017-02-03T23:59:00+02:00"),
    ],
)
def test_a_date_without_a_year_is_read_from_the_publication_date_and_flagged(sentence, published, at) -> None:
    (found,) = ft.find_deadlines(sentence, "sv" if "Anbuden" in sentence else "fi", published)
    assert (found.kind, found.at.isoformat()) == ("tender", at)
    assert found.needs_review and ft.YEAR_INFERRED in found.reasons


def test_a_date_without_a_year_is_not_read_without_a_publication_date() -> None:
    assert ft.find_deadlines("Tarjoukset on jätettävä viimeistään pe 3.2. klo 13.", "fi") == []


@pytest.mark.parametrize(
    ("sentence", "at"),
    [
        # times that look like "d.m.": after a clock word, or right after a full date
        ("Tarjoukset 20.5.2016 klo 12.10.", "2016-05-20T12:10:00+03:00"),
        ("Tarjoukset 20.5.2016, 16.10.", "2016-05-20T16:10:00+03:00"),
        ("Frågor senast 23.9.2024 kl. 12.00.", "2024-09-23T12:00:00+03:00"),
    ],
)
def test_a_time_is_not_taken_for_a_date_without_a_year(sentence, at) -> None:
    (found,) = ft.find_deadlines(sentence, "fi", dt.date(2016, 5, 1))
    assert found.at.isoformat() == at and ft.YEAR_INFERRED not in found.reasons


def test_a_bare_day_and_month_is_no_date() -> None:
    """"kohta 4.2." is a section number as often as a date: without a time or a weekday it is not read."""
    assert ft.find_instants("Tarjoukset kohdan 4.2. mukaisesti.", "fi", dt.date(2017, 1, 20)) == []


def test_a_date_without_a_year_in_the_spring_gap_is_shifted_and_flagged_twice() -> None:
    (found,) = ft.find_deadlines("Tarjoukset viimeistään su 31.3. klo 3.30.", "fi", dt.date(2024, 3, 1))
    assert found.at.isoformat() == "2024-03-31T04:30:00+03:00"
    assert ft.DST_GAP in found.reasons and ft.YEAR_INFERRED in found.reasons


def test_the_weekday_written_picks_the_year_and_a_contradiction_is_flagged() -> None:
    # 3.1.2018 is a Wednesday; "to" (Thursday) fits neither 2018 nor anything before 2019: first day, flagged
    (found,) = ft.find_deadlines("Tarjoukset viimeistään to 3.1. klo 12.", "fi", dt.date(2017, 1, 5))
    assert found.at.date() == dt.date(2018, 1, 3) and ft.WEEKDAY_MISMATCH in found.reasons
    # published 28.12.2017: "ke 3.1." is 3 January 2018, a Wednesday, and not flagged for its weekday
    (found,) = ft.find_deadlines("Tarjoukset viimeistään ke 3.1. klo 12.", "fi", dt.date(2017, 12, 28))
    assert found.at.date() == dt.date(2018, 1, 3) and ft.WEEKDAY_MISMATCH not in found.reasons


def test_an_impossible_date_without_a_year_is_flagged_as_impossible() -> None:
    sentence = "Tarjoukset viimeistään 31.2. klo 12."
    assert ft.find_deadlines(sentence, "fi", dt.date(2017, 1, 5)) == []
    assert ft.find_impossible_deadlines(sentence, "fi", dt.date(2017, 1, 5)) == [sentence]


# --------------------------------------------------------------------------------------------------------
# Deadlines as Finns and Swedes write them (issue 14)
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "at"),
    [
        # Finnish month names in any inflection, and month first
        ("15. maaliskuuta 2026 klo 12", "2026-03-15T12:00:00+02:00"),
        ("15.maaliskuuta 2026 klo 12", "2026-03-15T12:00:00+02:00"),
        ("15 maaliskuu 2026 klo 12", "2026-03-15T12:00:00+02:00"),
        ("maaliskuun 15. päivänä 2026 klo 12", "2026-03-15T12:00:00+02:00"),
        ("3. helmikuuta, 2026 kello 9.30", "2026-02-03T09:30:00+02:00"),
        # Swedish names and abbreviations
        ("den 3 februari 2026 kl. 12", "2026-02-03T12:00:00+02:00"),
        ("3 febr. 2026 kl. 12", "2026-02-03T12:00:00+02:00"),
        ("fredagen den 13 mars 2026 klockan 12.00", "2026-03-13T12:00:00+02:00"),
        # weekdays in the illative and genitive
        ("perjantaihin 13.3.2026 klo 12 mennessä", "2026-03-13T12:00:00+02:00"),
        ("keskiviikkoon 4. maaliskuuta 2026 kello 12 mennessä", "2026-03-04T12:00:00+02:00"),
        # noon and midnight in words
        ("6.3.2026 puoliltapäivin", "2026-03-06T12:00:00+02:00"),
        ("6.3.2026 keskipäivällä", "2026-03-06T12:00:00+02:00"),
        ("31.3.2026 puoleenyöhön mennessä", "2026-04-01T00:00:00+03:00"),
        ("6 februari 2026 före midnatt", "2026-02-07T00:00:00+02:00"),
        ("6.2.2026 kl. 12 (middag)", "2026-02-06T12:00:00+02:00"),
    ],
)
def test_dates_and_times_in_words(phrase: str, at: str) -> None:
    found = ft.parse_deadline(phrase)
    assert found is not None and found.at.isoformat() == at and not found.needs_review


def test_month_number() -> None:
    assert [ft.month_number(w) for w in ("maaliskuuta", "Maaliskuun", "joulukuu", "feb.", "Mars", "kesäkuussa")] == [
        3, 3, 12, 2, 3, 6
    ]
    assert ft.month_number("maanantai") is None


def test_a_named_date_without_a_year_is_read_like_a_numeric_one() -> None:
    (found,) = ft.find_deadlines("Anbuden ska lämnas senast den 12 mars kl. 16.", "sv", dt.date(2026, 2, 19))
    assert found.at.isoformat() == "2026-03-12T16:00:00+02:00" and ft.YEAR_INFERRED in found.reasons
    assert ft.find_deadlines("Anbuden ska lämnas senast den 12 mars kl. 16.", "sv") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the end of a tender period is the tender deadline
        ("Tarjousaika 25.11.2025–2.2.2026 klo 12.00.", [("tender", "2026-02-02T12:00:00+02:00")]),
        ("Tarjousaika: 2.2.2026 - 27.2.2026 klo 12.00", [("tender", "2026-02-27T12:00:00+02:00")]),
        ("Anbudstiden 1.2.2026–27.2.2026 kl. 15.", [("tender", "2026-02-27T15:00:00+02:00")]),
        # the end of any other period is not
        ("Sopimuskausi 1.5.2026–30.4.2028, tarjoukset pyydetään sähköisesti.", []),
        # told in the past: an earlier procurement
        ("Määräaikaan 15.10.2025 klo 12.00 mennessä saatiin viisi tarjousta.", []),
        ("Tarjousten viimeinen jättöpäivä oli 9.1.2026 klo 12.00.", []),
        ("Anbudstiden gick ut 9.1.2026 kl. 12.00.", []),
        ("Anbuden öppnades 12.1.2026 kl. 10.", []),
        ("Tarjoukset jätettiin 23.1.2026 klo 12 mennessä.", []),
        # the kind from a label on the line before, or before a colon
        ("Sista anbudsdag\n14.4.2026 kl. 15.00", [("tender", "2026-04-14T15:00:00+03:00")]),
        ("Sista dag för anbudsansökan\n31.3.2026 kl. 16.00", [("participation", "2026-03-31T16:00:00+03:00")]),
        ("Kysymykset\nviimeistään 2.4.2026 klo 12", [("questions", "2026-04-02T12:00:00+03:00")]),
        ("Tarjousten viimeinen jättöpäivä: pe 27.3.2026 klo 12.00", [("tender", "2026-03-27T12:00:00+02:00")]),
        # but not from a sentence before
        ("Kaupunki kilpailuttaa siivouksen.\nKonsertti 14.4.2026 klo 18.", []),
    ],
)
def test_periods_past_tense_and_labels(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(f.kind, f.at.isoformat()) for f in ft.find_deadlines(text)] == expected


def test_a_label_is_kept_with_the_deadline_text() -> None:
    (found,) = ft.find_deadlines("Sista anbudsdag\n14.4.2026 kl. 15.00", "sv")
    assert found.text == "Sista anbudsdag: 14.4.2026 kl. 15.00"


def test_deadline_words() -> None:
    for sentence in ("Tarjoukset 20.5.2016 mennessä", "Anbud senast 7.10.2024", "Sista anbudsdag 9.3.2026",
                     "Tarjousaika päättyy 2.2.2026", "Anbudstiden går ut 2.2.2026"):
        assert ft.DEADLINE_WORD.search(sentence), sentence
    assert not ft.DEADLINE_WORD.search("Kommunen berättar hur man lämnar anbud tisdag 13.1.2026 kl. 8.30")
