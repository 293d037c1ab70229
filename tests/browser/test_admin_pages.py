"""The admin's main pages in a real browser: axe-core finds nothing and the console
stays clean, in French and English; the CSV import works end to end."""

from __future__ import annotations

import pytest

from affiliations.management.commands.demo_data import DEMO_PASSWORD
from tests.browser.conftest import assert_no_axe_violations, sign_in

pytestmark = pytest.mark.browser

STAFF = "staff@demo.chorus-pro.local"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_admin_pages_pass_axe_without_console_errors(
    portal, page, tmp_path, language, settings
):
    from accounts.models import User
    from affiliations.identifiers import with_luhn_key
    from affiliations.models import Structure, StructureImport
    from tests.factories import make_structure, pending_request

    settings.MEDIA_ROOT = tmp_path / "media"
    staff = User.objects.get(email=STAFF)
    staff.language = language
    staff.save()
    orphan = make_structure("Structure sans gestionnaire", services=3)
    req = pending_request(User.objects.get(email="user@demo.chorus-pro.local"), orphan)

    sign_in(
        page,
        portal.url,
        STAFF,
        DEMO_PASSWORD,
        code_label="Code de sécurité" if language == "fr" else "Security code",
    )
    # The admin's own messages, not those of axe-core while it runs (it tries inline
    # styles, which the Content Security Policy refuses) nor of the portal's pages.
    problems: list[str] = []
    axe = {"running": False}

    def note(text: str) -> None:
        if not axe["running"] and "/admin/" in page.url:
            problems.append(f"{page.url}: {text}")

    page.on("console", lambda message: message.type == "error" and note(message.text))
    page.on("pageerror", lambda error: note(str(error)))

    def check_axe() -> None:
        axe["running"] = True
        try:
            assert_no_axe_violations(page)
        finally:
            axe["running"] = False

    paths = [
        "/admin/",
        "/admin/affiliations/request/?needs_staff=yes",
        f"/admin/affiliations/request/{req.pk}/change/",
        f"/admin/affiliations/request/{req.pk}/decide/",
        "/admin/affiliations/structure/",
        f"/admin/affiliations/structure/{orphan.pk}/change/",
        "/admin/affiliations/structure/import/",
        "/admin/accounts/user/",
    ]
    for path in paths:
        page.goto(f"{portal.url}{path}")
        assert page.locator("html").get_attribute("lang") == language, path
        check_axe()
    # The needs-staff filter lists the request on the structure without a manager.
    page.goto(f"{portal.url}/admin/affiliations/request/?needs_staff=yes")
    assert page.locator("#result_list tbody tr").count() == 1

    # Upload → report → import, in the browser.
    good = with_luhn_key("7000000000001")
    csv_path = tmp_path / "structures.csv"
    csv_path.write_text(
        "identifier_type;identifier;company_name;kind\n"
        f"SIRET;{good};Mairie de Dijon;public\n"
        "SIRET;12345678901234;Mauvaise clé;private\n",
        encoding="utf-8-sig",
    )
    page.goto(f"{portal.url}/admin/affiliations/structure/import/")
    page.locator("#id_file").set_input_files(str(csv_path))
    page.locator("input[type=submit].default").click()
    page.wait_for_url("**/import/*/")
    assert page.locator("#import-errors tbody tr").count() == 1
    assert "3" in page.locator("#import-errors tbody tr td").first.inner_text()
    check_axe()
    page.locator("form[action$='/run/'] input[type=submit]").click()
    page.wait_for_url("**/import/*/")
    assert Structure.objects.filter(identifier=good).exists()
    assert StructureImport.objects.get().status == "imported"
    check_axe()
    assert problems == [], "\n".join(problems)
