"""My multi-factor authentication in Chromium: an application read from the QR code, a
security key on Chromium's virtual authenticator, the factor step in each mode, the
keyboard alone, axe-core on every page, French and English."""

from __future__ import annotations

import io
import time

import pyotp
import pytest
from playwright.sync_api import expect

from affiliations.management.commands.demo_data import DEMO_PASSWORD
from tests.browser.conftest import (
    assert_no_axe_violations,
    code_from_outbox,
    open_menu_item,
    sign_in,
)
from tests.mfa_helpers import decode_qr

pytestmark = pytest.mark.browser

USER = "user@demo.chorus-pro.local"


@pytest.fixture
def webauthn_portal(portal, settings):
    """Security keys answer for the live server's own origin (RP ID: localhost)."""
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [portal.url.replace("127.0.0.1", "localhost")]
    return portal


def base_url(portal) -> str:
    return portal.url.replace("127.0.0.1", "localhost")


def virtual_authenticator(page):
    """Chromium's built-in authenticator: CTAP2, internal, with user verification."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    answer = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, answer["authenticatorId"]


def password_step(page, base, email, password, *, language="fr"):
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/mfa/verify/**")


def reauthenticate(page, password=DEMO_PASSWORD):
    expect(page).to_have_url(__import__("re").compile(r"/accounts/reauthenticate/"))
    page.locator("#id_password").fill(password)
    page.locator("#id_password").press("Enter")


def log_out(page):
    if "/mfa/verify/" in page.url:  # the factor step has its own Log out button
        page.locator("main form[action$='/accounts/logout/'] button").click()
    else:
        page.locator("#account-menu > summary").click()
        page.locator("#account-menu button[type=submit]").click()
    page.wait_for_url("**/accounts/login/")


def mails_to(settings, email) -> int:
    return sum(1 for p in settings.OUTBOX_DIR.glob("*.eml") if email in p.read_text())


TEXT = {
    "fr": {
        "menu": "Mon authentification multifacteur",
        "tiles": [
            "Ajouter une application",
            "Changer votre mot de passe",
            "Ajouter une clé de sécurité",
        ],
        "code": "Code affiché par l'application",
        "name": "Donnez un nom à l'appareil mobile que vous utilisez",
        "add": "Ajouter l'application",
        "added": "Votre application a été ajoutée",
        "app": "Application d'authentification",
        "confirm": "Valider",
        "code_label": "Code de sécurité",
    },
    "en": {
        "menu": "My multi-factor authentication",
        "tiles": ["Adding an application", "Changing your password", "Adding a security key"],
        "code": "Code shown by the application",
        "name": "Give a name to the mobile device you use",
        "add": "Add application",
        "added": "Your application has been added",
        "app": "Authenticator application",
        "confirm": "Confirm",
        "code_label": "Security code",
    },
}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_add_an_application_by_its_qr_code_then_log_in_with_it(portal, page, settings, language):
    from accounts.models import User

    text = TEXT[language]
    base = portal.url
    User.objects.filter(email=USER).update(language=language)
    sign_in(page, base, USER, DEMO_PASSWORD, code_label=text["code_label"])
    open_menu_item(page, "Hugo Bernard", text["menu"])
    expect(page.get_by_role("heading", level=1)).to_have_text(text["menu"])
    tiles = page.locator("#mfa-options h2")
    expect(tiles).to_have_text(text["tiles"])
    boxes = [tiles.nth(i).bounding_box() for i in range(3)]
    assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]  # left to right
    assert_no_axe_violations(page)

    page.get_by_role("link", name=text["tiles"][0]).click()
    reauthenticate(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(text["tiles"][0])
    assert_no_axe_violations(page)
    # The phone scans the QR code shown on screen.
    from PIL import Image

    shot = page.locator("#qr-code svg").screenshot()
    uri = decode_qr(Image.open(io.BytesIO(shot)))
    totp = pyotp.parse_uri(uri)
    assert totp.issuer == "Chorus Pro" and uri.startswith("otpauth://totp/")
    page.get_by_label(text["code"]).fill(totp.now())
    page.get_by_label(text["name"]).fill("Mon Android")
    page.get_by_role("button", name=text["add"]).click()
    expect(page.locator(".portal-messages")).to_contain_text(text["added"])
    expect(page.locator("#mfa-summary")).to_contain_text("Mon Android")
    expect(page.get_by_label(text["app"])).to_be_checked()
    assert_no_axe_violations(page)
    page.goto(f"{base}/account/mfa/app/")
    expect(page.locator("#app-table")).to_contain_text("Mon Android")
    expect(page.locator("#qr-code")).to_have_count(0)
    assert_no_axe_violations(page)

    log_out(page)
    sent = mails_to(settings, USER)
    password_step(page, base, USER, DEMO_PASSWORD)
    assert mails_to(settings, USER) == sent  # no e-mail code in application mode
    expect(page.get_by_label(text["code"])).to_be_visible()
    assert_no_axe_violations(page)
    # The code typed at enrolment is spent: the phone's next one is accepted (±1 step).
    page.get_by_label(text["code"]).fill(totp.at(time.time() + 30))
    page.get_by_role("button", name=text["confirm"]).click()
    expect(page).to_have_url(f"{base}/")


def test_the_keyboard_alone_adds_an_application_and_uses_another_mode(portal, page, settings):
    base = portal.url
    sign_in(page, base, USER, DEMO_PASSWORD)
    page.goto(f"{base}/account/mfa/")
    page.get_by_role("link", name="Ajouter une application").focus()
    page.keyboard.press("Enter")
    page.locator("#id_password").focus()
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    uri = page.locator("#otpauth-link").get_attribute("href")
    totp = pyotp.parse_uri(uri)
    page.get_by_label("Code affiché par l'application").focus()
    page.keyboard.type(totp.now())
    page.keyboard.press("Tab")
    page.keyboard.type("Téléphone pro")
    page.keyboard.press("Enter")
    expect(page.locator("#mfa-summary")).to_contain_text("Téléphone pro")

    # The trash bin, confirmed in its window, with the keyboard.
    page.goto(f"{base}/account/mfa/app/")
    page.get_by_role("button", name="Supprimer Téléphone pro").focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    page.wait_for_timeout(300)
    assert_no_axe_violations(page)
    dialog.get_by_role("button", name="Supprimer", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.locator(".portal-messages")).to_contain_text("Votre application a été supprimée")
    expect(page.locator("#qr-code svg")).to_be_visible()  # a new QR code for a new app
    new_uri = page.locator("#otpauth-link").get_attribute("href")
    assert pyotp.parse_uri(new_uri).secret != totp.secret
    page.get_by_label("Code affiché par l'application").fill(pyotp.parse_uri(new_uri).now())
    page.get_by_label("Donnez un nom à l'appareil mobile que vous utilisez").fill("Nouveau")
    page.keyboard.press("Enter")
    expect(page.locator("#mfa-summary")).to_contain_text("Nouveau")

    # At login: "Use another connection mode" then e-mail, by keyboard.
    log_out(page)
    password_step(page, base, USER, DEMO_PASSWORD)
    page.get_by_role("link", name="Utiliser un autre mode de connexion").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Utiliser un autre mode de connexion")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Courriel").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Code de sécurité")).to_be_visible()
    code = code_from_outbox(page, base, USER)
    page.get_by_label("Code de sécurité").focus()
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/")


def test_add_a_key_log_in_with_it_and_remove_it_in_english(webauthn_portal, page, settings):
    base = base_url(webauthn_portal)
    virtual_authenticator(page)
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("button", name="English").click()
    from accounts.models import User

    User.objects.filter(email=USER).update(language="en")
    sign_in(page, base, USER, DEMO_PASSWORD, code_label="Security code")
    open_menu_item(page, "Hugo Bernard", "My multi-factor authentication")
    page.get_by_role("link", name="Adding a security key").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Adding a security key")
    assert_no_axe_violations(page)
    add = page.get_by_role("link", name="Add a new key")
    page_box, add_box = page.locator("main").bounding_box(), add.bounding_box()
    assert add_box["x"] > page_box["x"] + page_box["width"] / 2  # upper right
    add.click()
    reauthenticate(page)
    # The browser registers the key by itself, then the name is asked.
    name = page.get_by_label("Name of the key")
    expect(name).to_be_visible()
    assert_no_axe_violations(page)
    name.fill("Virtual key")
    page.get_by_role("button", name="Save the key").click()
    expect(page.locator("#keys-table")).to_contain_text("Virtual key")
    expect(page.locator("#keys-table")).to_contain_text("Never")
    assert_no_axe_violations(page)

    log_out(page)
    sent = mails_to(settings, USER)
    password_step(page, base, USER, DEMO_PASSWORD)
    # The key's prompt starts by itself: Chromium's authenticator answers it.
    expect(page).to_have_url(f"{base}/")
    assert mails_to(settings, USER) == sent
    page.goto(f"{base}/account/mfa/keys/")
    expect(page.locator("#keys-table tbody tr").first).not_to_contain_text("Never")

    # Remove it: the next login falls back on the e-mail code.
    page.get_by_role("button", name="Remove Virtual key").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_role("button", name="Remove", exact=True).click()
    reauthenticate(page)
    expect(page.locator("#keys-table")).to_contain_text("You have no security key yet.")
    log_out(page)
    sent = mails_to(settings, USER)
    password_step(page, base, USER, DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Security code")
    expect(page.get_by_role("link", name="Use another connection mode")).to_have_count(0)
    assert mails_to(settings, USER) == sent + 1


def test_the_key_mode_offers_a_retry_and_the_other_modes(webauthn_portal, page, settings):
    """Without a key answering, the step says so and keeps a retry button."""
    from django_otp_webauthn.models import WebAuthnCredential

    from accounts.models import User
    from mfa.models import FactorPreference

    base = base_url(webauthn_portal)
    hugo = User.objects.get(email=USER)
    WebAuthnCredential.objects.create(
        user=hugo, name="Absent", credential_id=b"a" * 16, public_key=b"p", aaguid="0" * 36
    )
    FactorPreference.objects.create(user=hugo, default_mode="key")
    settings.OTP_WEBAUTHN_TIMEOUT_SECONDS = 2  # the browser gives up quickly
    page.context.new_cdp_session(page).send("WebAuthn.enable", {"enableUI": False})  # no key
    password_step(page, base, USER, DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Clé de sécurité")
    status = page.locator("[data-webauthn-status]")
    expect(status).to_contain_text("Réessayez", timeout=15_000)
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Utiliser ma clé de sécurité").click()
    expect(status).to_contain_text("En attente")
    expect(status).to_contain_text("Réessayez", timeout=15_000)
    page.get_by_role("link", name="Utiliser un autre mode de connexion").click()
    page.get_by_role("button", name="Courriel").click()
    expect(page.get_by_label("Code de sécurité")).to_be_visible()
    page.get_by_label("Code de sécurité").fill(code_from_outbox(page, base, USER))
    page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(f"{base}/")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_new_page_passes_axe(portal, page, settings, language):
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp_webauthn.models import WebAuthnCredential

    from accounts.models import User
    from mfa.models import FactorPreference

    base = portal.url
    hugo = User.objects.get(email=USER)
    hugo.language = language
    hugo.save()
    sign_in(
        page,
        base,
        USER,
        DEMO_PASSWORD,
        code_label="Code de sécurité" if language == "fr" else "Security code",
    )
    page.goto(f"{base}/account/mfa/app/")
    reauthenticate(page)
    for path in ("/account/mfa/", "/account/mfa/password/", "/account/mfa/app/"):
        page.goto(f"{base}{path}")
        assert page.locator("html").get_attribute("lang") == language
        assert_no_axe_violations(page)
    # The checklist ticks itself as the person types.
    page.goto(f"{base}/account/mfa/password/")
    page.locator("#id_new_password1").fill("abcDEF")
    expect(page.locator("[data-rule=lower]")).to_have_class("portal-rule--met")
    expect(page.locator("[data-rule=digit]")).not_to_have_class("portal-rule--met")
    page.locator("#id_new_password1").fill("abcDEF123!xyz")
    expect(page.locator(".portal-rule--met")).to_have_count(5)
    assert_no_axe_violations(page)
    # A wrong current password is an announced error.
    page.locator("#id_current_password").fill("Not-my-password-1!")
    page.locator("#id_new_password2").fill("abcDEF123!xyz")
    page.locator("#id_new_password2").press("Enter")
    expect(page.locator("#id_current_password")).to_have_attribute("aria-invalid", "true")
    assert_no_axe_violations(page)

    device = TOTPDevice.objects.create(user=hugo, name="Téléphone", confirmed=True)
    key = WebAuthnCredential.objects.create(
        user=hugo, name="Clé", credential_id=b"c" * 16, public_key=b"p", aaguid="0" * 36
    )
    for path in (
        "/account/mfa/",
        "/account/mfa/app/",
        f"/account/mfa/app/{device.pk}/remove/",
        "/account/mfa/keys/",
        "/account/mfa/keys/add/",
        f"/account/mfa/keys/{key.pk}/remove/",
    ):
        page.goto(f"{base}{path}")
        assert_no_axe_violations(page)

    # The factor step in each mode (no key answers here: the prompt gives up after 2 s).
    settings.OTP_WEBAUTHN_TIMEOUT_SECONDS = 2
    page.context.new_cdp_session(page).send("WebAuthn.enable", {"enableUI": False})
    for mode in ("app", "key", "email"):
        FactorPreference.objects.update_or_create(user=hugo, defaults={"default_mode": mode})
        log_out(page)
        password_step(page, base, USER, DEMO_PASSWORD)
        if mode == "key":
            status = page.locator("[data-webauthn-status]")
            expect(status).to_contain_text("Try again" if language == "en" else "Réessayez")
        assert_no_axe_violations(page)
    other = (
        "Utiliser un autre mode de connexion" if language == "fr" else "Use another connection mode"
    )
    page.get_by_role("link", name=other).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(other)
    assert_no_axe_violations(page)


def test_everything_but_the_key_ceremony_works_without_javascript(portal, browser, settings):
    base = portal.url
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, base, USER, DEMO_PASSWORD)
    page.goto(f"{base}/account/mfa/")
    page.get_by_role("link", name="Ajouter une application").click()
    reauthenticate(page)
    totp = pyotp.parse_uri(page.locator("#otpauth-link").get_attribute("href"))
    page.get_by_label("Code affiché par l'application").fill(totp.now())
    page.get_by_label("Donnez un nom à l'appareil mobile que vous utilisez").fill("Sans JS")
    page.get_by_role("button", name="Ajouter l'application").click()
    expect(page.locator("#mfa-summary")).to_contain_text("Sans JS")
    # The default mode is a plain form.
    page.locator("label", has_text="Code par courriel").click()
    page.get_by_role("button", name="Enregistrer le mode par défaut").click()
    expect(page.get_by_label("Code par courriel")).to_be_checked()
    # The trash bin leads to a confirmation page.
    page.goto(f"{base}/account/mfa/app/")
    page.get_by_role("link", name="Supprimer Sans JS").click()
    page.get_by_role("button", name="Supprimer").click()
    expect(page.locator("#qr-code svg")).to_be_visible()
    # The password rules are a plain list; the server names the rule missed.
    page.goto(f"{base}/account/mfa/password/")
    expect(page.locator("[data-rule]")).to_have_count(5)
    page.get_by_label("Mot de passe actuel").fill(DEMO_PASSWORD)
    page.locator("#id_new_password1").fill("sans-majuscule-42!")
    page.get_by_label("Confirmez le nouveau mot de passe").fill("sans-majuscule-42!")
    page.get_by_role("button", name="Mettre à jour le mot de passe").click()
    expect(page.locator(".fr-message--error")).to_contain_text("majuscule")
    # Registering a key says it needs JavaScript.
    page.goto(f"{base}/account/mfa/keys/add/")
    expect(page.locator("main")).to_contain_text("nécessite JavaScript")
    context.close()
