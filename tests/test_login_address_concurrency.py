"""A login-address link under concurrency: ten confirmations at once, one change."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client

from activity.models import Action, ActivityLog
from tests.conftest import PASSWORD, make_user, verify_session
from tests.test_concurrency import _run_at_once

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite serialises every writer; row locks are exercised on PostgreSQL",
    ),
]

LINK_RE = re.compile(r"https?://[^/\s]+(/account/login-address/confirm/[^/\s]+/)")


def _ask(user, new_email, mailoutbox) -> str:
    client = Client()
    verify_session(client, user)
    client.post("/account/login-address/", {"current_password": PASSWORD, "new_email": new_email})
    mail = next(m for m in reversed(mailoutbox) if new_email in m.to)
    return LINK_RE.search(mail.body).group(1)


def _outcome(response) -> str:
    html = response.content.decode()
    for marker in ("change-done", "link-invalid", "change-taken"):
        if f'id="{marker}"' in html:
            return marker
    return f"status {response.status_code}"


def test_ten_concurrent_confirmations_of_one_link_give_one_change(alice, mailoutbox):
    link = _ask(alice, "alice.new@example.fr", mailoutbox)
    results = _run_at_once(10, lambda _: _outcome(Client().post(link)))
    assert sorted(results) == ["change-done"] + ["link-invalid"] * 9, results
    alice.refresh_from_db()
    assert alice.email == "alice.new@example.fr"
    assert ActivityLog.objects.filter(action=Action.LOGIN_ADDRESS_CHANGED).count() == 1
    assert (
        ActivityLog.objects.filter(
            action=Action.REQUEST_APPROVED, detail__kind="login_address"
        ).count()
        == 1
    )


def test_two_accounts_confirming_one_address_at_once_give_one_owner(alice, bob, mailoutbox):
    carol = make_user("carol@example.fr")
    links = [_ask(user, "shared@example.fr", mailoutbox) for user in (alice, bob, carol)]
    # Nobody owned the address when each asked: each mail carries a link.
    assert len(set(links)) == 3
    results = _run_at_once(3, lambda index: _outcome(Client().post(links[index])))
    assert sorted(results) == ["change-done", "change-taken", "change-taken"], results
    from accounts.models import User

    assert User.objects.filter(email="shared@example.fr").count() == 1
    assert ActivityLog.objects.filter(action=Action.LOGIN_ADDRESS_CHANGED).count() == 1
