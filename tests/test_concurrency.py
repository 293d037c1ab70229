"""Check-then-act under concurrency: one code, ten simultaneous submissions, one success."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from activity.models import Action, ActivityLog
from tests.conftest import last_code, password_login

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite serialises every writer; row locks are exercised on PostgreSQL",
    ),
]


def test_ten_concurrent_submissions_of_one_code_give_one_success(alice, mailoutbox, settings):
    settings.MFA_THROTTLE_FACTOR = 0
    client = Client()
    password_login(client, alice.email)
    code = last_code(mailoutbox, alice.email)
    # Ten browsers sharing the session cookie submit the same code at once.
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    barrier = threading.Barrier(10)
    statuses = []

    def submit():
        try:
            other = Client()
            other.cookies[settings.SESSION_COOKIE_NAME] = cookie
            barrier.wait()
            response = other.post(reverse("mfa:verify"), {"code": code, "action": "verify"})
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses).count(302) == 1, statuses
    assert ActivityLog.objects.filter(action=Action.FACTOR_SUCCEEDED, subject=alice).count() == 1
