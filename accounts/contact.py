"""Phone numbers and postal codes: normalise, validate, show readably."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

COUNTRIES = [
    ("FR", _("France")),
    ("BE", _("Belgium")),
    ("LU", _("Luxembourg")),
    ("CH", _("Switzerland")),
    ("DE", _("Germany")),
    ("ES", _("Spain")),
    ("IT", _("Italy")),
    ("PT", _("Portugal")),
    ("NL", _("Netherlands")),
    ("AT", _("Austria")),
    ("DK", _("Denmark")),
    ("IE", _("Ireland")),
    ("PL", _("Poland")),
    ("GB", _("United Kingdom")),
    ("US", _("United States")),
    ("CA", _("Canada")),
    ("MA", _("Morocco")),
    ("TN", _("Tunisia")),
    ("SN", _("Senegal")),
    ("ZZ", _("Other country")),
]


def country_name(code: str) -> str:
    """The country's name in the active language ("France"); nothing for "Other country"."""
    if not code or code == "ZZ":
        return ""
    return str(dict(COUNTRIES).get(code, code))


_POSTAL = {
    "FR": (r"(0[1-9]|[1-8]\d|9[0-8])\d{3}", _("A French postal code has 5 digits.")),
    "DE": (r"\d{5}", _("A German postal code has 5 digits.")),
    "ES": (r"\d{5}", _("A Spanish postal code has 5 digits.")),
    "IT": (r"\d{5}", _("An Italian postal code has 5 digits.")),
    "BE": (r"\d{4}", _("A Belgian postal code has 4 digits.")),
    "LU": (r"(L-)?\d{4}", _("A Luxembourg postal code has 4 digits.")),
    "CH": (r"\d{4}", _("A Swiss postal code has 4 digits.")),
    "AT": (r"\d{4}", _("An Austrian postal code has 4 digits.")),
    "DK": (r"\d{4}", _("A Danish postal code has 4 digits.")),
    "PT": (r"\d{4}-\d{3}", _("A Portuguese postal code reads 1234-567.")),
    "NL": (r"\d{4} ?[A-Z]{2}", _("A Dutch postal code reads 1234 AB.")),
    "PL": (r"\d{2}-\d{3}", _("A Polish postal code reads 12-345.")),
    "GB": (r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", _("A British postcode reads like SW1A 1AA.")),
    "US": (r"\d{5}(-\d{4})?", _("A US ZIP code has 5 digits, optionally followed by 4.")),
    "CA": (r"[A-Z]\d[A-Z] ?\d[A-Z]\d", _("A Canadian postal code reads like K1A 0B1.")),
    "MA": (r"\d{5}", _("A Moroccan postal code has 5 digits.")),
    "TN": (r"\d{4}", _("A Tunisian postal code has 4 digits.")),
    "SN": (r"\d{5}", _("A Senegalese postal code has 5 digits.")),
}
_GENERIC_POSTAL = (r"[A-Z0-9][A-Z0-9 \-]{1,9}", _("Use 2 to 10 letters, digits, spaces or dashes."))


def normalise_postal_code(country: str, value: str) -> str:
    value = " ".join((value or "").upper().split())
    pattern, message = _POSTAL.get(country, _GENERIC_POSTAL)
    if not re.fullmatch(pattern, value):
        raise ValidationError(message, code="postal_code")
    return value


def normalise_phone(value: str) -> str:
    """French or international number → E.164 (+33123456789)."""
    raw = (value or "").strip()
    compact = re.sub(r"[\s.\-()/]", "", raw)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if re.fullmatch(r"0[1-9]\d{8}", compact):
        compact = "+33" + compact[1:]
    if compact.startswith("+330"):
        compact = "+33" + compact[4:]
    if not re.fullmatch(r"\+[1-9]\d{6,14}", compact):
        raise ValidationError(
            _("Enter a French number (01 23 45 67 89) or an international one (+44 20 7946 0958)."),
            code="phone",
        )
    if compact.startswith("+33") and not re.fullmatch(r"\+33[1-9]\d{8}", compact):
        raise ValidationError(_("A French number has 10 digits."), code="phone")
    return compact


def readable_phone(value: str) -> str:
    if not value:
        return ""
    if re.fullmatch(r"\+33[1-9]\d{8}", value):
        national = "0" + value[3:]
        return " ".join(national[i : i + 2] for i in range(0, 10, 2))
    digits = value[1:]
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "+" + " ".join(groups)
