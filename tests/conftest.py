from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from mfa.services import email_device_for

PASSWORD = "Correct-Horse-42!battery"
# The code is in the body only (a subject shows on lock screens).
CODE_RE = re.compile(r"code\D{0,40}?\b(\d{6})\b", re.IGNORECASE)


@pytest.fixture(autouse=True)
def mail_after_commit(monkeypatch):
    """Mails leave when the transaction that queued them commits, as in production.

    Django's TestCase keeps each test in a transaction that never commits, so
    `on_commit` callbacks would never run. Here a mail's delivery runs at once when
    only the test's own transaction is open (production's autocommit), and when the
    code's outermost `atomic()` block exits successfully otherwise; a block that
    rolls back drops its mails.
    """
    from django.db import transaction

    from chorus_portal import mail

    waiting: list[tuple[tuple, object]] = []
    original_exit = transaction.Atomic.__exit__

    def code_blocks(connection) -> list:
        return [b for b in connection.atomic_blocks if not getattr(b, "_from_testcase", False)]

    def after_commit(func) -> None:
        blocks = code_blocks(transaction.get_connection())
        if not blocks:
            func()
        else:
            waiting.append((tuple(blocks), func))

    def exit_block(self, exc_type, exc_value, traceback):
        connection = transaction.get_connection(self.using)
        blocks = code_blocks(connection)
        outermost = bool(blocks) and blocks[0] is self
        failed = exc_type is not None or connection.needs_rollback
        result = original_exit(self, exc_type, exc_value, traceback)
        if failed:
            waiting[:] = [(bs, f) for bs, f in waiting if not any(b is self for b in bs)]
        elif outermost:
            ready = [f for bs, f in waiting if bs[0] is self]
            waiting[:] = [(bs, f) for bs, f in waiting if bs[0] is not self]
            for func in ready:
                func()
        return result

    monkeypatch.setattr(mail, "_after_commit", after_commit)
    monkeypatch.setattr(transaction.Atomic, "__exit__", exit_block)
    yield waiting


def make_user(email: str, *, staff: bool = False, password: str = PASSWORD, **fields):
    from accounts.models import User

    user = User.objects.create_user(
        email=email, password=password, is_staff=staff, is_superuser=staff, **fields
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    email_device_for(user)
    return user


@pytest.fixture
def alice(db):
    return make_user("alice@example.fr", first_name="Alice", last_name="Martin")


@pytest.fixture
def bob(db):
    return make_user("bob@example.fr", first_name="Bob", last_name="Durand")


@pytest.fixture
def staff_user(db):
    return make_user("staff@example.fr", staff=True, first_name="Sam", last_name="Staff")


def password_login(client, email: str, password: str = PASSWORD):
    response = client.post(reverse("account_login"), {"login": email, "password": password})
    assert response.status_code == 302, response.content[:2000]
    return response


def last_code(mailoutbox, email: str) -> str:
    for message in reversed(mailoutbox):
        if email in message.to:
            match = CODE_RE.search(message.body)
            if match:
                return match.group(1)
    raise AssertionError(f"no code mailed to {email}")


def full_login(client, mailoutbox, email: str, password: str = PASSWORD):
    password_login(client, email, password)
    code = last_code(mailoutbox, email)
    response = client.post(reverse("mfa:verify"), {"code": code, "action": "verify"})
    assert response.status_code == 302, response.content[:2000]
    return response


@pytest.fixture
def password_only_client(client, alice):
    password_login(client, alice.email)
    return client


@pytest.fixture
def verified_client(client, alice, mailoutbox):
    full_login(client, mailoutbox, alice.email)
    return client


@pytest.fixture
def client_factory():
    from django.test import Client

    return Client


@pytest.fixture
def code_sequence(monkeypatch):
    """Deterministic, distinct codes: 100001, 200002, 300003, ..."""
    from mfa import services

    counter = {"n": 0}

    def fake_randbelow(limit):
        counter["n"] += 1
        return (counter["n"] * 100001) % limit

    monkeypatch.setattr(services.secrets, "randbelow", fake_randbelow)
    return counter


def verify_session(client, user) -> None:
    """Sign `user` in with both factors without going through the forms."""
    from django_otp import DEVICE_ID_SESSION_KEY

    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = email_device_for(user).persistent_id
    session.save()


@pytest.fixture
def signed_in(client_factory):
    """signed_in(user) -> a Client with both factors passed for `user`."""

    def make(user):
        client = client_factory()
        verify_session(client, user)
        return client

    return make
