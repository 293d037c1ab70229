"""One application code, ten simultaneous submissions: one success (PostgreSQL)."""

from __future__ import annotations

import base64
import threading
from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from activity.models import Action, ActivityLog
from mfa.models import FactorPreference, LoginMode
from tests.conftest import password_login

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite serialises every writer; row locks are exercised on PostgreSQL",
    ),
]


def test_ten_concurrent_submissions_of_one_app_code_give_one_success(alice, settings):
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY

    settings.MFA_THROTTLE_FACTOR = 0
    key = "3132333435363738393031323334353637383930"
    TOTPDevice.objects.create(user=alice, name="T", key=key, tolerance=1, confirmed=True)
    FactorPreference.objects.create(user=alice, default_mode=LoginMode.APP)
    totp = pyotp.TOTP(base64.b32encode(bytes.fromhex(key)).decode())
    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False):
        code = totp.now()
        client = Client()
        password_login(client, alice.email)
        original = SessionStore(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)
        data = original.load()
        keys = []
        for _ in range(10):
            copy = SessionStore()
            copy.update(data)
            copy.create()
            keys.append(copy.session_key)
        barrier = threading.Barrier(10)

        def submit(session_key):
            try:
                other = Client()
                other.cookies[settings.SESSION_COOKIE_NAME] = session_key
                barrier.wait()
                other.post(reverse("mfa:verify"), {"code": code, "action": "verify"})
            finally:
                connections.close_all()

        threads = [threading.Thread(target=submit, args=(k,)) for k in keys]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    successes = ActivityLog.objects.filter(
        action=Action.FACTOR_SUCCEEDED, subject=alice, detail__factor="app"
    )
    assert successes.count() == 1
    verified = [
        s
        for s in SessionStore.get_model_class().objects.all()
        if DEVICE_ID_SESSION_KEY in SessionStore().decode(s.session_data)
    ]
    assert len(verified) == 1
