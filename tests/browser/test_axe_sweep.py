"""Every page of the portal passes axe-core, in French and English, with and without the
accessible mode."""

from __future__ import annotations

import pytest

from affiliations.management.commands.demo_data import DEMO_PASSWORD
from tests.browser.conftest import assert_no_axe_violations, sign_in

pytestmark = pytest.mark.browser

MANAGER = "manager@demo.chorus-pro.local"


def pages(ids) -> list[str]:
    return [
        "/",
        "/account/",
        "/account/edit/address/",
        "/account/photo/",
        "/account/notifications/",
        "/account/affiliations/",
        "/account/affiliations/request/?q=structure",
        f"/account/affiliations/request/?structure={ids['public']}",
        "/account/affiliations/detach/",
        f"/account/affiliations/detach/?affiliation={ids['affiliation']}",
        "/account/authorizations/",
        f"/account/authorizations/manage/?affiliation={ids['affiliation']}&service=",
        "/account/requests/",
        "/account/login-address/",
        "/account/mfa/",
        "/account/mfa/password/",
        "/account/mfa/keys/",
        "/users/",
        f"/users/requests/{ids['request']}/refuse/",
        f"/users/structures/{ids['public']}/transfer/",
        f"/users/members/{ids['member']}/authorizations/?service=",
        f"/users/requests/{ids['decided']}/refuse/",  # already decided: says by whom
        *LEGAL,
        "/nowhere/",  # 404
        "/account/preferences/",  # 405 (a form's address opened directly)
        "/test-errors/403/",
        "/test-errors/400/",
        "/test-errors/500/",
    ]


# The State site's mandatory pages, linked from every footer.
LEGAL = ["/accessibilite/", "/mentions-legales/", "/donnees-personnelles/", "/gestion-des-cookies/"]


@pytest.mark.parametrize("accessible", [False, True], ids=["normal", "accessible"])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_page_passes_axe(portal, page, settings, language, accessible):
    from accounts.models import User
    from accounts.services import deactivate
    from affiliations.models import Affiliation, Structure
    from affiliations.workflow import decide
    from tests.conftest import make_user
    from tests.factories import attach, pending_request

    # The portal's URLs plus views that fail on purpose (400, 403, 500 pages).
    settings.ROOT_URLCONF = "tests.error_urls"

    manager = User.objects.get(email=MANAGER)
    manager.language = language
    manager.accessibility_enabled = accessible
    manager.save()
    public = Structure.objects.get(kind="public")
    hugo = User.objects.get(email="user@demo.chorus-pro.local")
    member = attach(hugo, public)
    other = Structure.objects.filter(kind="private").exclude(affiliations__user=manager).first()
    req = pending_request(User.objects.get(email="staff@demo.chorus-pro.local"), public)
    decided = pending_request(hugo, public, comment="Déjà traitée")
    decide(req=decided, by=manager, approve=False, reason="Hors périmètre")
    # The manager's own pending request: History of my requests shows its Cancel button.
    pending_request(manager, other)
    # A deactivated account of the public structure, for the inactive-account page.
    former = make_user("ancien@demo.chorus-pro.local", password=DEMO_PASSWORD, language=language)
    attach(former, public)
    deactivate(user=former, by=former)
    ids = {
        "public": public.pk,
        "affiliation": Affiliation.objects.get(user=manager, structure=public).pk,
        "member": member.pk,
        "request": req.pk,
        "other": other.pk,
        "decided": decided.pk,
    }
    # The ways in, before signing in.
    page.goto(f"{portal.url}/accounts/login/")
    if language == "en":
        page.get_by_role("button", name="English").click()
    for path in (
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/inactive/",  # the explanation alone
        *LEGAL,
        "/nowhere/",
        "/test-errors/500/",
    ):
        page.goto(f"{portal.url}{path}")
        assert page.locator("html").get_attribute("lang") == language, path
        assert_no_axe_violations(page)
    # A form sent with a stale token: the CSRF page.
    page.goto(f"{portal.url}/accounts/login/")
    page.context.clear_cookies(name=settings.CSRF_COOKIE_NAME)
    page.locator("#id_login").fill("personne@example.fr")
    page.locator("#id_password").fill("x")
    page.locator("#id_password").press("Enter")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == (
        "Formulaire expiré" if language == "fr" else "Form expired"
    )
    assert_no_axe_violations(page)
    # A deactivated account's password: the explanation and the one-step request.
    page.goto(f"{portal.url}/accounts/login/")
    page.locator("#id_login").fill(former.email)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/accounts/inactive/")
    assert page.locator("textarea#id_comment").count() == 1
    assert_no_axe_violations(page)
    sign_in(
        page,
        portal.url,
        MANAGER,
        DEMO_PASSWORD,
        code_label="Code de sécurité" if language == "fr" else "Security code",
    )
    for path in pages(ids):
        page.goto(f"{portal.url}{path}")
        assert page.locator("html").get_attribute("lang") == language, path
        # The 500 page is static: it reads neither the session nor the person's preferences.
        if path != "/test-errors/500/":
            classes = page.locator("html").get_attribute("class") or ""
            assert ("portal-accessible" in classes) is accessible, path
        assert_no_axe_violations(page)
