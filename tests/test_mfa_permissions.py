"""My multi-factor authentication: who reaches what, and naughty input never fails."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from tests.conftest import make_user, password_login
from tests.mfa_helpers import enrol_app, reauthenticate
from tests.test_fuzz import NAUGHTY

pytestmark = pytest.mark.django_db


def mfa_urls(device_id: int = 1, key_id: int = 1) -> list[str]:
    return [
        reverse("mfa_account:overview"),
        reverse("mfa_account:mode-edit"),
        reverse("mfa_account:password-change"),
        reverse("mfa_account:app-add"),
        reverse("mfa_account:app-remove", args=[device_id]),
        reverse("mfa_account:keys"),
        reverse("mfa_account:key-add"),
        reverse("mfa_account:key-options"),
        reverse("mfa_account:key-remove", args=[key_id]),
    ]


def test_a_password_only_session_reaches_none_of_the_pages(client, alice):
    device = TOTPDevice.objects.create(user=alice, name="T", confirmed=True)
    key = WebAuthnCredential.objects.create(
        user=alice, name="K", credential_id=b"k" * 16, public_key=b"p", aaguid="0" * 36
    )
    password_login(client, alice.email)
    payload = {
        "current_password": "Correct-Horse-42!battery",
        "new_password1": "Another-Secret-99!",
        "new_password2": "Another-Secret-99!",
        "default_mode": "email",
        "code": "123456",
        "name": "x",
    }
    for url in mfa_urls(device.pk, key.pk):
        for method in ("get", "post"):
            response = getattr(client, method)(url, payload)
            assert response.status_code == 302, (method, url)
            assert response.url.startswith(reverse("mfa:verify")), (method, url)
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert WebAuthnCredential.objects.filter(pk=key.pk).exists()
    alice.refresh_from_db()
    assert alice.check_password("Correct-Horse-42!battery")


def test_anonymous_visitors_are_sent_to_login(client, alice):
    for url in mfa_urls():
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 302 and "/accounts/login/" in response.url


def test_another_users_devices_are_404_even_after_re_authentication(signed_in, alice):
    bob = make_user("bob5@example.fr")
    bob_client = signed_in(bob)
    reauthenticate(bob_client)
    enrol_app(bob_client)
    bob_app = TOTPDevice.objects.get(user=bob)
    bob_key = WebAuthnCredential.objects.create(
        user=bob, name="K", credential_id=b"b" * 16, public_key=b"p", aaguid="0" * 36
    )
    client = signed_in(alice)
    reauthenticate(client)
    for url in (
        reverse("mfa_account:app-remove", args=[bob_app.pk]),
        reverse("mfa_account:key-remove", args=[bob_key.pk]),
    ):
        assert client.post(url).status_code == 404
    assert TOTPDevice.objects.filter(pk=bob_app.pk).exists()
    assert WebAuthnCredential.objects.filter(pk=bob_key.pk).exists()


def test_naughty_input_never_fails(signed_in, alice):
    client = signed_in(alice)
    reauthenticate(client)
    junk_credentials = [
        json.dumps({"id": "x", "rawId": "x", "type": "public-key", "response": {}}),
        json.dumps({"id": 1, "response": {"clientDataJSON": "!!", "attestationObject": "%%"}}),
        json.dumps({"response": {"clientDataJSON": "e30", "attestationObject": "oA"}}),
    ]
    cases = [
        (reverse("mfa_account:password-change"), ["current_password", "new_password1"]),
        (reverse("mfa_account:app-add"), ["code", "name"]),
        (reverse("mfa_account:mode-edit"), ["default_mode"]),
        (reverse("mfa_account:key-add"), ["name", "credential"]),
    ]
    for url, fields in cases:
        for value in NAUGHTY + junk_credentials:
            client.post(reverse("mfa_account:key-options"))
            response = client.post(url, {field: value for field in fields})
            assert response.status_code < 500, (url, value[:40], response.status_code)


def test_the_factor_step_modes_never_fail(client, alice):
    TOTPDevice.objects.create(user=alice, name="T", confirmed=True)
    WebAuthnCredential.objects.create(
        user=alice, name="K", credential_id=b"k" * 16, public_key=b"p", aaguid="0" * 36
    )
    password_login(client, alice.email)
    verify = reverse("mfa:verify")
    for mode in ("app", "key", "email"):
        client.post(verify, {"action": "mode", "mode": mode})
        for value in NAUGHTY + ['{"id": "x", "response": {}}', '{"rawId": "AAAA"}']:
            client.post(verify, {"action": "key-options"})
            for data in (
                {"action": "key", "credential": value},
                {"action": "verify", "code": value},
                {"action": "mode", "mode": value},
            ):
                response = client.post(verify, data)
                assert response.status_code < 500, (mode, data, response.status_code)
