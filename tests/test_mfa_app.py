"""Adding an application: QR code, code from the app, one application at a time."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from activity.models import Action, ActivityLog
from mfa.factors import PENDING_TOTP_SESSION_KEY
from mfa.models import FactorPreference, LoginMode
from tests.conftest import make_user
from tests.mfa_helpers import (
    APP_URL,
    enrol_app,
    otpauth_uri,
    read_qr_from_page,
    reauthenticate,
    start_app_enrolment,
)

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("mfa_account:overview")


@pytest.fixture
def alice_client(signed_in, alice):
    client = signed_in(alice)
    reauthenticate(client)
    return client


def test_the_page_shows_the_three_options_left_to_right(signed_in, alice):
    page = signed_in(alice).get(OVERVIEW).content.decode()
    app = page.index("Ajouter une application")
    password = page.index("Changer votre mot de passe")
    key = page.index("Ajouter une clé de sécurité")
    assert app < password < key
    assert alice.email in page  # the address that receives the codes
    assert "Mode de connexion par défaut" in page


def test_the_menu_leads_to_the_page(signed_in, alice):
    page = signed_in(alice).get(reverse("home")).content.decode()
    assert f'href="{OVERVIEW}"' in page and "Mon authentification multifacteur" in page


def test_the_uri_is_read_by_authenticator_apps(alice_client, alice):
    uri = otpauth_uri(alice_client.get(APP_URL).content.decode())
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    assert unquote(parts.path) == f"/Chorus Pro:{alice.email}"
    query = parse_qs(parts.query)
    assert query["issuer"] == ["Chorus Pro"]
    assert query["algorithm"] == ["SHA1"] and query["digits"] == ["6"]
    assert query["period"] == ["30"]
    secret = query["secret"][0]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)  # 160 bits
    totp = pyotp.parse_uri(uri)
    assert totp.issuer == "Chorus Pro" and totp.interval == 30 and totp.digits == 6


def test_the_qr_code_holds_the_printed_uri(alice_client, alice):
    page = alice_client.get(APP_URL).content.decode()
    uri = read_qr_from_page(page)  # ZXing decodes the SVG's modules
    assert uri == otpauth_uri(page) and uri.startswith("otpauth://totp/Chorus%20Pro:")


def test_the_right_code_adds_the_app_and_makes_it_the_default(
    alice_client, alice, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enrol_app(alice_client, name="Pixel de Alice")
    device = TOTPDevice.objects.get(user=alice)
    assert device.confirmed and device.name == "Pixel de Alice"
    assert device.tolerance == 1 and device.step == 30 and device.digits == 6
    assert len(bytes.fromhex(device.key)) == 20
    assert FactorPreference.objects.get(user=alice).default_mode == LoginMode.APP
    assert ActivityLog.objects.filter(action=Action.APP_ADDED, actor=alice).exists()
    mail = mailoutbox[-1]
    assert mail.to == [alice.email]
    assert "application d'authentification" in mail.subject
    assert "Pixel de Alice" in mail.body and "mot de passe oublié" in mail.body.lower()
    assert PENDING_TOTP_SESSION_KEY not in alice_client.session


def test_a_wrong_code_saves_nothing_and_keeps_the_same_secret(alice_client, alice):
    totp = start_app_enrolment(alice_client)
    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    response = alice_client.post(APP_URL, {"code": wrong, "name": "Téléphone"})
    assert response.status_code == 200
    assert "Ce code est erroné" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert pyotp.parse_uri(otpauth_uri(response.content.decode())).secret == totp.secret
    # The person retries with the right code.
    assert alice_client.post(APP_URL, {"code": totp.now(), "name": "T"}).status_code == 302


@pytest.mark.parametrize("bad", [" 123456", "+123456", "12345", "1234567", "12 456", "١٢٣٤٥٦"])
def test_the_code_must_be_six_ascii_digits(alice_client, alice, bad):
    totp = start_app_enrolment(alice_client)
    if bad.strip().lstrip("+").isdigit() and len(bad.strip().lstrip("+")) == 6:
        bad = bad[0] + totp.now()[: len(bad) - 1]
    alice_client.post(APP_URL, {"code": bad, "name": "T"})
    assert not TOTPDevice.objects.filter(user=alice).exists()


def test_the_secret_never_appears_in_a_form_field_nor_after_enrolment(alice_client):
    page = alice_client.get(APP_URL).content.decode()
    secret = pyotp.parse_uri(otpauth_uri(page)).secret
    for field in re.findall(r"<input[^>]*>", page):
        assert secret not in field and secret.lower() not in field
    assert alice_client.post(APP_URL, {"code": pyotp.TOTP(secret).now(), "name": "T"}).status_code
    for url in (APP_URL, OVERVIEW):
        after = alice_client.get(url).content.decode()
        assert secret not in after and "otpauth://" not in after


def test_one_application_at_a_time(alice_client, alice):
    enrol_app(alice_client)
    page = alice_client.get(APP_URL).content.decode()
    assert "otpauth://" not in page and "portal-qr" not in page
    assert "Mon téléphone" in page
    # Even a forged POST with a valid code for a fresh secret adds nothing.
    session = alice_client.session
    session[PENDING_TOTP_SESSION_KEY] = "ab" * 20
    session.save()
    code = pyotp.TOTP(_b32("ab" * 20)).now()
    response = alice_client.post(APP_URL, {"code": code, "name": "Second"})
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=alice).count() == 1


def _b32(key_hex: str) -> str:
    import base64

    return base64.b32encode(bytes.fromhex(key_hex)).decode()


def test_trash_bin_then_a_new_application(
    alice_client, alice, mailoutbox, django_capture_on_commit_callbacks
):
    first = enrol_app(alice_client)
    device = TOTPDevice.objects.get(user=alice)
    confirm = alice_client.get(reverse("mfa_account:app-remove", args=[device.pk]))
    assert confirm.status_code == 200  # the confirmation page, without JavaScript
    assert TOTPDevice.objects.filter(user=alice).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("mfa_account:app-remove", args=[device.pk]))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert FactorPreference.objects.get(user=alice).default_mode == LoginMode.EMAIL
    assert ActivityLog.objects.filter(action=Action.APP_REMOVED, actor=alice).exists()
    assert "supprimée" in mailoutbox[-1].subject
    second = enrol_app(alice_client, name="Nouveau")
    assert second.secret != first.secret
    assert TOTPDevice.objects.get(user=alice).name == "Nouveau"


def test_the_app_page_asks_for_the_password_again(signed_in, alice):
    client = signed_in(alice)
    response = client.get(APP_URL)
    assert response.status_code == 302 and "/accounts/reauthenticate/" in response.url
    assert PENDING_TOTP_SESSION_KEY not in client.session


def test_another_users_app_is_a_404_and_stays(signed_in, alice):
    bob = make_user("bob2@example.fr")
    bob_device = TOTPDevice.objects.create(user=bob, name="Bob", confirmed=True)
    client = signed_in(alice)
    reauthenticate(client)
    url = reverse("mfa_account:app-remove", args=[bob_device.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert TOTPDevice.objects.filter(pk=bob_device.pk).exists()
