"""Adding a security key: registration checked against the settings' RP ID and origins."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential

from activity.models import Action, ActivityLog
from mfa.models import FactorPreference, LoginMode
from tests.conftest import make_user
from tests.mfa_helpers import reauthenticate
from tests.webauthn_soft import SoftKey

pytestmark = pytest.mark.django_db

KEYS = reverse("mfa_account:keys")
ADD = reverse("mfa_account:key-add")
OPTIONS = reverse("mfa_account:key-options")


def origin() -> str:
    return settings.OTP_WEBAUTHN_ALLOWED_ORIGINS[0]


def register_key(client, key: SoftKey, name="Clé bleue", **changes):
    options = client.post(OPTIONS).json()
    answer = key.register(options, origin=changes.pop("origin", origin()), **changes)
    return client.post(ADD, {"name": name, "credential": json.dumps(answer)}), options


@pytest.fixture
def alice_client(signed_in, alice):
    client = signed_in(alice)
    reauthenticate(client)
    return client


def test_options_come_from_the_settings_not_the_host(alice_client, settings):
    options = alice_client.post(OPTIONS, HTTP_HOST="127.0.0.1").json()
    assert options["rp"] == {"id": settings.OTP_WEBAUTHN_RP_ID, "name": "Chorus Pro"}
    assert len(options["challenge"]) >= 11  # ≥ 64 bits, base64url


def test_options_need_a_recent_password(signed_in, alice):
    response = signed_in(alice).post(OPTIONS)
    assert response.status_code == 403


def test_a_key_is_registered_named_and_becomes_the_default(
    alice_client, alice, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response, _ = register_key(alice_client, SoftKey())
    assert response.status_code == 302 and response.url == KEYS
    device = WebAuthnCredential.objects.get(user=alice)
    assert device.name == "Clé bleue" and device.confirmed
    assert FactorPreference.objects.get(user=alice).default_mode == LoginMode.KEY
    assert ActivityLog.objects.filter(action=Action.KEY_ADDED, actor=alice).exists()
    assert "clé de sécurité a été ajoutée" in mailoutbox[-1].subject
    page = alice_client.get(KEYS).content.decode()
    assert "Clé bleue" in page and "Jamais" in page  # never used yet


def test_several_keys_are_allowed(alice_client, alice):
    register_key(alice_client, SoftKey(), name="Première")
    register_key(alice_client, SoftKey(), name="Seconde")
    assert WebAuthnCredential.objects.filter(user=alice).count() == 2


def test_a_wrong_origin_is_refused(alice_client, alice):
    response, _ = register_key(alice_client, SoftKey(), origin="https://evil.example")
    assert response.status_code == 200
    assert not WebAuthnCredential.objects.filter(user=alice).exists()


def test_a_wrong_rp_id_is_refused(alice_client, alice):
    response, _ = register_key(alice_client, SoftKey(), rp_id="evil.example")
    assert response.status_code == 200
    assert not WebAuthnCredential.objects.filter(user=alice).exists()


def test_a_replayed_registration_is_refused(alice_client, alice):
    key = SoftKey()
    options = alice_client.post(OPTIONS).json()
    answer = json.dumps(key.register(options, origin=origin()))
    assert alice_client.post(ADD, {"name": "A", "credential": answer}).status_code == 302
    WebAuthnCredential.objects.filter(user=alice).delete()
    # The same answer again: its challenge was used once and is gone.
    assert alice_client.post(ADD, {"name": "A", "credential": answer}).status_code == 200
    assert not WebAuthnCredential.objects.filter(user=alice).exists()


def test_adding_a_key_needs_a_recent_password(signed_in, alice):
    client = signed_in(alice)
    response = client.get(ADD)
    assert response.status_code == 302 and "/accounts/reauthenticate/" in response.url


def test_the_add_page_says_javascript_is_needed(alice_client):
    page = alice_client.get(ADD).content.decode()
    assert "data-webauthn-nojs" in page and "JavaScript" in page


def test_removing_a_key(alice_client, alice, mailoutbox, django_capture_on_commit_callbacks):
    register_key(alice_client, SoftKey())
    device = WebAuthnCredential.objects.get(user=alice)
    url = reverse("mfa_account:key-remove", args=[device.pk])
    assert alice_client.get(url).status_code == 200  # confirmation page
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_client.post(url).status_code == 302
    assert not WebAuthnCredential.objects.filter(user=alice).exists()
    assert FactorPreference.objects.get(user=alice).default_mode == LoginMode.EMAIL
    assert ActivityLog.objects.filter(action=Action.KEY_REMOVED, actor=alice).exists()
    assert "supprimée" in mailoutbox[-1].subject


def test_another_users_key_is_a_404_and_stays(signed_in, alice):
    bob = make_user("bob3@example.fr")
    bob_client = signed_in(bob)
    reauthenticate(bob_client)
    register_key(bob_client, SoftKey())
    bob_key = WebAuthnCredential.objects.get(user=bob)
    client = signed_in(alice)
    reauthenticate(client)
    url = reverse("mfa_account:key-remove", args=[bob_key.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert WebAuthnCredential.objects.filter(pk=bob_key.pk).exists()


def test_the_relying_party_comes_from_the_environment(monkeypatch):
    from tests.test_settings_and_headers import production_env, run_manage

    for name in ("WEBAUTHN_RP_ID", "WEBAUTHN_ORIGINS"):  # set for the test suite
        monkeypatch.delenv(name, raising=False)
    show = (
        "from django.conf import settings as s; "
        "print(s.OTP_WEBAUTHN_RP_ID, s.OTP_WEBAUTHN_ALLOWED_ORIGINS)"
    )
    default = run_manage("shell", "-c", show, **production_env())
    assert default.stdout.strip().splitlines()[-1] == (
        "portal.example.fr ['https://portal.example.fr']"
    )
    chosen = run_manage(
        "shell",
        "-c",
        show,
        **production_env(
            WEBAUTHN_RP_ID="chorus-pro.gouv.fr",
            WEBAUTHN_ORIGINS="https://chorus-pro.gouv.fr,https://portail.chorus-pro.gouv.fr",
        ),
    )
    assert chosen.stdout.strip().splitlines()[-1] == (
        "chorus-pro.gouv.fr ['https://chorus-pro.gouv.fr', 'https://portail.chorus-pro.gouv.fr']"
    )
