"""The page shell in a real browser: the header's menu on a phone, the account menu and
Escape, the breadcrumb under the header, the preferences' switches (green, with their
state written under them, named by their label alone) and the refresh button's label."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from affiliations.management.commands.demo_data import DEMO_PASSWORD
from tests.browser.conftest import sign_in
from tests.portal_pages import MANAGER

pytestmark = pytest.mark.browser

GREEN = "rgb(24, 117, 60)"


def ax_nodes(page, *roles: str) -> dict[str, dict]:
    """Chromium's own accessibility tree: the nodes of a role, by name."""
    cdp = page.context.new_cdp_session(page)
    try:
        tree = cdp.send("Accessibility.getFullAXTree")
    finally:
        cdp.detach()
    return {
        node.get("name", {}).get("value", ""): node
        for node in tree["nodes"]
        if node.get("role", {}).get("value") in roles and not node.get("ignored")
    }


def test_the_header_menu_on_a_phone(portal, page):
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, portal.url, MANAGER, DEMO_PASSWORD)
    page.goto(f"{portal.url}/account/")
    button = page.locator("#header-menu-button")
    menu = page.locator("#header-menu")
    expect(page.locator(".portal-tools")).to_be_hidden()
    expect(button).to_be_visible()
    expect(menu).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    # The "Account menu" skip link leads to the menu button, the account menu being hidden.
    skip = page.get_by_role("link", name="Menu du compte")
    skip.focus()
    page.keyboard.press("Enter")
    expect(button).to_be_focused()

    button.click()
    expect(menu).to_be_visible()
    for name in ("Espace utilisateurs", "Mon compte", "Mes rattachements", "Mes habilitations"):
        expect(menu.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(menu.get_by_role("button", name="Se déconnecter")).to_be_visible()
    expect(menu.get_by_role("button", name="English")).to_be_visible()
    # Closed by its button, the focus back on the menu button…
    menu.get_by_role("button", name="Fermer").click()
    expect(menu).to_be_hidden()
    expect(button).to_be_focused()
    # … and by Escape.
    button.click()
    expect(menu).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    # Its links lead to their pages.
    button.click()
    menu.get_by_role("link", name="Mes habilitations").click()
    page.wait_for_url("**/account/authorizations/")
    # The breadcrumb folds behind a button on a phone, as the DSFR draws it.
    crumb_button = page.locator(".fr-breadcrumb__button")
    expect(crumb_button).to_be_visible()
    crumb_button.click()
    expect(page.locator(".fr-breadcrumb__list a[aria-current=page]")).to_have_text(
        "Mes habilitations"
    )


def test_the_account_menu_closes_with_escape_and_gives_the_focus_back(portal, page):
    sign_in(page, portal.url, MANAGER, DEMO_PASSWORD)
    page.goto(f"{portal.url}/account/affiliations/")
    menu = page.locator("#account-menu")
    summary = menu.locator("> summary")
    summary.click()
    expect(menu).to_have_attribute("open", "")
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="Mon compte")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(summary).to_be_focused()
    # A click elsewhere closes it too.
    summary.click()
    expect(menu).to_have_attribute("open", "")
    page.locator("h1").click()
    expect(menu).not_to_have_attribute("open", "")


@pytest.mark.parametrize(
    ("path", "trail"),
    [
        ("/account/", ["Accueil", "Mon compte"]),
        ("/account/affiliations/detach/", ["Accueil", "Mes rattachements", "Me détacher"]),
        (
            "/account/mfa/keys/add/",
            [
                "Accueil",
                "Mon authentification multifacteur",
                "Ajouter une clé de sécurité",
                "Ajouter une nouvelle clé",
            ],
        ),
        ("/users/", ["Accueil", "Espace utilisateurs"]),
        ("/plan-du-site/", ["Accueil", "Plan du site"]),
    ],
)
def test_the_breadcrumb_sits_under_the_header(portal, page, path, trail):
    sign_in(page, portal.url, MANAGER, DEMO_PASSWORD)
    page.goto(f"{portal.url}{path}")
    if "/accounts/reauthenticate/" in page.url:  # adding a key asks for the password first
        page.locator("#id_password").fill(DEMO_PASSWORD)
        page.locator("#id_password").press("Enter")
        page.wait_for_url(f"**{path}")
    crumb = page.locator("main nav.fr-breadcrumb")
    expect(crumb).to_be_visible()
    expect(crumb.locator("li")).to_have_text(trail)
    expect(crumb.locator("[aria-current=page]")).to_have_text(trail[-1])
    header = page.locator("header").bounding_box()
    account_menu = page.locator("#account-menu").bounding_box()
    box = crumb.bounding_box()
    assert box["y"] >= header["y"] + header["height"]
    assert box["y"] > account_menu["y"] + account_menu["height"]
    # Above the page's heading, and its links lead up the trail.
    assert box["y"] < page.locator("h1").bounding_box()["y"]
    crumb.get_by_role("link", name=trail[-2], exact=True).click()
    page.wait_for_load_state()
    assert page.locator("h1").count() == 1


def _switch(page, input_id: str) -> tuple[str, str, str]:
    return tuple(
        page.evaluate(
            """(id) => {
              const label = document.querySelector(`label[for=${id}]`);
              const style = getComputedStyle(label, "::before");
              return [style.backgroundColor, style.content, style.color];
            }""",
            input_id,
        )
    )


WORDS = {
    "fr": {
        "on": "Activé",
        "off": "Désactivé",
        "accessibility": "Accessibilité activée",
        "survey": "J'accepte que l'AIFE m'envoie des enquêtes de satisfaction",
        "no photo": "Pas de photo",
        "refresh": "Actualiser pour voir les changements",
        "code": "Code de sécurité",
    },
    "en": {
        "on": "Enabled",
        "off": "Disabled",
        "accessibility": "Accessibility enabled",
        "survey": "I agree that the AIFE may send me satisfaction surveys",
        "no photo": "No photo",
        "refresh": "Refresh to view changes",
        "code": "Security code",
    },
}


@pytest.mark.parametrize("accessible", [False, True], ids=["normal", "accessible"])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_preferences_switches_turn_green_and_say_their_state(
    portal, page, language, accessible
):
    from accounts.models import User

    words = WORDS[language]
    User.objects.filter(email=MANAGER).update(
        accessibility_enabled=accessible, survey_consent=False, language=language
    )
    sign_in(page, portal.url, MANAGER, DEMO_PASSWORD, code_label=words["code"])
    page.goto(f"{portal.url}/account/")
    classes = page.locator("html").get_attribute("class") or ""
    assert ("portal-accessible" in classes) is accessible

    # Off: the DSFR's outline, "Disabled" written under it.
    background, content, _ = _switch(page, "id_survey_consent")
    assert background != GREEN
    assert content.startswith(f'"{words["off"]}"')
    if accessible:
        background, content, colour = _switch(page, "id_accessibility_enabled")
        assert (background, colour) == (GREEN, GREEN)
        assert content.startswith(f'"{words["on"]}"')

    # Each switch is named by its label alone; its state is the checkbox's own.
    boxes = ax_nodes(page, "checkbox")
    assert set(boxes) >= {words["accessibility"], words["survey"]}
    checked = {
        prop["name"]: prop.get("value", {}).get("value")
        for prop in boxes[words["accessibility"]].get("properties", [])
    }.get("checked")
    assert checked == ("true" if accessible else "false")
    # The initials stand in for the photo, as an image named for it.
    assert words["no photo"] in ax_nodes(page, "img", "image")

    # On: green, "Activé"; the choice is saved at once and the refresh button shows
    # its whole label.
    page.locator("label[for=id_survey_consent]").click()
    expect(page.locator("#id_survey_consent")).to_be_checked()
    background, content, colour = _switch(page, "id_survey_consent")
    assert (background, colour) == (GREEN, GREEN)
    assert content.startswith(f'"{words["on"]}"')
    refresh = page.locator("[data-refresh]")
    expect(refresh).to_be_visible()
    for width in (1280, 390, 320):
        page.set_viewport_size({"width": width, "height": 900})
        expect(refresh).to_have_text(words["refresh"])
        scroll_width, client_width = refresh.evaluate("(b) => [b.scrollWidth, b.clientWidth]")
        assert scroll_width <= client_width, width
        assert refresh.bounding_box()["width"] > 200, width
    assert User.objects.get(email=MANAGER).survey_consent is True
    refresh.click()
    page.wait_for_load_state()
    expect(page.locator("#id_survey_consent")).to_be_checked()
    assert _switch(page, "id_survey_consent")[0] == GREEN
