"""The page shell: the breadcrumb of every page from the navigation registry, the site
map reaching every page, the header's menu for narrow screens, the initials avatar."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from affiliations.models import Role
from chorus_portal import navigation
from tests.conftest import make_user
from tests.factories import attach, make_structure, pending_request
from tests.portal_pages import LEGAL, signed_in_pages

CRUMB_RE = re.compile(
    r'<a class="fr-breadcrumb__link"(?: href="(?P<href>[^"]*)")?(?P<current> aria-current="page")?>'
    r"(?P<label>[^<]*)</a>"
)


def crumbs(response) -> list[tuple[str, str | None]]:
    html = response.content.decode()
    return [(m["label"], m["href"]) for m in CRUMB_RE.finditer(html)]


@pytest.fixture
def manager(db):
    user = make_user("gerante@example.fr", first_name="Gaëlle", last_name="Roux")
    structure = make_structure("Mairie de Lyon", services=2)
    attach(user, structure, role=Role.MAIN_MANAGER)
    return user


TRAILS = {
    # path: the trail's labels (English), the last one the page itself
    "/account/": ["Home", "My account"],
    "/account/edit/phone/": ["Home", "My account", "Phone"],
    "/account/photo/": ["Home", "My account", "Profile photo"],
    "/account/notifications/": ["Home", "My account", "Set up your notifications"],
    "/account/deactivate/": ["Home", "My account", "Deactivate/Reactivate a user account"],
    "/account/affiliations/": ["Home", "My affiliations"],
    "/account/affiliations/request/": [
        "Home",
        "My affiliations",
        "Request to be connected to a structure",
    ],
    "/account/affiliations/detach/": ["Home", "My affiliations", "Detach myself"],
    "/account/authorizations/": ["Home", "My authorizations"],
    "/account/authorizations/manage/": ["Home", "My authorizations", "Manage my authorizations"],
    "/account/requests/": ["Home", "History of my requests"],
    "/account/login-address/": ["Home", "Change my login address"],
    "/account/mfa/": ["Home", "My multi-factor authentication"],
    "/account/mfa/password/": ["Home", "My multi-factor authentication", "Changing your password"],
    "/account/mfa/keys/": ["Home", "My multi-factor authentication", "Adding a security key"],
    "/account/mfa/keys/add/": [
        "Home",
        "My multi-factor authentication",
        "Adding a security key",
        "Add a new key",
    ],
    "/users/": ["Home", "Users area"],
    "/plan-du-site/": ["Home", "Site map"],
    "/mentions-legales/": ["Home", "Legal notice"],
}


def test_each_page_has_its_trail_the_last_crumb_being_the_page(signed_in, manager, settings):
    from tests.mfa_helpers import reauthenticate

    client = signed_in(manager)
    reauthenticate(client)
    client.cookies.load({settings.LANGUAGE_COOKIE_NAME: "en"})
    manager.language = "en"
    manager.save()
    parents = {
        "Home": "/",
        "My account": "/account/",
        "My affiliations": "/account/affiliations/",
        "My authorizations": "/account/authorizations/",
        "My multi-factor authentication": "/account/mfa/",
        "Adding a security key": "/account/mfa/keys/",
        "Users area": "/users/",
    }
    for path, labels in TRAILS.items():
        response = client.get(path)
        assert response.status_code == 200, path
        found = crumbs(response)
        assert [label for label, _ in found] == labels, path
        # Every crumb but the last links to its page; the last is the current page.
        assert [href for _, href in found[:-1]] == [parents[label] for label in labels[:-1]]
        assert found[-1][1] is None
        assert response.content.decode().count('aria-current="page"') == 1, path


def test_pages_named_by_their_object_end_with_their_own_title(signed_in, manager):
    structure = manager.affiliations.get().structure
    member = attach(make_user("membre@example.fr", first_name="Marc", last_name="Petit"), structure)
    req = pending_request(make_user("demandeur@example.fr"), structure)
    client = signed_in(manager)
    response = client.get(f"/users/requests/{req.pk}/refuse/")
    assert [label for label, _ in crumbs(response)] == ["Accueil", "Espace utilisateurs"] + [
        str(response.context["title"])
    ]
    response = client.get(f"/users/members/{member.pk}/authorizations/")
    labels = [label for label, _ in crumbs(response)]
    assert labels[:2] == ["Accueil", "Espace utilisateurs"]
    assert "Marc" in labels[2] and len(labels) == 3


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/nowhere/",
        "/users/requests/999999/refuse/",  # a 404 from a page of the registry
        "/account/preferences/",
        "/accounts/login/",
        "/mfa/verify/",
    ],
)
def test_no_breadcrumb_on_the_home_page_the_error_pages_and_the_ways_in(client, manager, path):
    from tests.conftest import password_login

    if path == "/mfa/verify/":
        password_login(client, manager.email)
    elif path != "/accounts/login/":
        from tests.conftest import verify_session

        verify_session(client, manager)
    response = client.get(path)
    assert "fr-breadcrumb" not in response.content.decode(), path


def test_the_breadcrumb_draws_without_a_query(signed_in, manager, django_assert_num_queries):
    client = signed_in(manager)
    client.get("/account/requests/")  # warm the session and the caches
    with_crumbs = client.get("/account/requests/")
    assert crumbs(with_crumbs)
    # The registry lives in memory: the trail costs no query (the rest of the page is
    # pinned by the page's own query-count test).
    from django.test import RequestFactory

    request = RequestFactory().get("/account/requests/")
    from django.urls import resolve

    request.resolver_match = resolve("/account/requests/")
    with django_assert_num_queries(0):
        trail = navigation.trail(request)
    assert [str(crumb["label"]) for crumb in trail] == ["Accueil", "Historique de mes demandes"]


def _links(html: str) -> set[str]:
    return set(re.findall(r'href="([^"#?]+)"', html))


def test_the_site_map_reaches_every_page_of_a_signed_in_manager_and_staff(signed_in, manager):
    manager.is_staff = True
    manager.save()
    response = signed_in(manager).get(reverse("sitemap"))
    main = response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]
    linked = _links(main)
    # Every page of the sweep opened without an object (no id, no query) is linked.
    expected = {
        path
        for path in signed_in_pages(
            {"public": 0, "affiliation": 0, "member": 0, "request": 0, "decided": 0}
        )
        if "?" not in path
        and not re.search(r"/0/", path)
        and path not in {"/nowhere/", "/account/preferences/", "/accounts/reauthenticate/"}
        and not path.startswith("/test-errors/")
        and not path.startswith("/account/edit/")  # the fields of My account
    }
    assert expected - linked == set()
    assert "/admin/" in linked


def test_the_site_map_of_a_visitor_lists_the_ways_in_and_the_site_pages(client, db):
    response = client.get(reverse("sitemap"))
    assert response.status_code == 200
    main = response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]
    linked = _links(main)
    assert {"/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"} <= linked
    assert set(LEGAL) <= linked
    assert "/account/" not in linked and "/users/" not in linked


def test_the_site_map_is_open_at_the_factor_step_and_linked_from_every_footer(client, manager):
    from tests.conftest import password_login

    password_login(client, manager.email)
    response = client.get(reverse("sitemap"))
    assert response.status_code == 200
    main = response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]
    assert "/account/" not in _links(main)  # nothing behind the second factor
    footer = client.get(reverse("mfa:verify")).content.decode().split('id="footer"', 1)[1]
    assert 'href="/plan-du-site/"' in footer


def test_the_header_menu_for_narrow_screens_holds_the_account_menu(signed_in, manager):
    html = signed_in(manager).get("/account/").content.decode()
    header = html.split("</header>", 1)[0]
    assert 'aria-controls="header-menu"' in header and 'id="header-menu"' in header
    modal = header.split('id="header-menu"', 1)[1]
    assert 'class="fr-header__menu-links"' in modal
    for path in ("/users/", "/account/", "/account/mfa/", "/accounts/logout/"):
        assert f'"{path}"' in modal, path
    # DSFR copies a .fr-header__tools-links block into the menu (and fails without one):
    # the portal writes both itself.
    assert "fr-header__tools-links" not in html
    # Every id stays unique.
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_the_initials_avatar_is_an_image_named_no_photo(signed_in, manager):
    html = signed_in(manager).get("/account/").content.decode()
    assert (
        '<div class="portal-avatar portal-avatar--initials" role="img" aria-label="Pas de photo">'
        "GR</div>"
    ) in html
