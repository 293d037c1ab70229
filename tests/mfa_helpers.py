"""Helpers for the tests of My multi-factor authentication."""

from __future__ import annotations

import html
import re

import pyotp
import qrcode
from django.urls import reverse

from tests.conftest import PASSWORD

APP_URL = reverse("mfa_account:app-add")


def reauthenticate(client, password: str = PASSWORD):
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, response.content[:500]


def otpauth_uri(page: str) -> str:
    found = re.search(r'href="(otpauth://[^"]+)"', page)
    assert found, "no otpauth URI on the page"
    return html.unescape(found.group(1))


def qr_modules(page: str) -> set[tuple[int, int]]:
    """The dark modules drawn by the page's SVG QR code."""
    path = re.search(r'<svg class="portal-qr".*?<path d="([^"]+)"', page, re.S)
    assert path, "no QR code on the page"
    return {(int(x), int(y)) for x, y in re.findall(r"M(\d+),(\d+)h1v1h-1z", path.group(1))}


def expected_modules(uri: str) -> set[tuple[int, int]]:
    """What a QR encoder draws for `uri` (same error correction and border as the page)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(uri)
    code.make(fit=True)
    return {(x, y) for y, row in enumerate(code.get_matrix()) for x, dark in enumerate(row) if dark}


def start_app_enrolment(client) -> pyotp.TOTP:
    """Open the page, read the URI like an authenticator app would, check the QR code."""
    page = client.get(APP_URL).content.decode()
    uri = otpauth_uri(page)
    assert qr_modules(page) == expected_modules(uri)
    return pyotp.parse_uri(uri)


def enrol_app(client, name: str = "Mon téléphone") -> pyotp.TOTP:
    totp = start_app_enrolment(client)
    response = client.post(APP_URL, {"code": totp.now(), "name": name})
    assert response.status_code == 302, response.content.decode()[:3000]
    return totp
