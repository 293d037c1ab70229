"""Error pages in the portal's look, translated, with a way home (DEBUG is off in tests)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from tests.conftest import verify_session

HOME_LINK = 'href="/"'
FOOTER_LINKS = (
    "/accessibilite/",
    "/mentions-legales/",
    "/donnees-personnelles/",
    "/gestion-des-cookies/",
)


def in_english(client: Client) -> Client:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def assert_portal_page(response, status: int, language: str, *texts: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    assert 'class="fr-header"' in html and 'class="fr-footer"' in html  # the DSFR shell
    assert HOME_LINK in html  # a way home
    assert all(link in html for link in FOOTER_LINKS)
    for text in texts:
        assert text in html, text
    return html


@pytest.fixture
def failing_urls(settings):
    settings.ROOT_URLCONF = "tests.error_urls"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("fr", ["Page non trouvée", "Erreur 404", "Page d'accueil"]),
        ("en", ["Page not found", "Error 404", "Home page"]),
    ],
)
def test_404(client, language, texts):
    if language == "en":
        in_english(client)
    assert_portal_page(client.get("/nowhere/"), 404, language, *texts)


@pytest.mark.django_db
def test_404_for_a_signed_in_person_keeps_their_header(signed_in, alice):
    html = assert_portal_page(
        signed_in(alice).get("/account/requests/999999/nowhere/"), 404, "fr", "Page non trouvée"
    )
    assert 'id="account-menu"' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("fr", ["Page inaccessible de cette façon", "Erreur 405"]),
        ("en", ["Page not available this way", "Error 405"]),
    ],
)
def test_405_a_get_on_a_form_address(signed_in, alice, language, texts):
    """GET /account/preferences/ used to answer a blank 405."""
    alice.language = language
    alice.save()
    response = signed_in(alice).get(reverse("accounts:preferences"))
    assert_portal_page(response, 405, language, *texts)
    assert response["Allow"] == "POST"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("fr", ["Formulaire expiré", "Erreur 403", "Rien n'a été modifié"]),
        ("en", ["Form expired", "Error 403", "Nothing has been changed"]),
    ],
)
def test_csrf_failure(alice, language, texts):
    client = Client(enforce_csrf_checks=True)
    if language == "en":
        in_english(client)
    response = client.post(reverse("account_login"), {"login": alice.email, "password": "x"})
    assert_portal_page(response, 403, language, *texts)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("fr", ["Requête incomprise", "Erreur 400"]),
        ("en", ["Request not understood", "Error 400"]),
    ],
)
def test_400_for_an_unknown_host(client, language, texts):
    if language == "en":
        in_english(client)
    assert_portal_page(client.get("/", HTTP_HOST="attacker.example"), 400, language, *texts)


@pytest.mark.django_db
def test_400_raised_by_a_view(client, failing_urls):
    assert_portal_page(client.get("/test-errors/400/"), 400, "fr", "Requête incomprise")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("fr", ["Accès refusé", "Erreur 403"]),
        ("en", ["Access refused", "Error 403"]),
    ],
)
def test_403(client, alice, failing_urls, language, texts):
    alice.language = language
    alice.save()
    verify_session(client, alice)
    html = assert_portal_page(client.get("/test-errors/403/"), 403, language, *texts)
    assert 'id="account-menu"' in html


# No database for this one: pytest-django refuses any query, so the 500 page is proven
# to need none (nor the session, nor the user).
@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("fr", ["Erreur inattendue", "Erreur 500", "Page d'accueil"]),
        ("en", ["Unexpected error", "Error 500", "Home page"]),
    ],
)
def test_500_is_a_static_page_needing_no_database(failing_urls, language, texts):
    client = Client(raise_request_exception=False)
    if language == "en":
        in_english(client)
    response = client.get("/test-errors/500/")
    assert_portal_page(response, 500, language, *texts)
    assert "csrfmiddlewaretoken" not in response.content.decode()
