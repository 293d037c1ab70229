"""My account in Chromium: small windows, no-JS pages, preferences, deactivation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from affiliations.management.commands.demo_data import DEMO_PASSWORD
from tests.browser.conftest import assert_no_axe_violations, open_menu_item, sign_in

pytestmark = pytest.mark.browser

USER = "user@demo.chorus-pro.local"
MANAGER = "manager@demo.chorus-pro.local"
GREEN = "rgb(24, 117, 60)"


def style(page, selector: str, prop: str, pseudo: str | None = None) -> str:
    return page.evaluate(
        "([s, p, ps]) => getComputedStyle(document.querySelector(s), ps).getPropertyValue(p)",
        [selector, prop, pseudo],
    )


def test_fields_open_in_a_window_with_their_errors(portal, page):
    base = portal.url
    sign_in(page, base, USER, DEMO_PASSWORD)
    open_menu_item(page, "Hugo Bernard", "Mon compte")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Modifier Téléphone").click()
    dialog = page.locator("#modal-phone")
    expect(dialog).to_be_visible()
    # The window fades in: check it once fully shown.
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('#modal-phone')).opacity === '1'"
    )
    page.wait_for_timeout(300)
    assert_no_axe_violations(page)
    dialog.get_by_label("Téléphone").fill("12")
    dialog.get_by_role("button", name="Enregistrer").click()
    expect(dialog.locator(".fr-message--error")).to_contain_text("numéro français")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Téléphone").fill("06 12 34 56 78")
    dialog.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#value-phone")).to_have_text("06 12 34 56 78")
    page.get_by_role("button", name="Modifier Biographie").click()
    page.locator("#modal-biography").get_by_label("Biographie").fill(
        "<b>Acheteur</b>\nDeuxième ligne"
    )
    page.locator("#modal-biography").get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#biography-text")).to_contain_text("<b>Acheteur</b>")
    expect(page.locator("#biography-text br")).to_have_count(1)
    # Notifications in their window.
    page.get_by_role("button", name="Paramétrer vos notifications").click()
    page.locator("#modal-notifications label", has_text="Engagements").click()
    page.locator("#modal-notifications").get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#notification-choices")).to_contain_text("Engagements")
    # The plain pages behind the windows (used without JavaScript) pass axe too.
    for path in ("/account/edit/last-name/", "/account/edit/address/", "/account/notifications/"):
        page.goto(f"{base}{path}")
        assert_no_axe_violations(page)


def test_without_javascript_each_field_is_a_plain_page(portal, browser):
    base = portal.url
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, base, USER, DEMO_PASSWORD)
    page.goto(f"{base}/account/")
    page.get_by_role("link", name="Modifier Nom").click()
    expect(page).to_have_url(f"{base}/account/edit/last-name/")
    page.get_by_label("Nom").fill("")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".fr-message--error")).to_contain_text("obligatoire")
    page.get_by_label("Nom").fill("Bernard-Lefèvre")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#value-last-name")).to_have_text("Bernard-Lefèvre")
    # Preferences apply at once with the Save button.
    page.locator("label[for=id_accessibility_enabled]").click()
    page.get_by_role("button", name="Enregistrer mes préférences").click()
    expect(page.locator("html")).to_have_class(re.compile("portal-accessible"))
    context.close()


def _preferences_saved(response) -> bool:
    """The background save of a preference has been answered (before any refresh)."""
    return response.request.method == "POST" and "/account/preferences/" in response.url


def test_preferences_accessible_mode_green_switch_and_language(portal, page):
    base = portal.url
    sign_in(page, base, USER, DEMO_PASSWORD)
    page.goto(f"{base}/account/")
    normal_size = style(page, "html", "font-size")
    assert style(page, "#footer a", "text-decoration-line") in {"none", "underline"}
    refresh = page.get_by_role("button", name="Actualiser pour voir les changements")
    expect(refresh).to_be_hidden()
    # The survey switch turns green when on.
    page.locator("label[for=id_survey_consent]").click()
    expect(refresh).to_be_visible()
    assert style(page, "label[for=id_survey_consent]", "background-color", "::before") == GREEN
    # Accessibility: saved at once, applied when the page is refreshed.
    with page.expect_response(_preferences_saved):
        page.locator("label[for=id_accessibility_enabled]").click()
    refresh.click()
    expect(page.locator("html")).to_have_class(re.compile("portal-accessible"))
    assert float(style(page, "html", "font-size")[:-2]) > float(normal_size[:-2])
    assert style(page, ".fr-link", "text-decoration-line") == "underline"
    assert style(page, ".fr-btn", "transition-duration") in {"0s", ""}
    page.locator("#id_language").focus()
    outline = page.evaluate(
        "() => getComputedStyle(document.activeElement).getPropertyValue('outline-width')"
    )
    assert outline == "3px"
    assert style(page, "label[for=id_survey_consent]", "background-color", "::before") == GREEN
    assert_no_axe_violations(page)
    # Language: English from the next page on.
    with page.expect_response(_preferences_saved):
        page.locator("#id_language").select_option("en")
    page.get_by_role("button", name="Actualiser pour voir les changements").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("My account")
    assert_no_axe_violations(page)
    page.goto(f"{base}/account/deactivate/")
    page.goto(f"{base}/account/photo/")
    assert_no_axe_violations(page)
    page.goto(f"{base}/account/notifications/")
    assert_no_axe_violations(page)
    # Back to the normal mode, in English.
    page.goto(f"{base}/account/")
    with page.expect_response(_preferences_saved):
        page.locator("label[for=id_accessibility_enabled]").click()
    page.get_by_role("button", name="Refresh to view changes").click()
    expect(page.locator("html")).not_to_have_class(re.compile("portal-accessible"))
    assert_no_axe_violations(page)


def test_deactivation_signs_out_every_browser_until_reactivated(portal, browser, page):
    base = portal.url
    sign_in(page, base, USER, DEMO_PASSWORD)
    from accounts.models import User
    from affiliations.models import Structure
    from tests.factories import attach

    attach(User.objects.get(email=USER), Structure.objects.get(kind="public"))
    other_context = browser.new_context()
    other = other_context.new_page()
    other.set_default_timeout(10_000)
    sign_in(other, base, USER, DEMO_PASSWORD)

    page.goto(f"{base}/account/")
    page.get_by_role("link", name="Désactiver mon compte").click()
    # Re-authentication first.
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_label("Mot de passe").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Désactiver/Réactiver un compte utilisateur"
    )
    assert_no_axe_violations(page)
    page.locator("label", has_text="Désactiver mon accès").click()
    page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(f"{base}/accounts/login/")
    expect(page.locator(".fr-alert--success")).to_contain_text("désactivé")

    other.goto(f"{base}/account/")
    expect(other).to_have_url(re.compile(r"/accounts/login/"))

    page.locator("#id_login").fill(USER)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page).not_to_have_url(re.compile(r"/mfa/verify/"))
    other_context.close()

    # The manager reactivates from the Users area.
    manager_context = browser.new_context()
    manager = manager_context.new_page()
    manager.set_default_timeout(10_000)
    sign_in(manager, base, MANAGER, DEMO_PASSWORD)
    manager.locator("#users-area-link").click()
    manager.get_by_role("button", name=re.compile("^Réactiver")).click()
    expect(manager.locator(".fr-alert--success")).to_contain_text("réactivé")
    manager_context.close()

    sign_in(page, base, USER, DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bienvenue")
    page.goto(f"{base}/account/requests/")
    expect(page.locator("tbody")).to_contain_text("Réactivation de compte")
    expect(page.locator("tbody")).to_contain_text("Désactivation de compte")


def test_the_main_manager_is_sent_to_the_transfer(portal, page):
    base = portal.url
    sign_in(page, base, MANAGER, DEMO_PASSWORD)
    page.goto(f"{base}/account/deactivate/")
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_label("Mot de passe").press("Enter")
    alert = page.locator(".fr-alert--warning")
    expect(alert).to_contain_text("gestionnaire principal")
    expect(page.get_by_role("button", name="Valider")).to_be_disabled()
    alert.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Transférer le rôle de gestionnaire principal"
    )


def test_photos_too_large_are_refused_on_the_portal_page(portal, page, settings, tmp_path):
    import io

    from PIL import Image

    settings.MEDIA_ROOT = tmp_path / "media"
    base = portal.url
    sign_in(page, base, USER, DEMO_PASSWORD)
    # A body of 6 MB: refused before it is read, with the page and its message.
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8\xff" + b"\0" * (6 * 1024 * 1024))
    page.goto(f"{base}/account/photo/")
    page.locator("#id_photo").set_input_files(big)
    with page.expect_response(f"{base}/account/photo/") as answer:
        page.get_by_role("button", name="Enregistrer la photo").click()
    assert answer.value.status == 413
    expect(page.get_by_role("heading", level=1)).to_have_text("Photo de profil")
    expect(page.locator("#id_photo-messages")).to_have_text("La photo dépasse 5 Mo.")
    assert_no_axe_violations(page)
    # A picture over 16 million pixels, in a small file.
    dense = tmp_path / "dense.png"
    buffer = io.BytesIO()
    Image.new("1", (4_100, 4_100), 1).save(buffer, format="PNG")
    dense.write_bytes(buffer.getvalue())
    page.locator("#id_photo").set_input_files(dense)
    page.get_by_role("button", name="Enregistrer la photo").click()
    expect(page.locator("#id_photo-messages")).to_have_text(
        "La photo comporte trop de pixels (16 millions au plus)."
    )
    # A good one is saved and shown on My account.
    good = tmp_path / "good.png"
    Image.new("RGB", (800, 600), "teal").save(good)
    page.locator("#id_photo").set_input_files(good)
    page.get_by_role("button", name="Enregistrer la photo").click()
    page.wait_for_url(f"{base}/account/")
    avatar = page.get_by_role("img", name="Votre photo de profil")
    expect(avatar).to_be_visible()
    assert page.evaluate("() => document.querySelector('img.portal-avatar').naturalWidth") == 256
