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
    ]


@pytest.mark.parametrize("accessible", [False, True], ids=["normal", "accessible"])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_page_passes_axe(portal, page, language, accessible):
    from accounts.models import User
    from affiliations.models import Affiliation, Structure
    from tests.factories import attach, pending_request

    manager = User.objects.get(email=MANAGER)
    manager.language = language
    manager.accessibility_enabled = accessible
    manager.save()
    public = Structure.objects.get(kind="public")
    hugo = User.objects.get(email="user@demo.chorus-pro.local")
    member = attach(hugo, public)
    other = Structure.objects.filter(kind="private").exclude(affiliations__user=manager).first()
    req = pending_request(User.objects.get(email="staff@demo.chorus-pro.local"), public)
    ids = {
        "public": public.pk,
        "affiliation": Affiliation.objects.get(user=manager, structure=public).pk,
        "member": member.pk,
        "request": req.pk,
        "other": other.pk,
    }
    # The ways in, before signing in.
    page.goto(f"{portal.url}/accounts/login/")
    if language == "en":
        page.get_by_role("button", name="English").click()
    for path in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        page.goto(f"{portal.url}{path}")
        assert page.locator("html").get_attribute("lang") == language, path
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
        assert ("portal-accessible" in (page.locator("html").get_attribute("class") or "")) is (
            accessible
        ), path
        assert_no_axe_violations(page)
