from __future__ import annotations

import pytest
from django.urls import reverse

from activity.models import Action, ActivityLog, AppendOnlyError
from activity.services import log_event
from tests.conftest import PASSWORD, full_login, last_code, password_login

pytestmark = pytest.mark.django_db


def actions_for(user):
    return list(
        ActivityLog.objects.filter(subject=user).order_by("id").values_list("action", flat=True)
    )


def test_a_full_login_and_logout_is_logged(client, alice, mailoutbox):
    full_login(client, mailoutbox, alice.email)
    client.post(reverse("account_logout"))
    assert actions_for(alice) == [
        Action.LOGIN_SUCCEEDED,
        Action.FACTOR_CODE_SENT,
        Action.FACTOR_SUCCEEDED,
        Action.LOGOUT,
    ]
    entry = ActivityLog.objects.get(subject=alice, action=Action.LOGIN_SUCCEEDED)
    assert entry.ip == "127.0.0.1"
    assert entry.actor == alice


def test_failures_are_logged_without_secrets(client, alice, mailoutbox, settings):
    settings.MFA_THROTTLE_FACTOR = 0
    client.post(reverse("account_login"), {"login": alice.email, "password": "Wrong-pass-123!"})
    password_login(client, alice.email)
    code = last_code(mailoutbox, alice.email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    client.post(reverse("mfa:verify"), {"code": wrong, "action": "verify"})
    assert Action.LOGIN_FAILED in actions_for(alice)
    assert Action.FACTOR_FAILED in actions_for(alice)
    dump = repr(list(ActivityLog.objects.values()))
    for secret in ("Wrong-pass-123!", PASSWORD, code, wrong):
        assert secret not in dump


def test_lockout_is_logged(client, alice, settings):
    for _ in range(6):
        client.post(reverse("account_login"), {"login": alice.email, "password": "Wrong-pass-1!"})
    assert Action.LOGIN_LOCKED in actions_for(alice)
    response = client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    assert response.status_code == 200  # still locked, even with the right password


def test_forwarded_for_cannot_reset_the_lockout(client, alice):
    for index in range(6):
        client.post(
            reverse("account_login"),
            {"login": alice.email, "password": "Wrong-pass-1!"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{index}",
        )
    response = client.post(
        reverse("account_login"),
        {"login": alice.email.upper(), "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert response.status_code == 200


def test_entries_cannot_be_changed_or_deleted(alice):
    entry = log_event(Action.LOGOUT, actor=alice)
    entry.action = Action.LOGIN_SUCCEEDED
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        ActivityLog.objects.filter(pk=entry.pk).update(action=Action.LOGIN_FAILED)
    with pytest.raises(AppendOnlyError):
        ActivityLog.objects.all().delete()


def test_newlines_are_escaped_and_secrets_dropped(alice):
    entry = log_event(
        Action.LOGOUT, actor=alice, note="a\nforged line", password="hunter2", code="123456"
    )
    assert entry.detail == {"note": "a\\nforged line"}
