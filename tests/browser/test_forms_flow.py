"""Forms in Chromium: ticks that survive a service search, changes announced, the focus after
an error and after a save, labels that name their field alone, and axe on these pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_axe_violations

pytestmark = pytest.mark.browser

USER = "user@demo.chorus-pro.local"
MANAGER = "manager@demo.chorus-pro.local"


def sign_in_as(page, portal, email: str, *, language: str = "fr") -> None:
    """Both factors passed, through a session made by the test client (the login flow itself
    is tested elsewhere): the session cookie handed to the browser."""
    from django.conf import settings
    from django.test import Client

    from accounts.models import User
    from tests.conftest import verify_session

    user = User.objects.get(email=email)
    user.language = language
    user.save(update_fields=["language"])
    client = Client()
    verify_session(client, user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": portal.url,
            }
        ]
    )


def live(page):
    return page.locator("#portal-live")


def focused_attribute(page, name: str):
    return page.evaluate(f"document.activeElement && document.activeElement.getAttribute('{name}')")


def test_ticks_survive_a_service_search_and_the_count_is_announced(portal, page):
    from affiliations.models import Request, Service, Structure

    public = Structure.objects.get(kind="public")
    first, other = Service.objects.filter(structure=public).order_by("code")[:2]
    sign_in_as(page, portal, USER)
    page.goto(f"{portal.url}/account/affiliations/request/?structure={public.pk}")
    assert_no_axe_violations(page)
    # The DSFR draws its own boxes: a person clicks the labels.
    page.locator("label", has_text="Certains services").click()
    page.locator("label", has_text=f"{first.code} — {first.name}").click()
    page.get_by_label("Rechercher un service").fill(other.code)
    page.evaluate("window.portalSamePage = true")
    page.get_by_role("button", name="Rechercher des services").click()
    # The count, announced; the list swapped in place (the page did not reload).
    expect(live(page)).to_have_text(
        f"1 service correspond à « {other.code} » "
        "1 service coché dans une autre recherche est conservé."
    )
    expect(page.get_by_label(f"{first.code} — {first.name}")).to_be_checked()
    assert focused_attribute(page, "name") == "search_services"
    assert page.evaluate("window.portalSamePage") is True  # swapped in place, not reloaded
    assert_no_axe_violations(page)
    page.locator("label", has_text=f"{other.code} — {other.name}").click()
    page.get_by_label("Commentaire").fill("Je travaille dans ces deux services.")
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("[data-message='success']")).to_be_focused()
    sent = Request.objects.get(requester__email=USER)
    assert set(sent.services.values_list("pk", flat=True)) == {first.pk, other.pk}


def test_the_service_search_without_javascript_keeps_the_ticks(portal, browser):
    from affiliations.models import Service, Structure

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    public = Structure.objects.get(kind="public")
    first, other = Service.objects.filter(structure=public).order_by("code")[:2]
    sign_in_as(page, portal, USER)
    page.goto(f"{portal.url}/account/affiliations/request/?structure={public.pk}")
    page.locator("label", has_text=f"{first.code} — {first.name}").click()
    page.get_by_label("Rechercher un service").fill(other.code)
    page.get_by_label("Rechercher un service").press("Enter")  # the form's first button
    expect(page.locator("[data-services-count]")).to_contain_text("1 service correspond")
    expect(page.get_by_label(f"{first.code} — {first.name}")).to_be_checked()
    expect(page.get_by_label(f"{other.code} — {other.name}")).not_to_be_checked()
    context.close()


def test_changes_of_the_profiles_table_are_announced(portal, page):
    from accounts.models import User
    from affiliations.models import Structure
    from authorizations.models import Authorization
    from tests.factories import attach

    hugo = User.objects.get(email=USER)
    public = Structure.objects.get(kind="public")
    affiliation = attach(hugo, public)
    Authorization.objects.create(
        user=hugo, structure=public, application="issued_invoices", level="consultation"
    )
    sign_in_as(page, portal, USER)
    page.goto(f"{portal.url}/account/authorizations/manage/?affiliation={affiliation.pk}&service=")
    page.get_by_label("Application", exact=True).select_option(label="Factures reçues")
    page.get_by_label("Niveau", exact=True).select_option(label="Consultation")
    page.get_by_role("button", name="Ajouter").click()
    expect(live(page)).to_have_text(
        "Profil ajouté : Factures reçues – Consultation. "
        "Soumettez pour enregistrer vos modifications."
    )
    page.get_by_role("button", name="Modifier Factures émises").click()
    page.get_by_label("Niveau pour Factures émises").select_option(label="Modification")
    expect(live(page)).to_have_text(
        "Niveau modifié : Factures émises – Modification. "
        "Soumettez pour enregistrer vos modifications."
    )
    page.get_by_role("button", name="Supprimer Factures reçues").click()
    expect(live(page)).to_have_text(
        "Profil retiré : Factures reçues – Consultation. "
        "Soumettez pour enregistrer vos modifications."
    )
    assert_no_axe_violations(page)


def test_focus_goes_to_the_error_summary_then_to_the_saved_message(portal, page):
    sign_in_as(page, portal, USER)
    page.goto(f"{portal.url}/account/edit/phone/")
    page.get_by_label("Téléphone").fill("12")
    page.get_by_role("button", name="Enregistrer").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(page).to_have_title("Erreur : Téléphone — Chorus Pro")
    # The summary's link leads to the field.
    summary.get_by_role("link").click()
    expect(page.get_by_label("Téléphone")).to_be_focused()
    assert page.get_by_label("Téléphone").get_attribute("aria-invalid") == "true"
    assert_no_axe_violations(page)
    page.get_by_label("Téléphone").fill("01 23 45 67 89")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("[data-message='success']")).to_be_focused()
    expect(live(page)).to_have_text("Vos informations ont été enregistrées.")


def test_a_window_shown_again_with_its_error_focuses_its_summary(portal, page):
    sign_in_as(page, portal, USER)
    page.goto(f"{portal.url}/account/")
    page.get_by_role("button", name="Modifier Nom", exact=True).click()
    window = page.locator("#modal-last-name")
    window.locator("#id_last_name").fill("")
    window.get_by_role("button", name="Enregistrer").click()
    expect(window.locator("[data-error-summary]")).to_be_focused()
    expect(window.locator("#id_last_name")).to_have_attribute("required", "")
    expect(window.locator("#id_last_name")).to_have_accessible_name("Nom")


@pytest.mark.parametrize(
    ("language", "label"), [("fr", "Mot de passe"), ("en", "Password")], ids=["fr", "en"]
)
def test_the_password_field_is_named_by_its_label_alone(portal, page, language, label):
    page.goto(f"{portal.url}/accounts/login/")
    if language == "en":
        page.get_by_role("button", name="English").click()
    # The name a screen reader says: the label alone (the * is hidden from it, and the
    # lost-password link follows the label instead of sitting in it).
    field = page.locator("#id_password")
    expect(field).to_have_accessible_name(label)
    email = "Courriel" if language == "fr" else "Email"
    expect(page.get_by_role("textbox", name=email, exact=True)).to_have_id("id_login")
    # A wrong password: the summary takes the focus, the title says there is an error.
    page.locator("#id_login").fill("personne@example.fr")
    field.fill("wrong")
    field.press("Enter")
    expect(page.locator("[data-error-summary]")).to_be_focused()
    expect(page).to_have_title(
        "Erreur : Connexion — Chorus Pro" if language == "fr" else "Error: Sign In — Chorus Pro"
    )
    assert_no_axe_violations(page)


def test_the_signup_rules_describe_the_password(portal, page):
    page.goto(f"{portal.url}/accounts/signup/")
    field = page.locator("#id_password1")
    expect(field).to_have_accessible_name("Mot de passe")
    expect(field).to_have_accessible_description(re.compile("12 caractères"))
    assert_no_axe_violations(page)
    page.locator("#id_email").fill("nouvelle@example.fr")
    page.locator("#id_first_name").fill("Anne")
    page.locator("#id_last_name").fill("Durand")
    field.fill("court")
    page.locator("#id_password2").fill("court")
    page.get_by_role("button", name="Création de compte").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    assert_no_axe_violations(page)


def test_lost_password_steps_pass_axe(portal, page):
    page.goto(f"{portal.url}/accounts/password/reset/")
    expect(page).to_have_title("Mot de passe oublié — Chorus Pro")
    page.locator("#id_email").fill("user@demo.chorus-pro.local")
    page.locator("#id_email").press("Enter")
    expect(page).to_have_title("Mot de passe oublié : courriel envoyé — Chorus Pro")
    assert_no_axe_violations(page)
