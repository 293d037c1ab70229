"""Every page of the portal — the ways in, a manager's and staff member's pages, the
State site's pages, the error pages — in French and English, at 1280, 390 and 320 px
(and in the accessible mode, larger text, at 320 px): axe-core (wcag2a/aa, wcag21a/aa,
best-practice) finds nothing, the console shows no error, and the page never scrolls
sideways (RGAA 10.11, WCAG 1.4.10).

One browser context per language and width: it visits the ways in, signs in once and
visits every signed-in page. Every problem is collected, then reported together.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from affiliations.management.commands.demo_data import DEMO_PASSWORD
from tests.browser.conftest import sign_in
from tests.portal_pages import (
    ANONYMOUS,
    ERROR_PAGES,
    MANAGER,
    ConsoleWatch,
    make_data,
    overflow,
    run_axe,
    signed_in_pages,
)

pytestmark = pytest.mark.browser

# The home page is the trail's root; the error pages and the admin have none.
WITHOUT_BREADCRUMB = {"/", "/admin/"} | ERROR_PAGES

VIEWS = [
    pytest.param(1280, False, id="1280"),
    pytest.param(390, False, id="390"),
    pytest.param(320, False, id="320"),
    pytest.param(320, True, id="320-accessible"),
]


@pytest.mark.parametrize(("width", "accessible"), VIEWS)
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_page(portal, page, settings, language, width, accessible):
    # The portal's URLs plus views that fail on purpose (400, 403, 500 pages).
    settings.ROOT_URLCONF = "tests.error_urls"
    # The sweep outlasts allauth's 5 minutes: the factor pages must not ask again.
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 3600
    data = make_data(language, accessible=accessible)
    page.set_viewport_size({"width": width, "height": 900})
    console = ConsoleWatch(page)
    problems: list[str] = []

    def check(label: str, *, signed_in: bool) -> None:
        where = f"{label} [{language} {width}px{' accessible' if accessible else ''}]"
        problems.extend(f"{where} console: {text}" for text in console.take())
        if page.locator("html").get_attribute("lang") != language:
            problems.append(f"{where}: not in {language}")
        # The 500 page reads no session; the admin has Django's own shell.
        if signed_in and label != "/test-errors/500/" and not label.startswith("/admin/"):
            classes = page.locator("html").get_attribute("class") or ""
            if ("portal-accessible" in classes) is not accessible:
                problems.append(f"{where}: accessible mode is not {accessible}")
        scroll, inner, culprits = overflow(page)
        if scroll > inner:
            problems.append(f"{where}: scrolls sideways ({scroll} > {inner} px: {culprits})")
        console.paused = True
        try:
            problems.extend(f"{where} axe {line}" for line in run_axe(page))
        finally:
            console.paused = False

    # The ways in, before signing in.
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": portal.url}]
    )
    for path in ANONYMOUS:
        page.goto(f"{portal.url}{path}")
        check(path, signed_in=False)
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
    console.take()  # the 403 status of the CSRF page itself
    check("CSRF failure", signed_in=False)
    # A deactivated account's password: the explanation and the one-step request.
    page.goto(f"{portal.url}/accounts/login/")
    page.locator("#id_login").fill(data.former_email)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/accounts/inactive/")
    assert page.locator("textarea#id_comment").count() == 1
    check("inactive account, with its request form", signed_in=False)
    # The factor step (the password alone has passed).
    page.goto(f"{portal.url}/accounts/login/")
    page.locator("#id_login").fill(MANAGER)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/mfa/verify/**")
    check("/mfa/verify/", signed_in=True)
    page.context.clear_cookies()

    sign_in(
        page,
        portal.url,
        MANAGER,
        DEMO_PASSWORD,
        code_label="Code de sécurité" if language == "fr" else "Security code",
    )
    console.take()
    # Re-authentication, which the factor pages ask for first.
    page.goto(f"{portal.url}/accounts/reauthenticate/?next=/account/mfa/")
    check("/accounts/reauthenticate/", signed_in=True)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/account/mfa/")
    console.take()
    for path in signed_in_pages(data.ids):
        page.goto(f"{portal.url}{path}")
        if urlsplit(page.url).path != path.split("?", 1)[0]:
            problems.append(f"{path} [{language} {width}px]: went to {page.url}")
        # Every page under the account menu has its breadcrumb, under the header.
        crumbs = page.locator("main nav.fr-breadcrumb").count()
        if crumbs != (0 if path in WITHOUT_BREADCRUMB else 1):
            problems.append(f"{path} [{language} {width}px]: {crumbs} breadcrumb(s)")
        check(path, signed_in=True)

    assert problems == [], "\n".join(problems)
