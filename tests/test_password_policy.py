"""The seed's password rules, each with its own message, in French and English."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from accounts.models import User

pytestmark = pytest.mark.django_db

CASES = [
    # password, code, English message, French message
    ("Short-1a", "password_too_short", "at least 12 characters", "au moins 12 caractères"),
    ("No-digits-here!", "password_no_digit", "must contain a digit", "doit contenir un chiffre"),
    ("NO-LOWER-CASE-123", "password_no_lower", "lower-case letter", "une lettre minuscule"),
    ("no-upper-case-123", "password_no_upper", "upper-case letter", "une lettre majuscule"),
    ("NoSpecialChar123", "password_no_special", "special character", "un caractère spécial"),
]


def codes(error: ValidationError) -> set[str]:
    return {e.code for e in error.error_list}


@pytest.mark.parametrize(("password", "code", "english", "french"), CASES)
def test_each_rule_has_its_own_message_in_both_languages(password, code, english, french):
    user = User(email="someone@example.fr")
    for language, expected in (("en", english), ("fr", french)):
        with translation.override(language), pytest.raises(ValidationError) as caught:
            validate_password(password, user)
        assert code in codes(caught.value)
        assert codes(caught.value) == {code}, password
        assert any(expected in message for message in caught.value.messages), (
            language,
            caught.value.messages,
        )


def test_a_common_password_is_refused_in_both_languages():
    for language, expected in (("en", "too common"), ("fr", "trop courant")):
        with translation.override(language), pytest.raises(ValidationError) as caught:
            validate_password("Pe#5gz29ptzmse", User(email="x@example.fr"))
        assert any(expected in m for m in caught.value.messages), caught.value.messages


@pytest.mark.parametrize(
    "password", ["Alice-Martin-2026!", "Xx-alicem-99-Yy", "My-Chorus-Pass-9", "Martin-1234-abc"]
)
def test_context_words_are_refused(password):
    user = User(email="alicem@example.fr", first_name="Alice", last_name="Martin")
    for language, expected in (("en", "your name"), ("fr", "votre nom")):
        with translation.override(language), pytest.raises(ValidationError) as caught:
            validate_password(password, user)
        assert "password_context_word" in codes(caught.value)
        assert any(expected in m for m in caught.value.messages)


def test_a_128_character_password_is_accepted_without_truncation():
    password = ("Ab1-" * 32)[:127] + "Z"
    assert len(password) == 128
    user = User(email="long@example.fr")
    validate_password(password, user)
    user.set_password(password)
    assert user.check_password(password)
    assert not user.check_password(password[:-1])
    assert not user.check_password(password.lower())


def test_a_valid_password_passes():
    validate_password("Solid-Passphrase-42", User(email="someone@example.fr"))


def test_signup_shows_the_rules_and_sends_a_verification_mail(client, mailoutbox):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.fr",
            "first_name": "Nina",
            "last_name": "Nouvelle",
            "password1": "weak",
            "password2": "weak",
        },
    )
    assert response.status_code == 200
    assert "password1" in response.context["form"].errors
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.fr",
            "first_name": "Nina",
            "last_name": "Nouvelle",
            "password1": "Solid-Passphrase-42",
            "password2": "Solid-Passphrase-42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.fr")
    assert user.first_name == "Nina"
    assert len(mailoutbox) == 1
    # Mandatory verification: no session until the address is confirmed.
    assert client.get(reverse("home")).status_code == 302


def test_lost_password_answers_the_same_for_unknown_addresses(client, alice, mailoutbox):
    known = client.post(reverse("account_reset_password"), {"email": alice.email})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.fr"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    assert [m.to for m in mailoutbox] == [[alice.email], ["nobody@example.fr"]] or len(
        mailoutbox
    ) == 1


def test_a_password_reset_never_skips_the_second_factor(client, alice, mailoutbox):
    import re

    client.post(reverse("account_reset_password"), {"email": alice.email})
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+)", mailoutbox[0].body)
    assert link
    response = client.get(link.group(1), follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link.group(1)
    response = client.post(
        form_url, {"password1": "Brand-New-Pass-77", "password2": "Brand-New-Pass-77"}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302
    response = client.post(
        reverse("account_login"), {"login": alice.email, "password": "Brand-New-Pass-77"}
    )
    assert response.url.startswith(reverse("mfa:verify"))
