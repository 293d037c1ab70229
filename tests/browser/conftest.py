from __future__ import annotations

import os
import re
import shutil

import pytest

# Playwright's sync API runs an event loop in the test thread; the tests only
# touch the ORM between browser steps, never concurrently with it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CODE_RE = re.compile(r"\b(\d{6})\b")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(autouse=True)
def _short_timeouts(page):
    page.set_default_timeout(10_000)


@pytest.fixture
def portal(live_server, settings, tmp_path, transactional_db):
    """The live portal with its demo data and the development outbox switched on."""
    from django.core.management import call_command

    settings.DEV_OUTBOX = True
    settings.OUTBOX_DIR = tmp_path / "outbox"
    settings.EMAIL_BACKEND = "chorus_portal.mail.OutboxBackend"
    call_command("demo_data", verbosity=0)
    return live_server


def assert_no_axe_violations(page) -> None:
    """axe-core runs in the page: only in a context with JavaScript enabled."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    # axe really ran: it reports the rules the page passed.
    assert len(results.response["passes"]) > 10
    assert results.violations_count == 0, results.generate_report()


def code_from_outbox(page, base_url: str, email: str) -> str:
    """Read the newest code mailed to `email` on the development outbox page."""
    outbox = page.context.new_page()
    try:
        outbox.goto(f"{base_url}/dev/outbox/")
        mail = outbox.locator("article.portal-mail", has_text=email).first
        match = CODE_RE.search(mail.locator("pre").inner_text())
        assert match, "no code in the newest mail"
        return match.group(1)
    finally:
        outbox.close()


def sign_in(page, base_url: str, email: str, password: str, *, code_label="Code de sécurité"):
    """Password, then the code read from the development outbox."""
    page.goto(f"{base_url}/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/mfa/verify/**")
    page.get_by_label(code_label).fill(code_from_outbox(page, base_url, email))
    page.get_by_label(code_label).press("Enter")
    page.wait_for_url(f"{base_url}/")


def open_menu_item(page, name: str, item: str) -> None:
    page.locator("#account-menu > summary").click()
    page.get_by_role("link", name=item).click()
