"""The dead ends of issue 12 in Chromium: error and legal pages at 1280, 390 and 320 px,
a deactivated person asking for reactivation, a request cancelled from the history."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from affiliations.management.commands.demo_data import DEMO_PASSWORD
from tests.browser.conftest import assert_no_axe_violations, sign_in

pytestmark = pytest.mark.browser

USER = "user@demo.chorus-pro.local"
MANAGER = "manager@demo.chorus-pro.local"
PAGES = [
    "/accessibilite/",
    "/mentions-legales/",
    "/donnees-personnelles/",
    "/gestion-des-cookies/",
    "/nowhere/",
    "/accounts/inactive/",
]
# Elements of the main content whose right edge passes the viewport (clipped or scrolling).
OVERFLOWING = """() => [...document.querySelectorAll('main *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .filter(e => !e.closest('.fr-sr-only'))
    .map(e => e.tagName + '.' + e.className)"""


@pytest.mark.parametrize("width", [1280, 390, 320])
def test_the_new_pages_fit_every_width(portal, page, width):
    page.set_viewport_size({"width": width, "height": 900})
    for path in PAGES:
        response = page.goto(f"{portal.url}{path}")
        assert response.status == (404 if path == "/nowhere/" else 200), path
        assert page.evaluate(OVERFLOWING) == [], (path, width)
        if path in ("/nowhere/", "/accounts/inactive/"):
            # A way out of the dead end, visible at every width.
            way_out = page.locator("main a[href='/'], main a[href='/accounts/login/']").first
            expect(way_out).to_be_visible()


def test_a_deactivated_person_asks_and_a_manager_reactivates(portal, page, browser):
    from accounts.models import User
    from accounts.services import deactivate
    from affiliations.models import Structure
    from tests.factories import attach

    hugo = User.objects.get(email=USER)
    attach(hugo, Structure.objects.get(kind="public"))  # Claire manages it
    deactivate(user=hugo, by=hugo)
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{portal.url}/accounts/login/")
    page.locator("#id_login").fill(USER)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/accounts/inactive/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre compte est désactivé")
    assert "Hugo" not in page.content() and USER not in page.content()
    assert page.evaluate(OVERFLOWING) == []
    page.get_by_label("Message aux gestionnaires (facultatif)").fill("Retour de congé.")
    page.get_by_role("button", name="Demander la réactivation de mon compte").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Votre demande a été envoyée")
    expect(page.get_by_role("button", name="Demander la réactivation de mon compte")).to_have_count(
        0
    )

    manager = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(manager, portal.url, MANAGER, DEMO_PASSWORD)
    manager.goto(f"{portal.url}/users/")
    row = manager.locator("tr", has_text="Réactivation de compte")
    expect(row).to_contain_text("Retour de congé.")
    row.get_by_role("button", name="Valider").click()
    expect(manager.locator(".fr-alert--success")).to_contain_text("1 demande validée.")
    hugo.refresh_from_db()
    assert hugo.is_active
    manager.context.close()
    sign_in(page, portal.url, USER, DEMO_PASSWORD)


def test_a_pending_request_is_cancelled_from_the_history(portal, page):
    from accounts.models import User
    from affiliations.models import Structure
    from tests.factories import pending_request

    hugo = User.objects.get(email=USER)
    structure = Structure.objects.filter(kind="private").first()
    req = pending_request(hugo, structure, comment="Pour la facturation")
    page.goto(f"{portal.url}/accounts/login/")
    page.get_by_role("button", name="English").click()
    sign_in(page, portal.url, USER, DEMO_PASSWORD, code_label="Security code")
    page.goto(f"{portal.url}/account/requests/")
    page.get_by_role("button", name="Cancel the request").click()
    expect(page.locator(".fr-alert--success")).to_contain_text(f"#{req.pk} has been cancelled")
    expect(page.get_by_role("button", name="Cancel the request")).to_have_count(0)
    expect(page.locator("table")).to_contain_text("Cancelled")
    assert_no_axe_violations(page)
    req.refresh_from_db()
    assert req.status == "cancelled"
