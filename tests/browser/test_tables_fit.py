"""The portal's tables and lists fit the screen: every column visible at 1280 px, nothing
cut at 390 or 320 px, no page wider than the window (issue 12, items 1, 2, 17, 18).

A manager with long names, long comments and a long refusal reason visits every page
that lists rows, in French and English, at 1280, 390 and 320 px wide.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from affiliations.management.commands.demo_data import DEMO_PASSWORD
from tests.browser.conftest import assert_no_axe_violations, sign_in

pytestmark = pytest.mark.browser

MANAGER = "manager@demo.chorus-pro.local"
WIDTHS = (1280, 390, 320)
CODE_LABEL = {"fr": "Code de sécurité", "en": "Security code"}

LONG_COMMENT = (
    "Je rejoins la direction des achats au 1er décembre pour suivre les factures des "
    "marchés de fournitures, de travaux et de prestations intellectuelles du service."
)
LONG_REASON = (
    "Votre demande ne peut pas être acceptée : la personne qui suit ce marché est déjà "
    "rattachée, adressez-vous au gestionnaire de la direction régionale concernée."
)

# What goes past the window: the cells of the tables (and what they hold), and the page.
MEASURE = """() => {
  const width = window.innerWidth;
  const seen = [...document.querySelectorAll(
    "main .fr-table td, main .fr-table th, main .fr-table td *, main .fr-pagination *")]
    .filter((e) => { const r = e.getBoundingClientRect(); return r.width > 1 && r.height > 1; });
  const past = seen.filter((e) => {
    const r = e.getBoundingClientRect();
    return r.right > width + 0.5 || r.left < -0.5;
  }).map((e) => `${e.tagName} ${Math.round(e.getBoundingClientRect().right)}: `
                + e.textContent.trim().slice(0, 50));
  const main = document.querySelector("main");
  const outside = (e) => !e.closest("header");
  const beyond = [...document.querySelectorAll("body *")].filter(outside).filter((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > width + 0.5;
  }).map((e) => `${e.tagName}.${e.className}`);
  const header = document.querySelector("header");
  return {
    beyond,
    headerFits: header.scrollWidth <= width && [...header.querySelectorAll("*")].every(
      (e) => e.getBoundingClientRect().right <= width + 0.5),
    cells: document.querySelectorAll("main .fr-table td").length,
    past,
    page: document.documentElement.scrollWidth,
    main: main.scrollWidth,
    mainBox: main.clientWidth,
    width,
  };
}"""


def _setup(language: str, *, accessible: bool = False) -> dict:
    from accounts.models import User
    from affiliations.models import Role, Structure
    from affiliations.workflow import decide
    from authorizations.models import Authorization
    from tests.conftest import make_user
    from tests.factories import attach, pending_request

    manager = User.objects.get(email=MANAGER)
    manager.language = language
    manager.accessibility_enabled = accessible  # larger text: the tables still fit
    manager.save()
    public = Structure.objects.get(kind="public")
    services = list(public.services.order_by("code")[:4])
    people = [
        make_user(
            f"jean-baptiste.maximilien.{i}.delatourdauvergne@economie-finances.gouv.fr",
            first_name="Jean-Baptiste Maximilien",
            last_name=f"de La Tour d'Auvergne-Lauraguais {i}",
        )
        for i in range(3)
    ]
    reqs = [pending_request(p, public, services=services, comment=LONG_COMMENT) for p in people]
    for person in people[:2]:
        attach(person, public, services=services)
    hugo = User.objects.get(email="user@demo.chorus-pro.local")
    member = attach(hugo, public)
    for app in ("issued_invoices", "received_invoices", "commitments", "organisation"):
        Authorization.objects.create(
            user=hugo, structure=public, application=app, level="modification"
        )
        Authorization.objects.create(
            user=manager, structure=public, application=app, level="consultation"
        )
    Authorization.objects.create(
        user=manager,
        structure=public,
        service=services[0],
        application="works_invoices",
        level="modification",
    )
    others = Structure.objects.filter(kind="private").exclude(
        affiliations__user=manager, affiliations__role=Role.MAIN_MANAGER
    )
    staff = User.objects.get(email="staff@demo.chorus-pro.local")
    refused = pending_request(manager, others[0], comment=LONG_COMMENT)
    decide(req=refused, by=staff, approve=False, reason=LONG_REASON)
    pending_request(manager, others[0], comment=LONG_COMMENT)
    return {"public": public.pk, "request": reqs[0].pk, "member": member.pk}


def _pages(ids: dict) -> list[str]:
    return [
        "/account/affiliations/",
        "/account/authorizations/",
        "/account/requests/",
        "/users/",
        "/account/affiliations/detach/",
        "/account/authorizations/manage/",
        f"/users/structures/{ids['public']}/transfer/",
        f"/users/requests/{ids['request']}/refuse/",
        f"/users/members/{ids['member']}/authorizations/?service=",
    ]


def _fits(page, where: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        found = page.evaluate(MEASURE)
        # Every page here has a table but the transfer's list of members (radio buttons).
        assert found["cells"] or "/transfer/" in where, where
        assert not found["past"], (where, width, found["past"])
        # Nothing but the header (its own fix is elsewhere) is wider than the window:
        # the tables' screen-reader-only texts stay inside their container.
        assert not found["beyond"], (where, width, found["beyond"])
        assert found["main"] <= found["mainBox"], (where, width, found)
        # The page itself is no wider than the window wherever the header fits.
        if found["headerFits"] or width == 1280:
            assert found["page"] <= found["width"], (where, width, found)


@pytest.mark.parametrize(
    ("language", "accessible"), [("fr", False), ("en", True)], ids=["fr", "en-accessible"]
)
def test_tables_fit_every_width(portal, page, language, accessible):
    ids = _setup(language, accessible=accessible)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, portal.url, MANAGER, DEMO_PASSWORD, code_label=CODE_LABEL[language])
    # The header's own errors (DSFR's HeaderLinks without a menu to copy the links into,
    # fixed with the page shell) show on every page, a table or not: those of a page
    # without a table (My multi-factor authentication) are
    # set aside, the rest must be empty.
    page.goto(f"{portal.url}/account/mfa/")
    shell_errors = set(errors)
    errors.clear()
    for path in _pages(ids):
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{portal.url}{path}")
        assert page.locator("html").get_attribute("lang") == language, path
        classes = page.locator("html").get_attribute("class") or ""
        assert ("portal-accessible" in classes) == accessible, path
        # Every table's scrolling container is a named region reachable by keyboard.
        for container in page.locator("main .fr-table__container").all():
            expect(container).to_have_attribute("tabindex", "0")
            expect(container).to_have_attribute("role", "region")
            expect(container).to_have_accessible_name(
                page.locator(f"#{container.get_attribute('aria-labelledby')}").inner_text()
            )
        _fits(page, path)
        assert_no_axe_violations(page)  # rows stacked (320 px)
        page.set_viewport_size({"width": 1280, "height": 900})
        assert_no_axe_violations(page)
    # The bulk refusal's second step, reached from the Users area.
    page.goto(f"{portal.url}/users/")
    boxes = page.locator("#inbox-table input[type=checkbox]")
    boxes.nth(0).check(force=True)
    boxes.nth(1).check(force=True)
    refuse = (
        "Refuser les demandes sélectionnées" if language == "fr" else "Refuse the selected requests"
    )
    page.get_by_role("button", name=refuse).click()
    expect(page.locator("#refused-table tbody tr")).to_have_count(2)
    _fits(page, "bulk refusal")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert_no_axe_violations(page)
    assert not [e for e in errors if e not in shell_errors], errors


def test_bulk_decisions_without_javascript(portal, browser):
    from affiliations.models import Request, RequestStatus

    ids = _setup("en")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, portal.url, MANAGER, DEMO_PASSWORD, code_label=CODE_LABEL["en"])
    page.goto(f"{portal.url}/users/")
    # No reason next to Approve: approving the selection acts at once.
    expect(page.locator("main textarea")).to_have_count(0)
    rows = page.locator("#inbox-table tbody tr")
    expect(rows).to_have_count(3)
    rows.nth(0).get_by_role("checkbox").check(force=True)
    page.get_by_role("button", name="Approve the selected requests").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("1 request approved.")
    # Refusing the selection is a second step listing the requests, asking the reason.
    rows = page.locator("#inbox-table tbody tr")
    rows.nth(0).get_by_role("checkbox").check(force=True)
    rows.nth(1).get_by_role("checkbox").check(force=True)
    page.get_by_role("button", name="Refuse the selected requests").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Refuse 2 requests")
    reason = page.get_by_label("Reason for the refusal")
    expect(reason).to_have_attribute("required", "")
    page.get_by_role("button", name="Refuse the 2 selected requests").click()
    # The browser holds an empty reason back (required); blanks reach the server.
    reason.fill("   ")
    page.get_by_role("button", name="Refuse the 2 selected requests").click()
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_accessible_description(re.compile("A refusal needs a reason"))
    reason.fill(LONG_REASON)
    page.get_by_role("button", name="Refuse the 2 selected requests").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("2 requests refused.")
    assert (
        Request.objects.filter(
            structure_id=ids["public"], status=RequestStatus.REFUSED, refusal_reason=LONG_REASON
        ).count()
        == 2
    )
    context.close()
