from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from affiliations.identifiers import (
    IdentifierType,
    luhn_valid,
    siret_valid,
    validate_identifier,
    with_luhn_key,
)
from affiliations.models import Structure, StructureKind

VALID_SIRET = "73282932000074"  # a SIRET whose Luhn key is valid


def test_luhn():
    assert luhn_valid(VALID_SIRET)
    assert not luhn_valid("73282932000075")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("73282932000075", "siret_key"),
        ("7328293200007", "siret_length"),
        ("732829320000745", "siret_length"),
        ("7328293200007A", "siret_digits"),
        ("", "siret_length"),
    ],
)
def test_bad_sirets_are_refused_with_their_reason(value, code):
    with pytest.raises(ValidationError) as caught:
        validate_identifier(IdentifierType.SIRET, value)
    assert caught.value.code == code


def test_a_valid_siret_passes():
    validate_identifier(IdentifierType.SIRET, VALID_SIRET)
    validate_identifier(IdentifierType.SIRET, with_luhn_key("1234567890123"))


def test_la_poste_establishments_use_their_own_key():
    # Digits summing to a multiple of 5, which the Luhn key would refuse.
    value = "35600000012300"
    assert sum(map(int, value)) % 5 == 0 and not luhn_valid(value)
    assert siret_valid(value)


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        (IdentifierType.UE_HORS_FRANCE, "BE0123456789", "B0123"),
        (IdentifierType.RIDET, "1234567.001", "12345"),
        (IdentifierType.TAHITI, "A12345", "A1234"),
        (IdentifierType.HORS_UE, "US-12 345/6", "<script>"),
    ],
)
def test_other_identifier_types(kind, good, bad):
    validate_identifier(kind, good)
    with pytest.raises(ValidationError):
        validate_identifier(kind, bad)


@pytest.mark.django_db
def test_structure_clean_normalises_and_validates():
    structure = Structure(
        identifier=" 732 829 320 00074 ", company_name="Test", kind=StructureKind.PRIVATE
    )
    structure.full_clean()
    assert structure.identifier == VALID_SIRET
    structure.identifier = "73282932000075"
    with pytest.raises(ValidationError) as caught:
        structure.full_clean()
    assert "identifier" in caught.value.message_dict
