"""The factor step in the person's default mode, and "Use another connection mode"."""

from __future__ import annotations

import html
import json
from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_otp_webauthn.models import WebAuthnCredential

from activity.models import Action, ActivityLog
from mfa.models import FactorPreference, LoginMode
from tests.conftest import last_code, make_user, password_login
from tests.mfa_helpers import enrol_app, reauthenticate
from tests.webauthn_soft import SoftKey

pytestmark = pytest.mark.django_db

VERIFY = reverse("mfa:verify")


def is_verified(client) -> bool:
    return client.get(reverse("home")).status_code == 200


def app_code(client, code):
    return client.post(VERIFY, {"code": code, "action": "verify"})


def later(seconds=60):
    """A minute on: the code typed at enrolment is spent (single use), the next ones are not."""
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=False)


def with_app(signed_in, user) -> pyotp.TOTP:
    """`user` adds an application in another browser; returns what the phone computes."""
    other = signed_in(user)
    reauthenticate(other)
    return enrol_app(other)


def with_key(signed_in, user, name="Clé") -> SoftKey:
    other = signed_in(user)
    reauthenticate(other)
    key = SoftKey()
    options = other.post(reverse("mfa_account:key-options")).json()
    answer = key.register(options, origin=settings.OTP_WEBAUTHN_ALLOWED_ORIGINS[0])
    response = other.post(
        reverse("mfa_account:key-add"), {"name": name, "credential": json.dumps(answer)}
    )
    assert response.status_code == 302
    return key


def key_answer(client, key: SoftKey, **changes):
    options = client.post(VERIFY, {"action": "key-options"}).json()
    origin = changes.pop("origin", settings.OTP_WEBAUTHN_ALLOWED_ORIGINS[0])
    return options, key.sign(options, origin=origin, **changes)


def send_key(client, answer):
    return client.post(VERIFY, {"action": "key", "credential": json.dumps(answer)})


def test_a_user_whose_default_is_the_app_gets_no_mail(client, signed_in, alice, mailoutbox):
    totp = with_app(signed_in, alice)
    mailoutbox.clear()
    password_login(client, alice.email)
    assert mailoutbox == []
    page = client.get(VERIFY).content.decode()
    assert "application d'authentification" in page and 'autocomplete="one-time-code"' in page
    with later():
        assert app_code(client, totp.now()).status_code == 302
        assert is_verified(client)
    assert ActivityLog.objects.filter(
        action=Action.FACTOR_SUCCEEDED, actor=alice, detail__factor="app"
    ).exists()


def test_another_mode_then_email_sends_the_code(client, signed_in, alice, mailoutbox):
    with_app(signed_in, alice)
    mailoutbox.clear()
    password_login(client, alice.email)
    choices = client.get(VERIFY, {"mode": "choose"}).content.decode()
    for label in ("Application", "Courriel"):
        assert f">{label}</button>" in choices
    assert mailoutbox == []  # listing the modes sends nothing
    response = client.post(VERIFY, {"action": "mode", "mode": "email"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    # Choosing e-mail again does not mail another code ("Send a new code" is there for that).
    client.post(VERIFY, {"action": "mode", "mode": "email"})
    assert len(mailoutbox) == 1
    response = client.post(VERIFY, {"code": last_code(mailoutbox, alice.email), "action": "verify"})
    assert response.status_code == 302 and is_verified(client)


def test_the_link_to_other_modes_is_under_the_code_field(client, signed_in, alice):
    with_app(signed_in, alice)
    password_login(client, alice.email)
    page = client.get(VERIFY).content.decode()
    assert page.index('name="code"') < page.index("Utiliser un autre mode de connexion")


def test_a_user_with_nothing_but_email_is_never_shown_other_choices(client, alice, mailoutbox):
    password_login(client, alice.email)
    assert len(mailoutbox) == 1  # e-mail is the default: mailed at the password step
    page = client.get(VERIFY).content.decode()
    assert "Utiliser un autre mode de connexion" not in page
    response = client.get(VERIFY, {"mode": "choose"})
    assert response.status_code == 302
    # Asking for a mode the person does not have changes nothing.
    client.post(VERIFY, {"action": "mode", "mode": "app"})
    assert app_code(client, "123456").status_code == 200
    assert ActivityLog.objects.filter(
        action=Action.FACTOR_FAILED, actor=alice, detail__factor="email"
    ).exists()


def test_a_user_with_a_key_logs_in_by_app(client, signed_in, alice, mailoutbox):
    totp = with_app(signed_in, alice)
    with_key(signed_in, alice)
    assert FactorPreference.objects.get(user=alice).default_mode == LoginMode.KEY
    mailoutbox.clear()
    password_login(client, alice.email)
    assert "data-webauthn-login" in client.get(VERIFY).content.decode()
    choices = client.get(VERIFY, {"mode": "choose"}).content.decode()
    for label in ("Application", "Courriel", "Clé de sécurité"):
        assert f">{label}</button>" in choices
    client.post(VERIFY, {"action": "mode", "mode": "app"})
    with later():
        assert app_code(client, totp.now()).status_code == 302
        assert is_verified(client) and mailoutbox == []


def test_the_code_typed_at_enrolment_cannot_sign_in(client, signed_in, alice):
    with time_machine.travel(timezone.now(), tick=False):  # one 30 s window throughout
        totp = with_app(signed_in, alice)
        password_login(client, alice.email)
        assert app_code(client, totp.now()).status_code == 200
        assert not is_verified(client)


def test_the_same_app_code_is_refused_the_second_time(client, signed_in, alice, settings):
    settings.MFA_THROTTLE_FACTOR = 0
    totp = with_app(signed_in, alice)
    start = timezone.now() + timedelta(seconds=60)
    with time_machine.travel(start, tick=False):
        code = totp.now()
        password_login(client, alice.email)
        assert app_code(client, code).status_code == 302
        client.post(reverse("account_logout"))
        password_login(client, alice.email)
        response = app_code(client, code)  # same 30 s window
        assert response.status_code == 200
        assert "déjà été utilisé" in response.content.decode()
        assert not is_verified(client)


@pytest.mark.parametrize(("steps", "accepted"), [(-2, False), (-1, True), (1, True), (2, False)])
def test_one_step_either_side_only(client, signed_in, alice, settings, steps, accepted):
    settings.MFA_THROTTLE_FACTOR = 0
    totp = with_app(signed_in, alice)
    now = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(now, tick=False):
        password_login(client, alice.email)
        code = totp.at(now + timedelta(seconds=30 * steps))
        response = app_code(client, code)
    assert (response.status_code == 302) is accepted


@pytest.mark.parametrize("bad", [" 12345", "+12345", "12345", "1234567", "abcdef", "１２３４５６"])
def test_the_app_code_is_exactly_six_ascii_digits(client, signed_in, alice, bad):
    totp = with_app(signed_in, alice)
    password_login(client, alice.email)
    if bad[:1] in {" ", "+"}:
        bad = bad[0] + totp.now()[1:]  # a real code but for the prefix
    assert app_code(client, bad).status_code == 200
    assert not is_verified(client)


def test_app_failures_are_throttled_then_locked(client, signed_in, alice, settings, mailoutbox):
    totp = with_app(signed_in, alice)
    settings.MFA_MAX_FAILURES = 3
    start = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(start, tick=False) as traveller:
        password_login(client, alice.email)
        wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
        assert app_code(client, wrong).status_code == 200
        # Within the delay even the right code is not checked.
        throttled = app_code(client, totp.now()).content.decode()
        assert "Trop de codes erronés" in throttled and not is_verified(client)
        for seconds in (2, 5):
            traveller.move_to(start + timedelta(seconds=seconds))
            app_code(client, wrong)
        traveller.move_to(start + timedelta(minutes=1))
        locked = app_code(client, totp.now()).content.decode()
        assert "verrouillé" in locked and not is_verified(client)
        assert ActivityLog.objects.filter(
            action=Action.FACTOR_LOCKED, actor=alice, detail__factor="app"
        ).exists()
        # E-mail stays: the person signs in with a mailed code.
        client.post(VERIFY, {"action": "mode", "mode": "email"})
        response = client.post(
            VERIFY, {"code": last_code(mailoutbox, alice.email), "action": "verify"}
        )
        assert response.status_code == 302 and is_verified(client)


# --- security keys at login --------------------------------------------------------------


def test_a_key_completes_the_login(client, signed_in, alice, mailoutbox):
    key = with_key(signed_in, alice)
    mailoutbox.clear()
    password_login(client, alice.email)
    assert mailoutbox == []
    options, answer = key_answer(client, key)
    assert options["rpId"] == settings.OTP_WEBAUTHN_RP_ID
    assert options["allowCredentials"]
    assert send_key(client, answer).status_code == 302
    assert is_verified(client)
    device = WebAuthnCredential.objects.get(user=alice)
    assert device.sign_count == 1 and device.last_used_at is not None


def test_a_key_with_a_wrong_origin_is_refused(client, signed_in, alice):
    key = with_key(signed_in, alice)
    password_login(client, alice.email)
    _, answer = key_answer(client, key, origin="https://evil.example")
    assert send_key(client, answer).status_code == 200 and not is_verified(client)


def test_a_key_with_a_wrong_rp_id_is_refused(client, signed_in, alice):
    key = with_key(signed_in, alice)
    password_login(client, alice.email)
    _, answer = key_answer(client, key, rp_id="evil.example")
    assert send_key(client, answer).status_code == 200 and not is_verified(client)


def test_a_replayed_challenge_is_refused(client, client_factory, signed_in, alice):
    key = with_key(signed_in, alice)
    password_login(client, alice.email)
    _, answer = key_answer(client, key)
    assert send_key(client, answer).status_code == 302
    # Another browser replays the same signed answer (and this one too, after a new start).
    other = client_factory()
    password_login(other, alice.email)
    other.post(VERIFY, {"action": "key-options"})
    assert send_key(other, answer).status_code == 200 and not is_verified(other)
    assert send_key(other, answer).status_code == 200 and not is_verified(other)


def test_a_sign_counter_that_does_not_increase_is_refused(client, signed_in, alice):
    key = with_key(signed_in, alice)
    password_login(client, alice.email)
    _, answer = key_answer(client, key, sign_count=5)
    assert send_key(client, answer).status_code == 302
    client.post(reverse("account_logout"))
    password_login(client, alice.email)
    _, answer = key_answer(client, key, sign_count=5)  # a clone would repeat the counter
    assert send_key(client, answer).status_code == 200 and not is_verified(client)


def test_a_removed_key_no_longer_works(client, signed_in, alice):
    key = with_key(signed_in, alice)
    with_key(signed_in, alice, name="Autre")  # a second key keeps the key mode on
    password_login(client, alice.email)
    options, _ = key_answer(client, key)
    remover = signed_in(alice)
    reauthenticate(remover)
    device = WebAuthnCredential.objects.filter(user=alice).order_by("pk").first()
    remover.post(reverse("mfa_account:key-remove", args=[device.pk]))
    assert send_key(client, key.sign(options, origin=settings.OTP_WEBAUTHN_ALLOWED_ORIGINS[0]))
    assert not is_verified(client)


def test_another_users_key_does_not_sign_in(client, signed_in, alice):
    with_key(signed_in, alice)
    bob = make_user("bob4@example.fr")
    bobs_key = with_key(signed_in, bob)
    password_login(client, alice.email)
    _, answer = key_answer(client, bobs_key)
    assert send_key(client, answer).status_code == 200 and not is_verified(client)


def test_the_app_lock_is_temporary_shown_and_mailed(
    client, signed_in, alice, settings, mailoutbox, django_capture_on_commit_callbacks
):
    totp = with_app(signed_in, alice)
    settings.MFA_MAX_FAILURES = 3
    settings.MFA_THROTTLE_FACTOR = 0
    start = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(start, tick=False) as traveller:
        password_login(client, alice.email)
        wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
        app_code(client, wrong)
        app_code(client, wrong)
        with django_capture_on_commit_callbacks(execute=True):
            app_code(client, wrong)
        notice = mailoutbox[-1]
        assert notice.subject == (
            "[Chorus Pro] Sécurité : Votre application d'authentification est verrouillée"
        )
        assert "3 codes erronés" in notice.body
        page = client.get(VERIFY).content.decode()
        assert "La connexion avec l'application est verrouillée" in page
        assert app_code(client, totp.now()).status_code == 200  # even the right code
        traveller.move_to(start + timedelta(seconds=settings.MFA_LOCK_SECONDS + 31))
        assert "verrouillée" not in client.get(VERIFY).content.decode()
        assert app_code(client, totp.now()).status_code == 302
    assert is_verified(client)


def test_a_completed_password_reset_lifts_the_app_lock(client, signed_in, alice, settings):
    from accounts import hooks

    totp = with_app(signed_in, alice)
    settings.MFA_MAX_FAILURES = 3
    settings.MFA_THROTTLE_FACTOR = 0
    with later(120):
        password_login(client, alice.email)
        wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
        for _ in range(3):
            app_code(client, wrong)
        assert app_code(client, totp.now()).status_code == 200
        hooks.on_password_reset(user=alice)
        assert app_code(client, totp.now()).status_code == 302
    assert ActivityLog.objects.filter(
        action=Action.FACTOR_UNLOCKED, subject=alice, detail__factor="app"
    ).exists()


def test_past_the_hard_cap_the_app_stays_locked_until_a_reset(client, signed_in, alice, settings):
    totp = with_app(signed_in, alice)
    settings.MFA_MAX_FAILURES = 2
    settings.MFA_HARD_CAP = 4
    settings.MFA_THROTTLE_FACTOR = 0
    settings.MFA_LOCK_SECONDS = 60
    start = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(start, tick=False) as traveller:
        password_login(client, alice.email)
        wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
        app_code(client, wrong)
        app_code(client, wrong)  # the first lock: one minute
        traveller.move_to(start + timedelta(minutes=2))
        wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
        app_code(client, wrong)
        page = html.unescape(app_code(client, wrong).content.decode())
        assert "jusqu'à la réinitialisation du mot de passe" in page
        traveller.move_to(start + timedelta(minutes=50))
        page = html.unescape(app_code(client, totp.now()).content.decode())
        assert "jusqu'à la réinitialisation du mot de passe" in page
        assert not is_verified(client)
