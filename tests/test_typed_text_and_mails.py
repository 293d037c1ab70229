"""Typed text carries no control or invisible character; the portal's mails say who
sends them and quote nothing a stranger typed; lost-password mails are limited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from activity.models import Action, ActivityLog
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

# character → the start of the English message it gets in a one-line field
REFUSED = {
    "\r": "Line breaks are not allowed",
    "\n": "Line breaks are not allowed",
    "\t": "Tabs are not allowed",
    "\u202e": "invisible or control character (U+202E)",  # RIGHT-TO-LEFT OVERRIDE
    "\u200b": "invisible or control character (U+200B)",  # ZERO WIDTH SPACE
    "\x85": "Line breaks are not allowed",  # NEXT LINE (C1)
    "\x9b": "invisible or control character (U+009B)",  # C1 control sequence introducer
    "\u2028": "Line breaks are not allowed",  # LINE SEPARATOR
    "\u2066": "invisible or control character (U+2066)",  # LEFT-TO-RIGHT ISOLATE
    "\ufeff": "invisible or control character (U+FEFF)",  # BYTE ORDER MARK
    "\ue000": "invisible or control character (U+E000)",  # private use
    "\x1b": "invisible or control character (U+001B)",  # ESC
}
NAME = "Zoë-Éléonore d'Arc"


def signup_data(**overrides):
    data = {
        "email": "new@example.fr",
        "first_name": "Nina",
        "last_name": "Nouvelle",
        "password1": "Solid-Passphrase-42",
        "password2": "Solid-Passphrase-42",
    }
    data.update(overrides)
    return data


def english(client):
    client.cookies["django_language"] = "en"
    return client


def english_speaker(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def field_errors(response, field):
    return [str(message) for message in response.context["form"].errors.get(field, [])]


# --- names and addresses: signup, profile, admin -----------------------------------


@pytest.mark.parametrize("field", ["first_name", "last_name"])
@pytest.mark.parametrize("char", list(REFUSED))
def test_signup_refuses_control_and_format_characters_in_names(client, field, char):
    response = english(client).post(reverse("account_signup"), signup_data(**{field: f"Zo{char}é"}))
    assert response.status_code == 200
    errors = field_errors(response, field)
    assert errors and REFUSED[char] in errors[0], errors
    assert not User.objects.filter(email="new@example.fr").exists()


def test_the_refusal_is_translated(client):
    response = client.post(reverse("account_signup"), signup_data(last_name="Du\u202epont"))
    assert field_errors(response, "last_name") == [
        "Ce champ contient un caractère invisible ou de contrôle (U+202E) qui n'est pas "
        "autorisé : saisissez à nouveau le texte sans ce caractère."
    ]
    response = client.post(reverse("account_signup"), signup_data(first_name="A\nB"))
    assert "Les retours à la ligne ne sont pas autorisés" in field_errors(response, "first_name")[0]


def test_signup_accepts_an_accented_name(client, mailoutbox):
    response = client.post(
        reverse("account_signup"), signup_data(first_name=NAME, last_name="Ñúñez-Ørsted")
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.fr")
    assert (user.first_name, user.last_name) == (NAME, "Ñúñez-Ørsted")


PROFILE_FIELDS = [
    ("first-name", "first_name", {}),
    ("last-name", "last_name", {}),
    ("phone", "phone", {}),
    ("address", "street", {"country": "FR"}),
    ("address", "address_complement", {"country": "FR"}),
    ("address", "city", {"country": "FR"}),
    ("address", "postal_code", {"country": "FR"}),
]


@pytest.mark.parametrize(("group", "field", "extra"), PROFILE_FIELDS)
@pytest.mark.parametrize("char", ["\r", "\n", "\t", "\u202e", "\u200b", "\x85"])
def test_profile_fields_refuse_control_and_format_characters(
    signed_in, alice, group, field, extra, char
):
    value = {"phone": f"01 23{char}45 67 89", "postal_code": f"750{char}01"}.get(field, f"A{char}b")
    before = {f: getattr(alice, f) for _g, f, _e in PROFILE_FIELDS}
    client = signed_in(english_speaker(alice))
    response = client.post(reverse("accounts:account-edit", args=[group]), {field: value, **extra})
    assert response.status_code == 200
    errors = field_errors(response, field)
    assert errors and REFUSED[char] in errors[0], errors
    alice.refresh_from_db()
    assert {f: getattr(alice, f) for f in before} == before
    assert not ActivityLog.objects.filter(action=Action.ACCOUNT_UPDATED).exists()


def test_the_profile_window_gets_the_error_back(signed_in, alice):
    response = signed_in(english_speaker(alice)).post(
        reverse("accounts:account-edit", args=["first-name"]),
        {"first_name": "Ali\u202ece"},
        HTTP_X_PORTAL_FRAGMENT="1",
    )
    assert response.status_code == 422
    assert "invisible or control character (U+202E)" in response.content.decode()


def test_the_profile_accepts_an_accented_name(signed_in, alice):
    client = signed_in(alice)
    client.post(reverse("accounts:account-edit", args=["first-name"]), {"first_name": NAME})
    client.post(reverse("accounts:account-edit", args=["last-name"]), {"last_name": "d'Éon"})
    alice.refresh_from_db()
    assert (alice.first_name, alice.last_name) == (NAME, "d'Éon")


@pytest.mark.parametrize("char", ["\t", "\u202e", "\x85", "\x0b"])
def test_the_biography_keeps_its_line_breaks_only(signed_in, alice, char):
    client = signed_in(alice)
    url = reverse("accounts:account-edit", args=["biography"])
    response = client.post(url, {"biography": f"Line 1{char}Line 2"})
    assert response.status_code == 200 and field_errors(response, "biography")
    response = client.post(url, {"biography": "Line 1\r\nLine 2\nLine 3"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.biography == "Line 1\nLine 2\nLine 3"


def test_the_admin_user_form_refuses_them_too(staff_user, alice):
    from django.contrib import admin

    model_admin = admin.site._registry[User]
    request = RequestFactory().get("/")
    request.user = staff_user
    form_class = model_admin.get_form(request, alice)
    base = {
        "email": alice.email,
        "first_name": "Alice",
        "last_name": "Martin",
        "country": "FR",
        "language": "fr",
        "is_active": "on",
    }
    for field in ("first_name", "last_name", "phone", "street", "city", "postal_code"):
        form = form_class(data={**base, field: "Al\u202eice"}, instance=alice)
        assert not form.is_valid()
        assert field in form.errors, (field, form.errors)
    form = form_class(data={**base, "first_name": NAME}, instance=alice)
    assert form.is_valid(), form.errors


# --- multi-line texts: affiliation and authorization forms ---------------------------


@pytest.mark.parametrize("char", ["\t", "\x00", "\x07", "\x85", "\x9b", "\u202e", "\u2028", "\r"])
def test_comments_and_reasons_refuse_controls_but_keep_line_breaks(char):
    from affiliations.forms import AffiliationRequestForm, RefusalForm
    from affiliations.models import Service
    from authorizations.forms import ScopeForm

    cases = [
        (RefusalForm, "reason", {}),
        (ScopeForm, "comment", {}),
        (
            AffiliationRequestForm,
            "comment",
            {"services_queryset": Service.objects.none(), "data_extra": {"scope": "structure"}},
        ),
    ]
    for form_class, field, kwargs in cases:
        extra = kwargs.pop("data_extra", {})
        bad = form_class(data={field: f"Motif{char}précis", **extra}, **kwargs)
        assert not bad.is_valid() and field in bad.errors, (form_class, char)
        good = form_class(data={field: "Ligne 1\r\nLigne 2\nLigne 3", **extra}, **kwargs)
        assert good.is_valid(), (form_class, good.errors)


def test_a_bulk_refusal_says_why_its_reason_was_refused(signed_in, alice, bob):
    from affiliations.models import RequestStatus, Role
    from tests.factories import attach, make_structure, pending_request

    structure = make_structure("Mairie")
    attach(alice, structure, role=Role.MAIN_MANAGER)
    req = pending_request(bob, structure)
    client = signed_in(english_speaker(alice))
    response = client.post(
        reverse("affiliations:requests-decide"),
        {"requests": [req.pk], "action": "refuse", "reason": "Non\u202e merci"},
        follow=True,
    )
    assert "invisible or control character (U+202E)" in response.content.decode()
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING


def test_text_stored_before_the_fix_is_cleaned_in_portal_mails(mailoutbox):
    from chorus_portal.mail import queue_mail

    queue_mail(
        to="someone@example.fr",
        template_prefix="accounts/email/security_notice",
        context={"name": "Ali\u202ece\x85\u200b Martin"},
        language="en",
    )
    body = mailoutbox[0].body
    assert "Hello Alice Martin," in body
    assert not re.search("[\u202e\x85\u200b]", body)


# --- allauth's mails in the portal's voice ---------------------------------------------


@pytest.mark.parametrize(
    ("language", "subject", "sentence"),
    [
        (
            "fr",
            "[Chorus Pro] Confirmez votre adresse électronique",
            "vient d'être créé sur Chorus Pro avec l'adresse de connexion new@example.fr.",
        ),
        (
            "en",
            "[Chorus Pro] Confirm your e-mail address",
            "An account has just been created on Chorus Pro with the login address new@example.fr.",
        ),
    ],
)
def test_the_signup_confirmation_names_chorus_pro(client, mailoutbox, language, subject, sentence):
    client.cookies["django_language"] = language
    client.post(reverse("account_signup"), signup_data(first_name=NAME))
    [mail] = mailoutbox
    assert mail.to == ["new@example.fr"]
    assert mail.subject == subject
    assert sentence in mail.body
    assert re.search(r"https?://testserver/accounts/confirm-email/\S+", mail.body)
    assert ("L'équipe Chorus Pro" if language == "fr" else "The Chorus Pro team") in mail.body
    # No empty site name, and no name typed by whoever signed up.
    assert "  " not in mail.body and " !" not in mail.body.replace("Chorus Pro !", "")
    assert "Zoë" not in mail.body and "Nina" not in mail.body


def test_the_confirmation_sent_again_at_login_names_the_address(client, mailoutbox):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client.post(reverse("account_signup"), signup_data())
        traveller.move_to(start + timedelta(minutes=4))
        client.post(
            reverse("account_login"),
            {"login": "new@example.fr", "password": "Solid-Passphrase-42"},
        )
    assert len(mailoutbox) == 2
    again = mailoutbox[1]
    assert again.subject == "[Chorus Pro] Confirmez votre adresse électronique"
    assert "Confirmez que new@example.fr est l'adresse de votre compte Chorus Pro" in again.body
    assert re.search(r"https?://testserver/accounts/confirm-email/\S+", again.body)


def test_the_adapter_gives_templates_the_portals_name(rf):
    from allauth.core import context as allauth_context

    from accounts.adapter import PortalAccountAdapter

    request = rf.get("/", HTTP_HOST="testserver")
    captured = {}

    class Capturing(PortalAccountAdapter):
        def render_mail(self, template_prefix, email, context, headers=None):
            captured.update(context)
            return super().render_mail(template_prefix, email, context, headers)

    with allauth_context.request_context(request):
        Capturing().send_mail(
            "account/email/unknown_account", "x@example.fr", {"signup_url": "http://x/"}
        )
    assert captured["current_site"].name == "Chorus Pro"
    assert captured["current_site"].domain == "testserver"
    assert captured["email"] == "x@example.fr"


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("fr", "d'un compte Chorus Pro avec l'adresse nobody@example.fr, mais aucun compte"),
        ("en", "of a Chorus Pro account with the address nobody@example.fr, but no Chorus Pro"),
    ],
)
def test_the_unknown_account_mail_gives_the_address(client, mailoutbox, language, sentence):
    client.cookies["django_language"] = language
    client.post(reverse("account_reset_password"), {"email": "nobody@example.fr"})
    [mail] = mailoutbox
    assert mail.to == ["nobody@example.fr"]
    assert sentence in mail.body
    assert "http://testserver/accounts/signup/" in mail.body


def test_the_account_exists_mail_is_in_the_owners_language(client, alice, mailoutbox):
    alice.language = "en"
    alice.save(update_fields=["language"])
    client.post(reverse("account_signup"), signup_data(email=alice.email))
    [mail] = mailoutbox
    assert mail.to == [alice.email]
    assert mail.subject == "[Chorus Pro] Sign-up attempt with your address"
    assert f"with the address {alice.email}, but an account already uses it" in mail.body
    assert "http://testserver/accounts/password/reset/" in mail.body


def test_the_reset_mail_names_the_account_and_not_the_person(client, alice, mailoutbox):
    client.post(reverse("account_reset_password"), {"email": alice.email})
    [mail] = mailoutbox
    assert mail.subject == "[Chorus Pro] Choisissez un nouveau mot de passe"
    assert f"votre compte Chorus Pro {alice.email}." in mail.body
    assert "Alice" not in mail.body and "Martin" not in mail.body


# --- lost password: limits and the mail after a reset -----------------------------------


def reset(client, email, **extra):
    return client.post(reverse("account_reset_password"), {"email": email}, **extra)


@pytest.mark.parametrize("known", [True, False])
def test_three_reset_mails_an_hour_per_address_then_the_same_answer(
    client, alice, mailoutbox, known
):
    email = alice.email if known else "nobody@example.fr"
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        answers = [reset(client, email) for _ in range(5)]
        assert len(mailoutbox) == 3
        assert {(a.status_code, a.url) for a in answers} == {
            (302, reverse("account_reset_password_done"))
        }
        # Another spelling of the same address is the same address.
        reset(client, email.upper())
        assert len(mailoutbox) == 3
        # The withheld requests are logged, once an hour, not once each.
        withheld = ActivityLog.objects.filter(action=Action.PASSWORD_RESET_WITHHELD)
        assert withheld.count() == 1
        assert withheld.get().subject == (alice if known else None)
        assert withheld.get().ip == "127.0.0.1"

        traveller.move_to(start + timedelta(hours=1, seconds=1))
        reset(client, email)
        assert len(mailoutbox) == 4


def test_ten_reset_mails_a_day_per_address(client, alice, mailoutbox):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for hour in range(5):
            traveller.move_to(start + timedelta(hours=hour, seconds=hour))
            for _ in range(3):
                reset(client, alice.email, REMOTE_ADDR=f"10.0.0.{hour}")
        assert len(mailoutbox) == 10


def test_twenty_reset_requests_an_hour_per_ip(client, mailoutbox):
    # An address of its own: the limits are counted in the cache, which the browser
    # tests' lost-password steps (from 127.0.0.1) also feed and no database flush empties.
    ip = "10.20.30.40"
    answers = [reset(client, f"someone{n}@example.fr", REMOTE_ADDR=ip) for n in range(21)]
    assert len(mailoutbox) == 20
    assert answers[-1].status_code == 302
    assert answers[-1].url == answers[0].url
    assert ActivityLog.objects.filter(action=Action.PASSWORD_RESET_WITHHELD).count() == 1
    # Another IP is not held back.
    reset(client, "someone@example.fr", REMOTE_ADDR="10.1.2.3")
    assert len(mailoutbox) == 21


def complete_reset(client, mailoutbox, email, password="Brand-New-Pass-77", **extra):
    reset(client, email)
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+)", mailoutbox[-1].body)
    response = client.get(link.group(1), follow=True)
    form_url = response.redirect_chain[-1][0]
    return client.post(form_url, {"password1": password, "password2": password}, **extra)


@pytest.mark.parametrize(
    ("language", "subject", "sentences"),
    [
        (
            "fr",
            "[Chorus Pro] Votre mot de passe a été modifié",
            ["Adresse IP : 127.0.0.1", "Navigateur : Mozilla/5.0 Test", "Si ce n'était pas vous"],
        ),
        (
            "en",
            "[Chorus Pro] Your password has been changed",
            ["IP address: 127.0.0.1", "Browser: Mozilla/5.0 Test", "If it was not you"],
        ),
    ],
)
def test_a_completed_reset_is_mailed_and_logged(
    client, alice, mailoutbox, language, subject, sentences
):
    alice.language = language
    alice.save(update_fields=["language"])
    response = complete_reset(
        client, mailoutbox, alice.email, HTTP_USER_AGENT="Mozilla/5.0 Test\x85\u202e"
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("Brand-New-Pass-77")
    mail = mailoutbox[-1]
    assert mail.to == [alice.email] and mail.subject == subject
    for sentence in sentences:
        assert sentence in mail.body, mail.body
    with translation.override(language):
        from django.utils.formats import date_format

        assert date_format(timezone.localtime(), "DATETIME_FORMAT")[:6] in mail.body
    assert "http://testserver/accounts/password/reset/" in mail.body
    assert not re.search("[\x85\u202e]", mail.body)
    entry = ActivityLog.objects.get(action=Action.PASSWORD_RESET)
    assert entry.actor == alice and entry.subject == alice and entry.ip == "127.0.0.1"


def test_a_failed_reset_sends_no_change_mail(client, alice, mailoutbox):
    response = complete_reset(client, mailoutbox, alice.email, password="weak")
    assert response.status_code == 200
    assert len(mailoutbox) == 1
    assert not ActivityLog.objects.filter(action=Action.PASSWORD_RESET).exists()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
