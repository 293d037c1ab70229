"""Every URL of the portal, walked: what anonymous and password-only sessions reach."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

# The State site's mandatory pages and the site map, linked from every footer: open to
# everyone.
LEGAL_PAGES = {"accessibility", "legal-notice", "personal-data", "cookies", "sitemap"}
# Pages an anonymous visitor may open: the ways in (allauth's entrance pages).
ANONYMOUS_ALLOWED = LEGAL_PAGES | {
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "account_confirm_email",
    "account_email_verification_sent",
    "account_inactive",
    "account_logout",
    "set_language",
    "dev-outbox",
    # The link mailed to a new login address: its token proves the mailbox.
    "login_address:confirm",
}
# What a password-only session may reach: the factor step, logout, the language switch.
PASSWORD_ONLY_ALLOWED = LEGAL_PAGES | {
    "mfa:verify",
    "account_logout",
    "set_language",
    "dev-outbox",
}


def _walk(resolver, prefix="", namespace=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}{pattern.namespace}:"
            yield from _walk(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), (namespace + pattern.name) if pattern.name else ""


def _concrete(route: str) -> str:
    route = route.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\/", "/")
    route = re.sub(r"<(?:\w+:)?\w+>", "1", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    route = route.replace("(?:", "").replace(")?", "").replace("?", "")
    return "/" + route


def all_urls():
    seen = set()
    for route, name in _walk(get_resolver()):
        url = _concrete(route)
        if url not in seen:
            seen.add(url)
            yield url, name


URLS = sorted(all_urls())


def test_the_walk_covers_the_admin_and_the_portal():
    names = {name for _, name in URLS}
    assert {"home", "mfa:verify", "account_login", "admin:index"} <= names
    assert sum(1 for url, _ in URLS if url.startswith("/admin/")) > 20


@pytest.mark.parametrize(("url", "name"), URLS)
def test_password_only_session_reaches_only_the_factor_step(password_only_client, url, name):
    response = password_only_client.get(url)
    if name in PASSWORD_ONLY_ALLOWED:
        return
    assert response.status_code in (302, 404, 405), (url, response.status_code)
    if response.status_code == 302:
        assert response.url.startswith(reverse("mfa:verify")), (url, response.url)
    # A 404/405 here means no view ran: the middleware redirects first.
    assert response.status_code == 302, (url, response.status_code)


@pytest.mark.parametrize(("url", "name"), URLS)
def test_anonymous_is_sent_to_login(client, url, name):
    response = client.get(url)
    if name in ANONYMOUS_ALLOWED or url.startswith("/static/"):
        return
    if response.status_code == 404:
        # Replaced allauth pages and unknown admin objects answer 404 to everyone.
        return
    assert response.status_code == 302, (url, response.status_code)
    # The admin's pages go through its login page, which hands over to the portal's.
    followed = client.get(url, follow=True)
    landing = followed.redirect_chain[-1][0]
    assert landing.startswith(reverse("account_login")), (url, followed.redirect_chain)
    assert followed.status_code == 200


def test_password_only_session_cannot_post_elsewhere(password_only_client):
    response = password_only_client.post(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa:verify"))


@pytest.mark.parametrize("name", sorted(LEGAL_PAGES))
def test_the_legal_pages_answer_everyone(client_factory, password_only_client, name):
    url = reverse(name)
    assert client_factory().get(url).status_code == 200  # anonymous
    assert password_only_client.get(url).status_code == 200


def test_every_walked_url_is_concrete():
    assert all("<" not in url and ">" not in url for url, _ in URLS), [
        url for url, _ in URLS if "<" in url
    ]
