"""Profiles in Chromium: raise and add, the manager approves, the cross removes at once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from affiliations.management.commands.demo_data import DEMO_PASSWORD
from tests.browser.conftest import assert_no_axe_violations, open_menu_item, sign_in

pytestmark = pytest.mark.browser

USER = "user@demo.chorus-pro.local"
MANAGER = "manager@demo.chorus-pro.local"


@pytest.fixture
def hugo_in_public(portal):
    from accounts.models import User
    from affiliations.models import Structure
    from authorizations.models import Authorization
    from tests.factories import attach

    user = User.objects.get(email=USER)
    public = Structure.objects.get(kind="public")
    affiliation = attach(user, public)
    Authorization.objects.create(
        user=user, structure=public, application="issued_invoices", level="consultation"
    )
    return affiliation


def open_manage_form(page, base):
    page.get_by_role("link", name="Gérer mes habilitations").click()
    page.get_by_role("link", name=re.compile("^Choisir")).first.click()
    page.get_by_role("button", name="Afficher les profils").click()
    expect(page.get_by_role("heading", name="Profils sur toute la structure")).to_be_visible()


def test_raise_add_approve_and_delete(portal, page, browser, hugo_in_public):
    base = portal.url
    sign_in(page, base, USER, DEMO_PASSWORD)
    open_menu_item(page, "Hugo Bernard", "Mes habilitations")
    expect(page.locator("#authorizations-table")).to_contain_text("Factures émises – Consultation")
    assert_no_axe_violations(page)
    open_manage_form(page, base)
    assert_no_axe_violations(page)

    # In place (JavaScript): the pencil turns the level into a list, Add appends a line.
    page.get_by_role("button", name="Modifier Factures émises").click()
    page.get_by_label("Niveau pour Factures émises").select_option(label="Modification")
    page.get_by_label("Application", exact=True).select_option(label="Factures reçues")
    page.get_by_label("Niveau", exact=True).select_option(label="Consultation")
    page.get_by_role("button", name="Ajouter").click()
    expect(page.locator("tbody tr", has_text="Factures reçues")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(f"{base}/users/")
    expect(page.locator(".fr-alert--success")).to_contain_text("envoyés aux gestionnaires")
    # The pending request, with its lines, among "My pending requests".
    pending = page.locator("tr", has_text="Factures reçues – Consultation")
    expect(pending).to_contain_text("Factures émises – Modification")
    expect(pending).to_contain_text("En cours de validation")

    # The manager approves, in English.
    context = browser.new_context()
    manager = context.new_page()
    manager.set_default_timeout(10_000)
    sign_in(manager, base, MANAGER, DEMO_PASSWORD)
    manager.get_by_role("button", name="English").click()
    manager.locator("#users-area-link").click()
    row = manager.locator("tr", has_text="Received invoices – Consultation")
    expect(row).to_contain_text("Issued invoices – Modification")
    row.get_by_role("button", name=re.compile("^Approve")).click()
    expect(manager.locator(".fr-alert--success")).to_contain_text("1 request approved.")
    member_row = manager.locator("tr", has_text="Hugo Bernard").filter(has_text="Manage the")
    member_row.get_by_role("link", name=re.compile("^Manage the profiles")).click()
    manager.get_by_role("button", name="Show the profiles").click()
    assert_no_axe_violations(manager)
    context.close()

    # The user sees both; the cross removes one, at once.
    open_menu_item(page, "Hugo Bernard", "Mes habilitations")
    table = page.locator("#authorizations-table")
    expect(table).to_contain_text("Factures émises – Modification")
    expect(table).to_contain_text("Factures reçues – Consultation")
    open_manage_form(page, base)
    page.get_by_role("button", name="Supprimer Factures reçues").click()
    expect(page.locator("tbody tr", has_text="Factures reçues")).to_have_count(0)
    page.get_by_role("button", name="Valider").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("mises à jour")
    open_menu_item(page, "Hugo Bernard", "Mes habilitations")
    expect(page.locator("#authorizations-table")).not_to_contain_text("Factures reçues")


def test_without_javascript_and_with_the_keyboard_alone(portal, browser, hugo_in_public):
    base = portal.url
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, base, USER, DEMO_PASSWORD)
    page.goto(f"{base}/account/authorizations/")
    open_manage_form(page, base)
    # Each button posts the table back; the keyboard drives every step.
    page.get_by_label("Application", exact=True).focus()
    page.keyboard.press("End")  # the last application of the list
    page.get_by_role("button", name="Ajouter").focus()
    page.keyboard.press("Enter")
    expect(page.locator("tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Modifier Factures émises").focus()
    page.keyboard.press("Enter")
    select = page.get_by_label("Niveau pour Factures émises")
    select.focus()
    select.select_option("modification")
    page.get_by_role("button", name="Valider").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/users/")
    expect(page.locator(".fr-alert--success")).to_be_visible()
    page.goto(f"{base}/account/requests/")
    first = page.locator("tbody tr").first
    expect(first).to_contain_text("Factures émises – Modification")
    expect(first).to_contain_text("Raccordements – Consultation")
    context.close()
