"""Staff reset a person's application and keys from the admin: logged and mailed."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from activity.models import Action, ActivityLog
from mfa.models import FactorPreference, LoginMode
from tests.conftest import full_login

pytestmark = pytest.mark.django_db


def test_staff_reset_the_app_and_keys(
    client, staff_user, alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    TOTPDevice.objects.create(user=alice, name="Téléphone", confirmed=True)
    WebAuthnCredential.objects.create(
        user=alice, name="Clé", credential_id=b"x" * 16, public_key=b"k", aaguid="0" * 36
    )
    FactorPreference.objects.create(user=alice, default_mode=LoginMode.APP)
    TOTPDevice.objects.create(user=bob, name="Bob", confirmed=True)
    full_login(client, mailoutbox, staff_user.email)
    page = client.get(reverse("admin:accounts_user_change", args=[alice.pk])).content.decode()
    assert "Téléphone" in page and "Clé" in page
    assert TOTPDevice.objects.get(user=alice).key not in page  # the secret is never shown
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "reset_factors", "_selected_action": [alice.pk]},
        )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert not WebAuthnCredential.objects.filter(user=alice).exists()
    assert FactorPreference.objects.get(user=alice).default_mode == LoginMode.EMAIL
    assert TOTPDevice.objects.filter(user=bob).exists()  # only the selected user
    assert ActivityLog.objects.filter(
        action=Action.FACTORS_RESET, subject=alice, actor=staff_user
    ).exists()
    notice = mailoutbox[-1]
    assert notice.to == [alice.email]
    assert "réinitialisées" in notice.subject and "support Chorus Pro" in notice.body
