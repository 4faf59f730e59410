"""Organisation identifiers, phone numbers and country codes, shared by every reader. Pure functions.

Identifier schemes are org-id.guide codes. A value whose check digit fails is kept as written with
``valid=False``; it is never "corrected". A value we cannot place in a scheme keeps ``scheme=None``.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
import pycountry
from stdnum.dk import cvr as dk_cvr
from stdnum.ee import registrikood as ee_rik
from stdnum.fi import ytunnus as fi_ytunnus
from stdnum.no import orgnr as no_orgnr
from stdnum.se import orgnr as se_orgnr

from notices.records import Identifier, Phone

# Values that fill an identifier field without being one (seen in eForms BT-501).
_PLACEHOLDERS = {"", "-", "n/a", "na", "not available", "none", "unknown", "ei saatavilla", "ei tiedossa"}

_Y_TUNNUS = re.compile(r"^(\d{6,7})-(\d)$", re.ASCII)
_FI_VAT = re.compile(r"^FI\s?(\d{8})$", re.I | re.ASCII)
_FI_COMPACT = re.compile(r"^\d{8}$", re.ASCII)

# country -> (scheme, stdnum module, pattern a value of that scheme has once spaces and dashes are gone,
# optional VAT prefix/suffix pattern that wraps the same number)
_NATIONAL = {
    "SE": ("SE-ON", se_orgnr, re.compile(r"^\d{10}$", re.ASCII), re.compile(r"^SE(\d{10})01$", re.I | re.ASCII)),
    "NO": ("NO-BRC", no_orgnr, re.compile(r"^\d{9}$", re.ASCII), re.compile(r"^NO(\d{9})(MVA)?$", re.I | re.ASCII)),
    "DK": ("DK-CVR", dk_cvr, re.compile(r"^\d{8}$", re.ASCII), re.compile(r"^DK(\d{8})$", re.I | re.ASCII)),
    "EE": ("EE-RIK", ee_rik, re.compile(r"^\d{8}$", re.ASCII), None),
}


def _ytunnus(compact: str, as_written: str) -> Identifier:
    formatted = fi_ytunnus.format(compact)
    valid = fi_ytunnus.is_valid(compact)
    return Identifier("FI-PRO", formatted if valid else as_written, valid, as_written)


def identify(value: str | None, country: str | None = None, scheme: str | None = None) -> Identifier | None:
    """Place an organisation identifier as written in its scheme and check it.

    ``country`` (alpha-2) is the organisation's country, used where the format alone is ambiguous;
    ``scheme`` an org-id code the source declared. Returns None for empty values and placeholders.
    """
    if value is None:
        return None
    as_written = " ".join(value.split())
    if as_written.lower().strip(".") in _PLACEHOLDERS:
        return None
    country = (country or "").upper() or None
    bare = re.sub(r"[\s.]", "", as_written)

    # Finnish Y-tunnus: 0206714-5, its VAT form FI02067145, or 02067145 from a Finnish source.
    if m := _Y_TUNNUS.match(bare):
        return _ytunnus(m.group(1).zfill(7) + m.group(2), as_written)
    if m := _FI_VAT.match(bare):
        return _ytunnus(m.group(1), as_written)
    if (country == "FI" or scheme == "FI-PRO") and _FI_COMPACT.match(bare):
        return _ytunnus(bare, as_written)

    national = _NATIONAL.get(country) if country else None
    if scheme:
        national = next((n for n in _NATIONAL.values() if n[0] == scheme), national)
    if national:
        code, module, pattern, vat = national
        digits = bare.replace("-", "")
        if vat and (m := vat.match(digits)):
            digits = m.group(1)
        if pattern.match(digits):
            valid = module.is_valid(digits)
            canonical = getattr(module, "format", module.compact)(digits).replace(" ", "") if valid else as_written
            return Identifier(code, canonical, valid, as_written)
    return Identifier(scheme, as_written, None, as_written)


def phone(value: str | None, country: str | None = None) -> Phone | None:
    """A phone or fax number as written, with its E.164 form and validity where phonenumbers can tell."""
    if value is None:
        return None
    as_written = " ".join(value.split())
    if not as_written:
        return None
    try:
        number = phonenumbers.parse(as_written, (country or "FI").upper())
    except phonenumbers.NumberParseException:
        return Phone(as_written, None, False)
    if not phonenumbers.is_possible_number(number):
        return Phone(as_written, None, False)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Phone(as_written, e164, phonenumbers.is_valid_number(number))


@lru_cache(maxsize=512)
def country_alpha2(code: str | None) -> str | None:
    """ISO 3166-1 alpha-2 from an alpha-2 or alpha-3 code (eForms writes FIN); None if unknown."""
    if not code:
        return None
    code = code.strip().upper()
    if len(code) == 2:
        return code if pycountry.countries.get(alpha_2=code) or code in ("EL", "UK", "XK") else None
    found = pycountry.countries.get(alpha_3=code)
    return found.alpha_2 if found else None


@lru_cache(maxsize=512)
def language_alpha2(code: str | None) -> str | None:
    """ISO 639-1 from a 639-1 or 639-2 code (eForms writes FIN, SWE, ENG); None if unknown."""
    if not code:
        return None
    code = code.strip().lower()
    if len(code) == 2:
        return code if pycountry.languages.get(alpha_2=code) else None
    found = pycountry.languages.get(alpha_3=code) or pycountry.languages.get(bibliographic=code)
    return getattr(found, "alpha_2", None) if found else None
