"""Structure identifiers: one validator per identifier type."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

LA_POSTE_SIREN = "356000000"


class IdentifierType(models.TextChoices):
    SIRET = "SIRET", _("SIRET")
    UE_HORS_FRANCE = "UE_HORS_FRANCE", _("EU outside France (VAT number)")
    HORS_UE = "HORS_UE", _("Outside the EU")
    RIDET = "RIDET", _("RIDET (New Caledonia)")
    TAHITI = "TAHITI", _("TAHITI number (French Polynesia)")
    AUTRE = "AUTRE", _("Other (being registered)")
    PARTICULIER = "PARTICULIER", _("Private individual")


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def siret_valid(value: str) -> bool:
    if not re.fullmatch(r"[0-9]{14}", value):
        return False
    if value.startswith(LA_POSTE_SIREN):
        # La Poste's many establishments share one SIREN: their key is a sum of
        # digits that is a multiple of 5, not the Luhn key.
        return luhn_valid(value) or sum(int(c) for c in value) % 5 == 0
    return luhn_valid(value)


def with_luhn_key(prefix13: str) -> str:
    """Complete a 13-digit prefix into a valid SIRET (used by demo data and tests)."""
    for key in "0123456789":
        if luhn_valid(prefix13 + key):
            return prefix13 + key
    raise AssertionError("unreachable: one key always fits")


_PATTERNS = {
    IdentifierType.UE_HORS_FRANCE: (
        re.compile(r"[A-Z]{2}[0-9A-Z]{2,13}"),
        _("An EU VAT number is two letters followed by 2 to 13 letters or digits."),
    ),
    IdentifierType.HORS_UE: (
        re.compile(r"[0-9A-Z][0-9A-Z .\-/]{0,79}"),
        _("Use letters, digits, spaces, dots, dashes or slashes (80 characters at most)."),
    ),
    IdentifierType.RIDET: (
        re.compile(r"[0-9]{6,7}\.?[0-9]{3}"),
        _("A RIDET is 6 or 7 digits followed by the 3-digit establishment number."),
    ),
    IdentifierType.TAHITI: (
        re.compile(r"[0-9A-Z][0-9]{5}([0-9]{3})?"),
        _("A TAHITI number is 6 characters, optionally followed by 3 digits."),
    ),
    IdentifierType.AUTRE: (
        re.compile(r"[0-9A-Z][0-9A-Z .\-/]{0,79}"),
        _("Use letters, digits, spaces, dots, dashes or slashes (80 characters at most)."),
    ),
    IdentifierType.PARTICULIER: (
        re.compile(r"[0-9A-Z][0-9A-Z .\-/]{0,79}"),
        _("Use letters, digits, spaces, dots, dashes or slashes (80 characters at most)."),
    ),
}


def normalise_identifier(identifier_type: str, value: str) -> str:
    value = (value or "").strip().upper()
    if identifier_type == IdentifierType.SIRET:
        value = re.sub(r"[\s.]", "", value)
    return value


def validate_identifier(identifier_type: str, value: str) -> None:
    if identifier_type == IdentifierType.SIRET:
        if not re.fullmatch(r"[0-9]*", value):
            raise ValidationError(_("A SIRET contains digits only."), code="siret_digits")
        if len(value) != 14:
            raise ValidationError(_("A SIRET has exactly 14 digits."), code="siret_length")
        if not siret_valid(value):
            raise ValidationError(
                _("This SIRET is not valid: its check digit does not match."), code="siret_key"
            )
        return
    try:
        pattern, message = _PATTERNS[IdentifierType(identifier_type)]
    except (KeyError, ValueError):
        raise ValidationError(_("Unknown identifier type."), code="identifier_type") from None
    if not pattern.fullmatch(value):
        raise ValidationError(message, code="identifier_format")
