"""Change of login address and my active sessions in Chromium, in French and English."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from affiliations.management.commands.demo_data import DEMO_PASSWORD
from tests.browser.conftest import assert_no_axe_violations, open_menu_item, sign_in

pytestmark = pytest.mark.browser

USER = "user@demo.chorus-pro.local"
NEW = "hugo.bernard@nouvelle.example.fr"
LINK_RE = re.compile(r"https?://\S+/account/login-address/confirm/[A-Za-z0-9_-]+/")

TEXT = {
    "fr": {
        "code": "Code de sécurité",
        "menu": "Modifier mon adresse de connexion",
        "password": "Mot de passe actuel",
        "new": "Nouvelle adresse de connexion",
        "submit": "Valider",
        "sent": "Un lien de confirmation a été envoyé à",
        "cancel": "Annuler ce changement",
        "confirm": "Confirmer la nouvelle adresse de connexion",
        "done": "Votre adresse de connexion a été modifiée",
        "history": "Changement d'adresse de connexion",
        "account": "Mon compte",
        "sessions": "Mes sessions actives",
        "this": "Cette session",
        "end": "Mettre fin",
        "ended": "La session a pris fin.",
    },
    "en": {
        "code": "Security code",
        "menu": "Change my login address",
        "password": "Current password",
        "new": "New login address",
        "submit": "Submit",
        "sent": "A confirmation link has been sent to",
        "cancel": "Cancel this change",
        "confirm": "Confirm the new login address",
        "done": "Your login address has been changed",
        "history": "Change of login address",
        "account": "My account",
        "sessions": "My active sessions",
        "this": "This session",
        "end": "End",
        "ended": "The session has ended.",
    },
}


def _set_language(email: str, language: str) -> None:
    from accounts.models import User

    User.objects.filter(email=email).update(language=language)


def _new_page(browser, user_agent: str | None = None):
    context = browser.new_context(user_agent=user_agent) if user_agent else browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def _mail_text(page, base: str, to: str) -> str:
    """The newest mail to `to` on the development outbox page."""
    outbox = page.context.new_page()
    try:
        outbox.goto(f"{base}/dev/outbox/")
        return outbox.locator("article.portal-mail", has_text=to).first.locator("pre").inner_text()
    finally:
        outbox.close()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_change_of_login_address_by_the_mailed_link(portal, browser, page, language):
    base = portal.url
    words = TEXT[language]
    _set_language(USER, language)
    sign_in(page, base, USER, DEMO_PASSWORD, code_label=words["code"])
    # Another browser of the same person, signed out by the change.
    phone_context, phone = _new_page(browser)
    sign_in(phone, base, USER, DEMO_PASSWORD, code_label=words["code"])

    open_menu_item(page, "Hugo Bernard", words["menu"])
    expect(page).to_have_url(f"{base}/account/login-address/")
    expect(page.get_by_role("heading", level=1)).to_have_text(words["menu"])
    assert page.locator("html").get_attribute("lang") == language
    assert_no_axe_violations(page)
    # An injection attempt is refused on the page itself.
    page.get_by_label(words["password"]).fill(DEMO_PASSWORD)
    page.get_by_label(words["new"]).fill(f"{NEW}, other@example.fr")
    page.get_by_role("button", name=words["submit"]).click()
    expect(page.locator(".fr-message--error")).to_have_count(1)
    assert_no_axe_violations(page)
    page.get_by_label(words["password"]).fill(DEMO_PASSWORD)
    page.get_by_label(words["new"]).fill(NEW)
    page.get_by_role("button", name=words["submit"]).click()
    expect(page.locator(".fr-alert--success")).to_contain_text(f"{words['sent']} {NEW}")
    expect(page.locator("#pending-change")).to_contain_text(NEW)
    expect(page.get_by_role("button", name=words["cancel"])).to_be_visible()
    assert_no_axe_violations(page)

    # The link, read from the mail sent to the new address, copied into the address bar.
    link = LINK_RE.search(_mail_text(page, base, NEW)).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text(NEW)
    assert_no_axe_violations(page)
    page.get_by_role("button", name=words["confirm"]).click()
    expect(page.locator("#change-done")).to_contain_text(words["done"])
    assert_no_axe_violations(page)

    # This browser stays signed in; the other one is signed out.
    page.goto(f"{base}/account/")
    expect(page.locator("main")).to_contain_text(NEW)
    phone.goto(f"{base}/account/")
    expect(phone).to_have_url(re.compile(r"/accounts/login/"))
    phone_context.close()
    # The former address was told.
    assert NEW in _mail_text(page, base, USER)
    # History of my requests shows it.
    page.goto(f"{base}/account/requests/")
    expect(page.locator("tbody")).to_contain_text(words["history"])
    expect(page.locator("tbody")).to_contain_text(NEW)

    # Signing in: the former address fails, the new one works.
    page.locator("#account-menu > summary").click()
    page.locator("#account-menu button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.locator("#id_login").fill(USER)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator(".fr-alert--error, .fr-message--error").first).to_be_visible()
    sign_in(page, base, NEW, DEMO_PASSWORD, code_label=words["code"])
    page.goto(f"{base}/account/")
    expect(page.locator("main")).to_contain_text(NEW)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_my_active_sessions_end_the_other_one(portal, browser, language):
    base = portal.url
    words = TEXT[language]
    _set_language(USER, language)
    laptop_context, laptop = _new_page(
        browser,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
    )
    phone_context, phone = _new_page(
        browser,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    )
    sign_in(laptop, base, USER, DEMO_PASSWORD, code_label=words["code"])
    sign_in(phone, base, USER, DEMO_PASSWORD, code_label=words["code"])

    open_menu_item(laptop, "Hugo Bernard", words["account"])
    table = laptop.locator("#sessions-table")
    expect(laptop.get_by_role("heading", name=words["sessions"])).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(2)
    current = table.locator("tbody tr[aria-current=true]")
    expect(current).to_contain_text("Firefox 128")
    expect(current).to_contain_text(words["this"])
    other = table.locator("tbody tr", has_text="Mobile Safari 17")
    expect(other).to_contain_text("iOS 17")
    assert_no_axe_violations(laptop)
    other.get_by_role("button", name=re.compile(f"^{words['end']}")).click()
    expect(laptop.locator(".fr-alert--success")).to_contain_text(words["ended"])
    expect(table.locator("tbody tr")).to_have_count(1)
    assert_no_axe_violations(laptop)

    phone.goto(f"{base}/account/")
    expect(phone).to_have_url(re.compile(r"/accounts/login/"))
    laptop_context.close()
    phone_context.close()
