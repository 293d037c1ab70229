"""Changing your password: the current one first, the five rules, the other sessions end."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from activity.models import Action, ActivityLog
from mfa.models import FactorPreference, LoginMode
from tests.conftest import PASSWORD, full_login, password_login
from tests.mfa_helpers import enrol_app, reauthenticate

pytestmark = pytest.mark.django_db

URL = reverse("mfa_account:password-change")
NEW = "Nouveau-Secret-2026!x"


def change(client, current=PASSWORD, new1=NEW, new2=None):
    return client.post(
        URL,
        {"current_password": current, "new_password1": new1, "new_password2": new2 or new1},
    )


def error_codes(response, field):
    return {e.code for e in response.context["form"].errors.as_data().get(field, [])}


def test_the_page_lists_the_five_rules(signed_in, alice):
    page = signed_in(alice).get(URL).content.decode()
    for rule in ("length", "digit", "lower", "upper", "special"):
        assert f'data-rule="{rule}"' in page
    assert 'autocomplete="current-password"' in page and 'autocomplete="new-password"' in page


def test_a_wrong_current_password_changes_nothing(signed_in, alice, mailoutbox):
    client = signed_in(alice)
    response = change(client, current="Wrong-password-1!")
    assert response.status_code == 200
    assert error_codes(response, "current_password") == {"wrong_password"}
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD) and not alice.check_password(NEW)
    assert ActivityLog.objects.filter(action=Action.PASSWORD_CHANGE_FAILED, actor=alice).exists()
    assert not mailoutbox


def test_wrong_current_passwords_count_toward_the_login_rate_limit(
    signed_in, client_factory, alice
):
    client = signed_in(alice)
    for _ in range(5):  # the login limit per account: 5 failures in 5 minutes
        change(client, current="Wrong-password-1!")
    # Now even the right password is refused, here and at the login page.
    response = change(client)
    assert error_codes(response, "current_password") == {"rate_limited"}
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    other = client_factory()
    response = other.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    assert response.status_code == 200  # refused by the rate limit


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Ab1!xyzq", "password_too_short"),
        ("Abcdefgh!jklm", "password_no_digit"),
        ("ABCDEFGH1!JKL", "password_no_lower"),
        ("abcdefgh1!jkl", "password_no_upper"),
        ("Abcdefgh1jklm", "password_no_special"),
    ],
)
def test_each_of_the_five_rules(signed_in, alice, password, code):
    response = change(signed_in(alice), new1=password)
    assert response.status_code == 200
    assert code in error_codes(response, "new_password1")
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_the_two_new_passwords_must_match(signed_in, alice):
    response = change(signed_in(alice), new2=NEW + "x")
    assert response.status_code == 200 and response.context["form"].has_error("new_password2")


def test_the_new_password_works_and_the_old_one_no_longer_does(
    client, client_factory, alice, mailoutbox, django_capture_on_commit_callbacks
):
    full_login(client, mailoutbox, alice.email)
    with django_capture_on_commit_callbacks(execute=True):
        response = change(client)
    assert response.status_code == 302
    fresh = client_factory()
    refused = fresh.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    assert refused.status_code == 200
    password_login(fresh, alice.email, NEW)
    assert ActivityLog.objects.filter(action=Action.PASSWORD_CHANGED, actor=alice).exists()
    notice = [m for m in mailoutbox if "mot de passe" in m.subject][-1]
    assert notice.subject == "[Chorus Pro] Sécurité : Votre mot de passe a été modifié"
    assert "Adresse IP : 127.0.0.1" in notice.body
    assert "Mot de passe oublié" in notice.body and "support" in notice.body
    assert NEW not in notice.body


def test_other_sessions_end_and_this_one_stays(client, client_factory, alice, mailoutbox, settings):
    settings.MFA_EMAIL_RESEND_COOLDOWN = 0
    other = client_factory()
    full_login(other, mailoutbox, alice.email)
    assert other.get(reverse("home")).status_code == 200
    full_login(client, mailoutbox, alice.email)
    key_before = client.session.session_key
    assert change(client).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert client.session.session_key != key_before
    response = other.get(reverse("home"))
    assert response.status_code == 302 and reverse("account_login") in response.url


def test_the_mail_is_in_the_users_language(
    signed_in, alice, mailoutbox, django_capture_on_commit_callbacks
):
    alice.language = "en"
    alice.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        change(signed_in(alice))
    assert mailoutbox[-1].subject == "[Chorus Pro] Security: Your password has been changed"
    assert "Forgot your password?" in mailoutbox[-1].body


def test_re_authentication_older_than_five_minutes_is_asked_again(signed_in, alice):
    """The password change counts as a re-authentication, for five minutes only."""
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = signed_in(alice)
        enrol = reverse("mfa_account:app-add")
        assert "/accounts/reauthenticate/" in client.get(enrol).url
        assert change(client).status_code == 302
        traveller.move_to(start + timedelta(minutes=4, seconds=59))
        assert client.get(enrol).status_code == 200
        traveller.move_to(start + timedelta(minutes=5, seconds=1))
        response = client.get(enrol)
        assert response.status_code == 302 and "/accounts/reauthenticate/" in response.url
        # The password page always asks for the current password itself.
        assert client.get(URL).status_code == 200


def test_changing_the_default_mode_needs_a_recent_password(
    signed_in, alice, mailoutbox, django_capture_on_commit_callbacks
):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = signed_in(alice)
        reauthenticate(client)
        enrol_app(client)
        traveller.move_to(start + timedelta(minutes=6))
        url = reverse("mfa_account:mode-edit")
        response = client.post(url, {"default_mode": LoginMode.EMAIL})
        assert response.status_code == 302 and "/accounts/reauthenticate/" in response.url
        assert FactorPreference.objects.get(user=alice).default_mode == LoginMode.APP
        # allauth replays the suspended POST once the password is typed again.
        with django_capture_on_commit_callbacks(execute=True):
            client.post(response.url, {"password": PASSWORD})
        assert FactorPreference.objects.get(user=alice).default_mode == LoginMode.EMAIL
    assert ActivityLog.objects.filter(action=Action.DEFAULT_MODE_CHANGED, actor=alice).exists()
    assert "mode de connexion par défaut" in mailoutbox[-1].subject
