"""My account: fields in place, preferences, notifications, deactivation and reactivation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from activity.models import Action, ActivityLog
from affiliations.models import Affiliation, AffiliationStatus, Request, RequestKind, Role
from tests.conftest import PASSWORD, full_login, make_user, password_login
from tests.factories import attach, make_structure, pending_request

pytestmark = pytest.mark.django_db

ACCOUNT = reverse("accounts:account")


def reauthenticate(client):
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


def edit(client, field, data, fragment=False):
    headers = {"HTTP_X_PORTAL_FRAGMENT": "1"} if fragment else {}
    return client.post(reverse("accounts:account-edit", args=[field]), data, **headers)


def test_my_account_shows_the_form_and_the_windows(signed_in, alice):
    html = signed_in(alice).get(ACCOUNT).content.decode()
    for modal in (
        "modal-last-name",
        "modal-first-name",
        "modal-phone",
        "modal-address",
        "modal-biography",
        "modal-notifications",
    ):
        assert f'id="{modal}"' in html
    assert "/account/edit/phone/" in html  # the plain page, without JavaScript
    assert "Désactiver mon compte" in html
    assert ">AM<" in html  # initials without a photo


@pytest.mark.parametrize(
    ("field", "data", "attribute", "expected"),
    [
        ("last-name", {"last_name": "  Dupont-Moretti "}, "last_name", "Dupont-Moretti"),
        ("first-name", {"first_name": "Éloïse"}, "first_name", "Éloïse"),
        ("phone", {"phone": "01 23 45 67 89"}, "phone", "+33123456789"),
        ("phone", {"phone": "+33 (0)6.12.34.56.78"}, "phone", "+33612345678"),
        ("phone", {"phone": "0044 20 7946 0958"}, "phone", "+442079460958"),
        ("biography", {"biography": "Ligne 1\r\nLigne 2"}, "biography", "Ligne 1\nLigne 2"),
    ],
)
def test_valid_values_are_saved(signed_in, alice, field, data, attribute, expected):
    response = edit(signed_in(alice), field, data)
    assert response.status_code == 302 and response.url == ACCOUNT
    alice.refresh_from_db()
    assert getattr(alice, attribute) == expected
    assert ActivityLog.objects.filter(action=Action.ACCOUNT_UPDATED, actor=alice).exists()


@pytest.mark.parametrize(
    ("field", "data", "error_field"),
    [
        ("last-name", {"last_name": "   "}, "last_name"),
        ("last-name", {"last_name": "x" * 151}, "last_name"),
        ("first-name", {"first_name": "Bad\x07bell"}, "first_name"),
        ("phone", {"phone": "12"}, "phone"),
        ("phone", {"phone": "01 23 45 67"}, "phone"),
        ("phone", {"phone": "call me"}, "phone"),
        ("phone", {"phone": "+33 1 23"}, "phone"),
        ("address", {"postal_code": "7500", "country": "FR"}, "postal_code"),
        ("address", {"postal_code": "75001", "country": "BE"}, "postal_code"),
        ("address", {"postal_code": "75001", "country": "XX"}, "country"),
        ("address", {"street": "x" * 256, "country": "FR"}, "street"),
        ("biography", {"biography": "b" * 2001}, "biography"),
    ],
)
def test_invalid_values_are_refused_and_nothing_changes(signed_in, alice, field, data, error_field):
    before = {
        f: getattr(alice, f)
        for f in ("last_name", "first_name", "phone", "biography", "postal_code", "street")
    }
    response = edit(signed_in(alice), field, data)
    assert response.status_code == 200
    assert error_field in response.context["form"].errors
    alice.refresh_from_db()
    assert {f: getattr(alice, f) for f in before} == before


@pytest.mark.parametrize(
    ("country", "code"),
    [
        ("FR", "75001"),
        ("FR", "97400"),
        ("BE", "1000"),
        ("GB", "sw1a 1aa"),
        ("NL", "1234 AB"),
        ("ZZ", "A1-234"),
    ],
)
def test_postal_codes_per_country(signed_in, alice, country, code):
    edit(
        signed_in(alice),
        "address",
        {"street": "1 rue de la Paix", "postal_code": code, "city": "Ville", "country": country},
    )
    alice.refresh_from_db()
    assert alice.postal_code == " ".join(code.upper().split()) and alice.country == country


def test_script_injection_is_rendered_inert(signed_in, alice):
    client = signed_in(alice)
    edit(client, "last-name", {"last_name": "<script>alert(1)</script>"})
    edit(client, "biography", {"biography": "<img src=x onerror=alert(1)>\nSecond line"})
    html = client.get(ACCOUNT).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;<br>Second line" in html


def test_the_window_gets_its_errors_back_and_saves_without_reload(signed_in, alice):
    client = signed_in(alice)
    bad = edit(client, "phone", {"phone": "12"}, fragment=True)
    assert bad.status_code == 422
    assert "fr-message--error" in bad.content.decode() and "<html" not in bad.content.decode()
    good = edit(client, "phone", {"phone": "0612345678"}, fragment=True)
    assert good.status_code == 204
    assert "06 12 34 56 78" in client.get(ACCOUNT).content.decode()


def test_the_phone_can_be_cleared(signed_in, alice):
    alice.phone = "+33123456789"
    alice.save()
    edit(signed_in(alice), "phone", {"phone": ""})
    alice.refresh_from_db()
    assert alice.phone == ""


def test_unknown_field_is_404(signed_in, alice):
    assert signed_in(alice).get("/account/edit/is_staff/").status_code == 404
    assert edit(signed_in(alice), "email", {"email": "x@example.fr"}).status_code == 404


def test_extra_fields_cannot_change_privileges(signed_in, alice):
    edit(
        signed_in(alice),
        "last-name",
        {"last_name": "Martin", "is_staff": "on", "is_superuser": "on", "email": "evil@example.fr"},
    )
    alice.refresh_from_db()
    assert not alice.is_staff and not alice.is_superuser and alice.email == "alice@example.fr"


# --- notifications and preferences -------------------------------------------------------


def test_notification_preferences(signed_in, alice):
    client = signed_in(alice)
    assert client.get(reverse("accounts:notifications")).status_code == 200
    client.post(
        reverse("accounts:notifications"), {"notify_commitments": "on", "notify_invoicing": "on"}
    )
    alice.refresh_from_db()
    assert (alice.notify_transferability, alice.notify_commitments, alice.notify_invoicing) == (
        False,
        True,
        True,
    )
    html = client.get(ACCOUNT).content.decode()
    assert "Engagements" in html and "Facturation CPRO" in html
    # The weekly summary is a choice of its own, in the same window.
    assert not alice.notify_weekly_summary
    assert "Vous ne recevez pas de synthèse hebdomadaire" in html
    client.post(reverse("accounts:notifications"), {"notify_weekly_summary": "on"})
    alice.refresh_from_db()
    assert alice.notify_weekly_summary and not alice.notify_commitments
    html = client.get(ACCOUNT).content.decode()
    assert "Vous recevez une synthèse hebdomadaire des mouvements" in html
    assert 'name="notify_weekly_summary"' in client.get(reverse("accounts:notifications")).text
    assert ActivityLog.objects.filter(action=Action.NOTIFICATIONS_CHANGED).exists()


def test_preferences_apply_on_the_next_page_and_the_next_mail(client, alice, mailoutbox):
    full_login(client, mailoutbox, alice.email)
    response = client.post(
        reverse("accounts:preferences"), {"language": "en", "accessibility_enabled": "on"}
    )
    assert response.status_code == 302
    html = client.get(ACCOUNT).content.decode()
    assert '<html lang="en"' in html and "My account" in html
    assert 'class="portal-accessible"' in html
    client.post(reverse("account_logout"))
    password_login(client, alice.email)
    assert mailoutbox[-1].subject == "[Chorus Pro] Your security code to sign in"
    assert ActivityLog.objects.filter(action=Action.PREFERENCES_CHANGED, actor=alice).exists()


def test_preferences_save_in_the_background_with_javascript(signed_in, alice):
    client = signed_in(alice)
    response = client.post(
        reverse("accounts:preferences"),
        {"language": "fr", "survey_consent": "on"},
        HTTP_X_PORTAL_FRAGMENT="1",
    )
    assert response.status_code == 204
    alice.refresh_from_db()
    assert alice.survey_consent and not alice.accessibility_enabled


def test_a_bad_language_is_refused(signed_in, alice):
    signed_in(alice).post(reverse("accounts:preferences"), {"language": "de"})
    alice.refresh_from_db()
    assert alice.language == "fr"


def test_accessible_mode_summarises_errors_at_the_top(signed_in, alice):
    alice.accessibility_enabled = True
    alice.save()
    response = edit(signed_in(alice), "phone", {"phone": "12"})
    html = response.content.decode()
    assert "portal-error-summary" in html and 'href="#id_phone"' in html


# --- deactivation and reactivation ----------------------------------------------------------


def test_deactivation_asks_for_recent_authentication(signed_in, alice):
    client = signed_in(alice)  # signed in without a recent password
    response = client.get(reverse("accounts:deactivate"))
    assert response.status_code == 302 and "/accounts/reauthenticate/" in response.url
    client.post(response.url, {"password": PASSWORD})
    assert client.get(reverse("accounts:deactivate")).status_code == 200


def test_deactivation_ends_everything(
    client, client_factory, alice, mailoutbox, settings, django_capture_on_commit_callbacks
):
    structure = make_structure("Désactivation", services=1)
    affiliation = attach(alice, structure)
    pending = pending_request(alice, make_structure("Autre"))
    other = client_factory()
    full_login(other, mailoutbox, alice.email)
    settings.MFA_EMAIL_RESEND_COOLDOWN = 0
    full_login(client, mailoutbox, alice.email)
    reauthenticate(client)
    url = reverse("accounts:deactivate")
    assert client.post(url, {}).status_code == 200  # the box must be ticked
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"confirm": "on"})
    assert response.status_code == 302 and response.url == reverse("account_login")
    alice.refresh_from_db()
    assert not alice.is_active
    # The other browser is signed out on its next request.
    assert other.get(reverse("home")).status_code == 302
    assert client.get(reverse("home")).status_code == 302
    pending.refresh_from_db()
    assert pending.status == "cancelled"
    affiliation.refresh_from_db()
    assert affiliation.status == AffiliationStatus.DEACTIVATED
    assert Request.objects.filter(
        requester=alice, kind=RequestKind.DEACTIVATION, status="approved"
    ).exists()
    assert "désactivé" in mailoutbox[-1].subject
    assert ActivityLog.objects.filter(action=Action.ACCOUNT_DEACTIVATED, subject=alice).exists()
    # Login is refused afterwards.
    refused = client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    assert not (refused.status_code == 302 and "/mfa/verify/" in refused.url)


def test_the_main_manager_is_stopped_with_a_link(client, alice, mailoutbox):
    structure = make_structure("Gérée", services=1)
    attach(alice, structure, role=Role.MAIN_MANAGER)
    full_login(client, mailoutbox, alice.email)
    reauthenticate(client)
    page = client.get(reverse("accounts:deactivate")).content.decode()
    assert reverse("affiliations:role-transfer", args=[structure.pk]) in page
    client.post(reverse("accounts:deactivate"), {"confirm": "on"})
    alice.refresh_from_db()
    assert alice.is_active


def test_a_manager_reactivates_and_the_user_logs_in_again(
    client, signed_in, alice, mailoutbox, django_capture_on_commit_callbacks
):
    from accounts.services import deactivate

    structure = make_structure("Réactivation", services=1)
    manager = make_user("chef@example.fr", first_name="Chef")
    attach(manager, structure, role=Role.MAIN_MANAGER)
    affiliation = attach(alice, structure)
    deactivate(user=alice, by=alice)
    manager_client = signed_in(manager)
    area = manager_client.get(reverse("affiliations:users-area")).content.decode()
    assert "alice@example.fr" in area and "Réactiver" in area
    # A manager of another structure cannot.
    stranger = make_user("autre-chef@example.fr")
    attach(stranger, make_structure("Ailleurs"), role=Role.MAIN_MANAGER)
    url = reverse("affiliations:member-reactivate", args=[affiliation.pk])
    assert signed_in(stranger).post(url).status_code == 404
    alice.refresh_from_db()
    assert not alice.is_active
    with django_capture_on_commit_callbacks(execute=True):
        assert manager_client.post(url).status_code == 302
    alice.refresh_from_db()
    assert alice.is_active
    assert Affiliation.objects.get(pk=affiliation.pk).status == AffiliationStatus.ACTIVE
    assert Request.objects.filter(requester=alice, kind=RequestKind.REACTIVATION).exists()
    assert "réactivé" in mailoutbox[-1].subject
    full_login(client, mailoutbox, alice.email)
    assert client.get(reverse("home")).status_code == 200


def test_staff_reactivate_from_the_admin(client, staff_user, alice, mailoutbox):
    from accounts.services import deactivate

    deactivate(user=alice, by=alice)
    full_login(client, mailoutbox, staff_user.email)
    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reactivate_accounts", "_selected_action": [alice.pk]},
    )
    alice.refresh_from_db()
    assert alice.is_active
    assert ActivityLog.objects.filter(action=Action.ACCOUNT_REACTIVATED, actor=staff_user).exists()


def test_account_pages_need_both_factors(client, client_factory, alice):
    half = client_factory()
    password_login(half, alice.email)
    for url in (
        ACCOUNT,
        "/account/edit/phone/",
        "/account/photo/",
        "/account/notifications/",
        "/account/deactivate/",
        f"/account/photo/{alice.pk}/",
    ):
        assert "/accounts/login/" in client.get(url).url
        assert half.get(url).url.startswith("/mfa/verify/")


def test_deactivation_voids_password_reset_links(client, alice, mailoutbox):
    import re

    from accounts.services import deactivate, reactivate

    client.post(reverse("account_reset_password"), {"email": alice.email})
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+)", mailoutbox[-1].body)
    deactivate(user=alice, by=alice)
    reactivate(user=alice, by=alice)
    response = client.get(link.group(1), follow=True)
    assert response.context["token_fail"] is True
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link.group(1)
    client.post(form_url, {"password1": "Brand-New-Pass-77", "password2": "Brand-New-Pass-77"})
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
