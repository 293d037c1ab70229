from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from mfa.services import email_device_for

PASSWORD = "Correct-Horse-42!battery"
# The code is in the body only (a subject shows on lock screens).
CODE_RE = re.compile(r"code\D{0,40}?\b(\d{6})\b", re.IGNORECASE)


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
