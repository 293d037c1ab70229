"""A person signs in with the demo account in Chromium, French and English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from affiliations.management.commands.demo_data import DEMO_PASSWORD
from tests.browser.conftest import assert_no_axe_violations, code_from_outbox

pytestmark = pytest.mark.browser

DEMO_USER = "user@demo.chorus-pro.local"


def test_demo_user_logs_in_with_the_emailed_code(portal, page):
    base = portal.url
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/accounts/login/?next=/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert_no_axe_violations(page)

    page.get_by_label("Courriel").fill(DEMO_USER)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Connexion").click()

    expect(page).to_have_url(f"{base}/mfa/verify/?next=%2F")
    expect(page.get_by_role("heading", level=1)).to_have_text("Code de sécurité")
    assert_no_axe_violations(page)

    code = code_from_outbox(page, base, DEMO_USER)
    page.get_by_label("Code de sécurité").fill(code)
    page.get_by_role("button", name="Valider").click()

    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bienvenue, Hugo")
    assert_no_axe_violations(page)

    # The account menu opens under the user's name.
    page.locator("#account-menu > summary", has_text="Hugo Bernard").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()

    # FR → EN and back.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome, Hugo")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    page.locator("#account-menu > summary", has_text="Hugo Bernard").click()
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(f"{base}/accounts/login/")
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/accounts/login/?next=/")


def test_a_wrong_code_is_announced_and_the_keyboard_completes_the_step(portal, page):
    base = portal.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("button", name="English").click()
    page.get_by_label("Email").fill(DEMO_USER)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    # The language chosen on the login page stays after the password step (and
    # becomes the person's preference); the switch still works with the keyboard.
    expect(page.get_by_role("heading", level=1)).to_have_text("Security code")
    page.get_by_role("button", name="Français").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Code de sécurité")
    page.get_by_role("button", name="English").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Security code")

    code = code_from_outbox(page, base, DEMO_USER)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    page.get_by_label("Security code").focus()
    page.keyboard.type(wrong)
    page.keyboard.press("Enter")
    expect(page.locator(".fr-message--error")).to_contain_text("wrong or has expired")
    expect(page.get_by_label("Security code")).to_have_attribute("aria-invalid", "true")
    assert_no_axe_violations(page)

    # Throttling asks for a short wait after a failure.
    page.wait_for_timeout(1100)
    page.get_by_label("Security code").fill("")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/")
