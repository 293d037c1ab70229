"""A user asks to join two services; the manager approves; a second request is refused."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from affiliations.management.commands.demo_data import DEMO_PASSWORD
from tests.browser.conftest import assert_no_axe_violations, open_menu_item, sign_in

pytestmark = pytest.mark.browser

USER = "user@demo.chorus-pro.local"
MANAGER = "manager@demo.chorus-pro.local"


def test_request_approve_refuse_in_french_and_english(portal, page, browser):
    base = portal.url
    # --- The user, in French, asks for two services of the demo structure.
    sign_in(page, base, USER, DEMO_PASSWORD)
    open_menu_item(page, "Hugo Bernard", "Mes rattachements")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes rattachements")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Demander un rattachement").click()
    assert_no_axe_violations(page)
    page.get_by_label("Structure").fill("finances publiques occitanie")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_role("heading", name="1 structure trouvée")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("link", name=re.compile("^Choisir")).click()
    page.get_by_label("Rechercher un service").fill("SERV00")
    page.get_by_role("button", name="Rechercher des services").click()
    # The DSFR draws its own boxes: a person clicks the labels.
    page.locator("label", has_text="Certains services").click()
    page.locator("label", has_text="SERV001 — Achats").click()
    page.locator("label", has_text="SERV002 — Comptabilité").click()
    expect(page.get_by_role("radio", name="Certains services")).to_be_checked()
    expect(page.get_by_role("checkbox", name="SERV002 — Comptabilité")).to_be_checked()
    page.get_by_label("Commentaire").fill("Je gère les achats et la comptabilité.")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(f"{base}/users/")
    expect(page.locator(".fr-alert--success")).to_contain_text("demande de rattachement")
    assert_no_axe_violations(page)

    # --- The manager approves it from the Users area.
    manager_context = browser.new_context()
    manager = manager_context.new_page()
    sign_in(manager, base, MANAGER, DEMO_PASSWORD)
    expect(manager.locator("#users-area-link .portal-counter")).to_have_text("1")
    manager.locator("#users-area-link").click()
    row = manager.locator("tr", has_text="Hugo Bernard").filter(has_text="Achats")
    expect(row).to_contain_text("SERV002 — Comptabilité")
    assert_no_axe_violations(manager)
    row.get_by_role("button", name=re.compile("^Valider")).click()
    expect(manager.locator(".fr-alert--success")).to_contain_text("1 demande validée.")

    # --- The user sees the affiliation and the history.
    open_menu_item(page, "Hugo Bernard", "Mes rattachements")
    table = page.locator("#my-affiliations-table")
    expect(table).to_contain_text("Direction régionale des finances publiques")
    expect(table).to_contain_text("SERV001 — Achats")
    open_menu_item(page, "Hugo Bernard", "Historique de mes demandes")
    expect(page.locator("tbody tr").first).to_contain_text("Validée")
    expect(page.locator("tbody tr").first).to_contain_text("Claire Martin")
    assert_no_axe_violations(page)

    # --- In English: a second request, refused with a reason the user reads.
    page.get_by_role("button", name="English").click()
    page.goto(f"{base}/account/affiliations/request/")
    page.get_by_label("Structure").fill("ateliers durand")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("link", name=re.compile("^Choose")).click()
    page.get_by_label("Comment").fill("I also invoice for the workshop.")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("affiliation request")

    manager.get_by_role("button", name="English").click()
    manager.locator("#users-area-link").click()
    manager.locator("tr", has_text="Ateliers Durand").get_by_role(
        "link", name=re.compile("^Refuse")
    ).click()
    assert_no_axe_violations(manager)
    refuse_url = manager.url
    manager.get_by_role("button", name="Refuse the request").click()
    # An empty reason does not leave the page: the field is required.
    expect(manager.get_by_label("Reason for the refusal")).to_have_attribute("required", "")
    expect(manager).to_have_url(refuse_url)
    manager.get_by_label("Reason for the refusal").fill("Please ask your own company's manager.")
    manager.get_by_role("button", name="Refuse the request").click()
    expect(manager.locator(".fr-alert--success")).to_contain_text("1 request refused.")
    manager_context.close()

    page.goto(f"{base}/account/requests/?status=refused")
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("Refused")
    expect(row).to_contain_text("Please ask your own company's manager.")
    assert_no_axe_violations(page)

    page.goto(f"{base}/account/affiliations/detach/")
    assert_no_axe_violations(page)


def test_the_keyboard_alone_requests_an_affiliation(portal, page):
    base = portal.url
    sign_in(page, base, USER, DEMO_PASSWORD)
    page.goto(f"{base}/account/affiliations/request/")
    page.get_by_label("Structure").focus()
    page.keyboard.type("Éléonore")
    page.keyboard.press("Enter")
    link = page.get_by_role("link", name=re.compile("^Choisir"))
    link.focus()
    page.keyboard.press("Enter")
    page.get_by_label("Commentaire").focus()
    page.keyboard.type("Je suis le comptable de la société.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Valider")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/users/")
    expect(page.locator(".fr-alert--success")).to_be_visible()


def test_manager_pages_pass_axe(portal, page):
    from affiliations.models import Structure

    base = portal.url
    sign_in(page, base, MANAGER, DEMO_PASSWORD)
    public = Structure.objects.get(kind="public")
    page.goto(f"{base}/users/structures/{public.pk}/transfer/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Transférer le rôle de gestionnaire principal"
    )
    assert_no_axe_violations(page)
    page.goto(f"{base}/account/affiliations/detach/")
    page.get_by_role("link", name=re.compile("^Choisir")).first.click()
    expect(page.locator(".fr-alert--warning")).to_contain_text("gestionnaire principal")
    assert_no_axe_violations(page)
