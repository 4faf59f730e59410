"""Identifiers are placed in their scheme and checked, never corrected; phones keep what was written."""

import pytest

from notices.readers.ids import country_alpha2, identify, language_alpha2, phone
from notices.records import Identifier


@pytest.mark.parametrize(
    ("written", "country", "expected"),
    [
        ("0206714-5", None, Identifier("FI-PRO", "0206714-5", True, "0206714-5")),
        ("FI02067145", None, Identifier("FI-PRO", "0206714-5", True, "FI02067145")),
        ("FI 0206714 5".replace(" 5", "5"), None, Identifier("FI-PRO", "0206714-5", True, "FI 02067145")),
        ("02067145", "FI", Identifier("FI-PRO", "0206714-5", True, "02067145")),
        ("0206714-6", None, Identifier("FI-PRO", "0206714-6", False, "0206714-6")),
        ("206714-5", None, Identifier("FI-PRO", "0206714-5", True, "206714-5")),
        ("556016-0680", "SE", Identifier("SE-ON", "556016-0680", True, "556016-0680")),
        ("SE556016068001", "SE", Identifier("SE-ON", "556016-0680", True, "SE556016068001")),
        ("974760673", "NO", Identifier("NO-BRC", "974760673", True, "974760673")),
        ("NO974760673MVA", "NO", Identifier("NO-BRC", "974760673", True, "NO974760673MVA")),
        ("13585628", "DK", Identifier("DK-CVR", "13585628", True, "13585628")),
        ("10137319", "EE", Identifier("EE-RIK", "10137319", True, "10137319")),
        ("10000000", "EE", Identifier("EE-RIK", "10000000", False, "10000000")),
        ("FR123", "FR", Identifier(None, "FR123", None, "FR123")),
        ("١٢٣٤٥٦٧-٨", None, Identifier(None, "١٢٣٤٥٦٧-٨", None, "١٢٣٤٥٦٧-٨")),
    ],
)
def test_it_places_and_checks_identifiers(written, country, expected):
    assert identify(written, country) == expected


@pytest.mark.parametrize("placeholder", [None, "", "  ", "not available", "N/A", "-"])
def test_placeholders_are_no_identifier(placeholder):
    assert identify(placeholder) is None


def test_phones_keep_what_was_written_and_say_whether_it_is_valid():
    wrong_country_code = phone("+354447478502", "FI")
    assert (wrong_country_code.as_written, wrong_country_code.valid) == ("+354447478502", False)
    assert phone("+35852308910", "FI").e164 == "+35852308910"
    national = phone("06 224 1100", "FI")
    assert (national.e164, national.valid) == ("+35862241100", True)
    assert phone("not a number", "FI").valid is False
    assert phone("", "FI") is None


def test_country_and_language_codes():
    assert [country_alpha2(c) for c in ("FIN", "fi", "SWE", "XXX", None)] == ["FI", "FI", "SE", None, None]
    assert [language_alpha2(c) for c in ("FIN", "swe", "ENG", "en", "zzz", "äö")] == ["fi", "sv", "en", "en", None, None]
