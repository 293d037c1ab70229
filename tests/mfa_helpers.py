"""Helpers for the tests of My multi-factor authentication."""

from __future__ import annotations

import html
import re

import pyotp
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


def decode_qr(image) -> str:
    """What a phone reads: the QR code in a PIL image, decoded by ZXing."""
    import zxingcpp

    found = zxingcpp.read_barcodes(image.convert("L"))
    assert len(found) == 1, "no QR code, or several"
    return found[0].text


def read_qr_from_page(page: str) -> str:
    """Draw the page's SVG QR code as pixels (8 per module) and decode it."""
    from PIL import Image, ImageDraw

    modules = qr_modules(page)
    size = max(max(x for x, _ in modules), max(y for _, y in modules)) + 5
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y in modules:
        draw.rectangle([x * scale, y * scale, (x + 1) * scale - 1, (y + 1) * scale - 1], fill=0)
    return decode_qr(image)


def start_app_enrolment(client) -> pyotp.TOTP:
    """Open the page and scan the QR code like an authenticator app; it holds the printed URI."""
    page = client.get(APP_URL).content.decode()
    uri = read_qr_from_page(page)
    assert uri == otpauth_uri(page)
    return pyotp.parse_uri(uri)


def enrol_app(client, name: str = "Mon téléphone") -> pyotp.TOTP:
    totp = start_app_enrolment(client)
    response = client.post(APP_URL, {"code": totp.now(), "name": name})
    assert response.status_code == 302, response.content.decode()[:3000]
    return totp
