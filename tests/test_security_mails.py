"""A mail for every security change: one, to the right address, in the person's language.

Every event goes through the one family `accounts/email/security_notice_*`: what
changed, when, from which browser and IP (or who, when it was someone else), and
what to do if it was not them."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, make_user
from tests.mfa_helpers import enrol_app, reauthenticate

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
IP = "192.0.2.44"

# What each language's mail must say, whatever the event.
WORDS = {
    "fr": {"hello": "Bonjour", "when": "Quand :", "browser": "Navigateur :", "ip": "Adresse IP :"},
    "en": {"hello": "Hello", "when": "When:", "browser": "Browser:", "ip": "IP address:"},
}
SUBJECTS = {
    "password": {
        "fr": "Votre mot de passe a été modifié",
        "en": "Your password has been changed",
    },
    "address_old": {
        "fr": "Votre adresse de connexion a été modifiée",
        "en": "Your login address has been changed",
    },
    "address_new": {
        "fr": "C'est désormais votre adresse de connexion",
        "en": "This is now your login address",
    },
    "app_added": {
        "fr": "Une application d'authentification a été ajoutée",
        "en": "An authenticator application has been added",
    },
    "app_removed": {
        "fr": "Votre application d'authentification a été supprimée",
        "en": "Your authenticator application has been removed",
    },
    "deactivated": {
        "fr": "Votre compte Chorus Pro a été désactivé",
        "en": "Your Chorus Pro account has been deactivated",
    },
    "reactivated": {
        "fr": "Votre compte Chorus Pro a été réactivé",
        "en": "Your Chorus Pro account has been reactivated",
    },
    "unlocked": {
        "fr": "Votre compte Chorus Pro a été déverrouillé",
        "en": "Your Chorus Pro account has been unlocked",
    },
    "sessions_by_staff": {
        "fr": "Vos sessions Chorus Pro ont été fermées",
        "en": "Your Chorus Pro sessions have been ended",
    },
}


@pytest.fixture
def person(db):
    def make(language):
        return make_user(
            f"person-{language}@example.fr",
            first_name="Paula",
            last_name="Dupré",
            language=language,
        )

    return make


def browser_of(user) -> Client:
    from tests.conftest import verify_session

    client = Client(HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR=IP)
    verify_session(client, user)
    return client


@pytest.fixture
def sent(mailoutbox, django_capture_on_commit_callbacks):
    """sent(action) -> the mails `action` sent, its on-commit work run."""

    def run(action):
        before = len(mailoutbox)
        with django_capture_on_commit_callbacks(execute=True):
            action()
        return mailoutbox[before:]

    return run


def security(mails) -> list:
    """The security notices among `mails` (their subject says so, in either language)."""
    return [
        m
        for m in mails
        if m.subject.startswith(("[Chorus Pro] Sécurité : ", "[Chorus Pro] Security: "))
    ]


def assert_notice(mail, language, subject_key, *, by_browser=True):
    words = WORDS[language]
    assert mail.subject.endswith(SUBJECTS[subject_key][language]), mail.subject
    assert words["hello"] in mail.body and words["when"] in mail.body, mail.body
    if by_browser:
        assert f"{words['browser']} Firefox 128" in mail.body, mail.body
        assert f"{words['ip']} {IP}" in mail.body, mail.body
    # The other language's words are absent.
    other = WORDS["en" if language == "fr" else "fr"]
    assert other["when"] not in mail.body


LANGUAGES = pytest.mark.parametrize("language", ["fr", "en"])


@LANGUAGES
def test_password_changed(person, sent, language):
    user = person(language)
    client = browser_of(user)
    mails = sent(
        lambda: client.post(
            reverse("mfa_account:password-change"),
            {
                "current_password": PASSWORD,
                "new_password1": "Nouveau-Secret-2026!x",
                "new_password2": "Nouveau-Secret-2026!x",
            },
        )
    )
    [mail] = security(mails)
    assert mail.to == [user.email]
    assert_notice(mail, language, "password")


@LANGUAGES
def test_login_address_changed_tells_the_former_and_the_new_address(person, sent, language):
    user = person(language)
    old, new = user.email, f"new-{language}@example.fr"
    client = browser_of(user)
    asked = sent(
        lambda: client.post(
            "/account/login-address/", {"current_password": PASSWORD, "new_email": new}
        )
    )
    assert [m.to for m in asked] == [[new]] and not security(asked)
    link = re.search(r"https?://[^/\s]+(/account/login-address/confirm/\S+/)", asked[0].body)
    mails = security(sent(lambda: client.post(link.group(1))))
    assert sorted(m.to[0] for m in mails) == sorted([old, new])
    to_old = next(m for m in mails if m.to == [old])
    to_new = next(m for m in mails if m.to == [new])
    assert_notice(to_old, language, "address_old")
    assert_notice(to_new, language, "address_new")
    # The former address learns the new one and that only the support can help now.
    assert new in to_old.body
    assert ("support Chorus Pro" if language == "fr" else "Chorus Pro support") in to_old.body
    assert "/accounts/password/reset/" not in to_old.body


@LANGUAGES
def test_second_factor_added_and_removed(person, sent, language):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = person(language)
    client = browser_of(user)
    reauthenticate(client)
    [added] = security(sent(lambda: enrol_app(client)))
    assert added.to == [user.email]
    assert_notice(added, language, "app_added")
    device = TOTPDevice.objects.get(user=user)
    [removed] = security(
        sent(lambda: client.post(reverse("mfa_account:app-remove", args=[device.pk])))
    )
    assert removed.to == [user.email]
    assert_notice(removed, language, "app_removed")


@LANGUAGES
def test_account_deactivated_then_reactivated_by_a_manager(person, sent, language):
    from affiliations.models import Role
    from tests.factories import attach, make_structure

    user = person(language)
    structure = make_structure("Notices")
    manager = make_user("chef-notices@example.fr", first_name="Chef", last_name="Durand")
    attach(manager, structure, role=Role.MAIN_MANAGER)
    affiliation = attach(user, structure)
    client = browser_of(user)
    reauthenticate(client)
    [off] = security(sent(lambda: client.post(reverse("accounts:deactivate"), {"confirm": "on"})))
    assert off.to == [user.email]
    assert_notice(off, language, "deactivated")

    manager_client = browser_of(manager)
    url = reverse("affiliations:member-reactivate", args=[affiliation.pk])
    [on] = security(sent(lambda: manager_client.post(url)))
    assert on.to == [user.email]
    assert_notice(on, language, "reactivated", by_browser=False)
    # Who did it is named; their browser and IP are not given.
    assert "Chef Durand" in on.body
    assert IP not in on.body and "Firefox" not in on.body


@LANGUAGES
def test_sessions_ended_by_staff(person, staff_user, sent, language):
    user = person(language)
    browser_of(user).get(reverse("home"))
    admin = browser_of(staff_user)
    [mail] = security(
        sent(
            lambda: admin.post(
                reverse("admin:accounts_user_changelist"),
                {"action": "end_sessions", "_selected_action": [user.pk]},
            )
        )
    )
    assert mail.to == [user.email]
    assert_notice(mail, language, "sessions_by_staff", by_browser=False)
    assert ("le support Chorus Pro" if language == "fr" else "the Chorus Pro support") in mail.body
    assert IP not in mail.body


@LANGUAGES
def test_account_unlocked_by_staff(person, staff_user, sent, language):
    from accounts.models import User

    user = person(language)
    User.objects.filter(pk=user.pk).update(login_failure_count=100)
    admin = browser_of(staff_user)
    [mail] = security(
        sent(
            lambda: admin.post(
                reverse("admin:accounts_user_changelist"),
                {"action": "unlock_accounts", "_selected_action": [user.pk]},
            )
        )
    )
    assert mail.to == [user.email]
    assert_notice(mail, language, "unlocked", by_browser=False)
    assert IP not in mail.body
