"""Wording (plurals, French articles, detachment, country) and the State site's mandatory
pages, with the purge that keeps the personal-data page true."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from activity.models import Action, ActivityLog
from activity.services import log_event
from affiliations.models import Role
from chorus_portal.names import french_in, french_of, french_the, of_structure
from chorus_portal.retention import RETENTION
from tests.conftest import make_user
from tests.factories import attach, make_structure, pending_request

ROOT = Path(__file__).resolve().parent.parent

# --- plurals -----------------------------------------------------------------------------


def test_no_source_text_hedges_a_plural_with_parentheses():
    """Plurals go through ngettext / {% blocktranslate count %}: no "request(s)"."""
    hedged = re.compile(r"[A-Za-zéè]\((?:s|e|es)\)")
    offenders = []
    for folder in (
        "accounts",
        "activity",
        "affiliations",
        "authorizations",
        "chorus_portal",
        "mfa",
        "templates",
    ):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".py", ".html", ".txt"} and "migrations" not in path.parts:
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                    if hedged.search(line):
                        offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        ("fr", "1 demande validée.", "2 demandes validées."),
        ("en", "1 request approved.", "2 requests approved."),
    ],
)
def test_approvals_are_counted_in_words(signed_in, language, one, two):
    structure = make_structure("Mairie de Nantes")
    manager = make_user("chef@example.fr", language=language)
    attach(manager, structure, role=Role.MAIN_MANAGER)
    first = pending_request(make_user("a@example.fr"), structure)
    client = signed_in(manager)
    page = client.post(reverse("affiliations:requests-decide"), {"approve": first.pk}, follow=True)
    assert one in page.content.decode()
    reqs = [pending_request(make_user(f"{n}@example.fr"), structure) for n in "bc"]
    page = client.post(
        reverse("affiliations:requests-decide"),
        {"requests": [r.pk for r in reqs], "action": "approve"},
        follow=True,
    )
    assert two in page.content.decode()


@pytest.mark.django_db
def test_refusals_are_counted_in_words(signed_in):
    structure = make_structure("Mairie de Nantes")
    manager = make_user("chef@example.fr")
    attach(manager, structure, role=Role.MAIN_MANAGER)
    req = pending_request(make_user("a@example.fr"), structure)
    page = signed_in(manager).post(
        reverse("affiliations:request-refuse", args=[req.pk]), {"reason": "Non"}, follow=True
    )
    assert "1 demande refusée." in page.content.decode()


# --- French articles in structure names -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "the", "of", "in_"),
    [
        (
            "Direction régionale des finances publiques",
            "la Direction régionale des finances publiques",
            "de la Direction régionale des finances publiques",
            "au sein de la Direction régionale des finances publiques",
        ),
        ("Ministère des Armées", "le Ministère des Armées", "du Ministère des Armées", None),
        ("Agence nationale", "l'Agence nationale", "de l'Agence nationale", None),
        ("Services du Premier ministre", None, "des Services du Premier ministre", None),
        (
            "Informatique Éléonore SAS",
            "Informatique Éléonore SAS",
            "d'Informatique Éléonore SAS",
            "au sein d'Informatique Éléonore SAS",
        ),
        ("Durand et Fils", "Durand et Fils", "de Durand et Fils", None),
        ("Le Bon Marché", "Le Bon Marché", "du Bon Marché", None),
        ("La Poste", "La Poste", "de La Poste", None),
        ("Les Échos", "Les Échos", "des Échos", None),
        ("L'Oréal", "L'Oréal", "de L'Oréal", None),
        ("Hôpital Nord", "l'Hôpital Nord", "de l'Hôpital Nord", None),
    ],
)
def test_french_articles(name, the, of, in_):
    if the is not None:
        assert french_the(name) == the
    assert french_of(name) == of
    if in_ is not None:
        assert french_in(name) == in_


def test_english_needs_no_article():
    with translation.override("en"):
        assert of_structure("Direction régionale") == "of Direction régionale"
    with translation.override("fr"):
        assert of_structure("Direction régionale") == "de la Direction régionale"


@pytest.mark.django_db
def test_structure_names_in_french_sentences(
    signed_in, mailoutbox, django_capture_on_commit_callbacks
):
    from affiliations.workflow import decide

    structure = make_structure("Direction régionale des finances publiques", services=1)
    manager = make_user("chef@example.fr")
    attach(manager, structure, role=Role.MAIN_MANAGER)
    member = make_user("membre@example.fr", first_name="Hugo")
    affiliation = attach(member, structure)
    client = signed_in(manager)
    area = client.get(reverse("affiliations:users-area")).content.decode()
    assert "Transférer le rôle de gestionnaire principal de la Direction régionale" in area
    page = client.get(reverse("affiliations:role-transfer", args=[structure.pk])).content.decode()
    assert "l'utilisateur actif de la Direction régionale" in page
    page = client.get(
        reverse("authorizations:member-authorizations", args=[affiliation.pk])
    ).content.decode()
    assert "au sein de la Direction régionale" in page
    req = pending_request(make_user("c@example.fr"), structure)
    with django_capture_on_commit_callbacks(execute=True):
        decide(req=req, by=manager, approve=True)
    assert "concernant la Direction régionale des finances publiques" in mailoutbox[-1].body
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("affiliations:role-transfer", args=[structure.pk]),
            {"new_manager": member.pk},
            follow=True,
        )
    assert "désormais gestionnaire principal de la Direction régionale" in response.content.decode()
    assert "gestionnaire principal de la Direction régionale" in mailoutbox[-1].subject


@pytest.mark.parametrize(
    ("prefix", "context", "french", "english"),
    [
        (
            "authorizations/email/profiles_changed",
            {
                "structure": "Direction régionale X",
                "structure_name": "Direction régionale X",
                "by": "Claire",
                "changes": [],
                "url": "/",
            },
            "Claire a modifié vos profils sur la Direction régionale X",
            "Claire changed your profiles on Direction régionale X",
        ),
        (
            "notifications/email/event",
            {
                "structure": "Ministère des Armées",
                "application": "Facturation",
                "title": "t",
                "link": "/",
                "account_url": "/",
            },
            "pour le Ministère des Armées",
            "for Ministère des Armées",
        ),
    ],
)
def test_structure_names_in_french_mails(prefix, context, french, english):
    from chorus_portal.mail import render_mail

    subject_fr, body_fr = render_mail(prefix, {"name": "Hugo", **context}, "fr")
    _, body_en = render_mail(prefix, {"name": "Hugo", **context}, "en")
    assert french in body_fr
    assert english in body_en
    if prefix.startswith("authorizations"):
        assert "Vos profils sur la Direction régionale X ont changé" in subject_fr


# --- no "encore" after a detachment; the country by name --------------------------------


@pytest.mark.django_db
def test_after_a_detachment_no_yet(signed_in, alice):
    structure = make_structure("Mairie de Lille")
    affiliation = attach(alice, structure)
    client = signed_in(alice)
    client.post(
        reverse("affiliations:affiliation-detach"),
        {"affiliation": affiliation.pk, "scope": "structure"},
    )
    page = client.get(reverse("affiliations:affiliation-list")).content.decode()
    assert "Vous n'êtes rattaché à aucune structure." in page
    assert "encore" not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "country", "shown"),
    [("fr", "FR", "France"), ("fr", "DE", "Allemagne"), ("en", "DE", "Germany")],
)
def test_the_country_is_shown_by_name(signed_in, alice, language, country, shown):
    alice.language = language
    alice.street, alice.postal_code, alice.city, alice.country = (
        "1 rue X",
        "10115",
        "Berlin",
        country,
    )
    alice.save()
    page = signed_in(alice).get(reverse("accounts:account")).content.decode()
    assert shown in page
    assert f"({country})" not in page


# --- the State site's mandatory pages ----------------------------------------------------

LEGAL = {
    "accessibility": {
        "fr": [
            "Déclaration d'accessibilité",
            "partiellement conforme",
            "RGAA",
            "axe-core",
            "1280, 390 et 320 pixels",
            "au clavier",
            "lecteurs d'écran",
            "10.11",
            "Défenseur des droits",
        ],
        "en": [
            "Accessibility statement",
            "partially compliant",
            "RGAA",
            "axe-core",
            "1280, 390 and 320 pixels",
            "keyboard",
            "screen readers",
            "10.11",
            "Défenseur des droits",
        ],
    },
    "legal-notice": {
        "fr": ["Mentions légales", "Éditeur", "AIFE", "Hébergement"],
        "en": ["Legal notice", "Publisher", "AIFE", "Hosting"],
    },
    "personal-data": {
        "fr": [
            "Données personnelles",
            "adresse IP",
            "Journal d'activité",
            "365 jours",
            "accès",
            "rectification",
            "effacement",
            "portabilité",
            "CNIL",
            "n'est pas encore supprimé automatiquement",
        ],
        "en": [
            "Personal data",
            "IP address",
            "Activity log",
            "365 days",
            "access",
            "rectification",
            "erasure",
            "portability",
            "CNIL",
            "not yet deleted automatically",
        ],
    },
    "cookies": {
        "fr": [
            "Gestion des cookies",
            "sessionid",
            "csrftoken",
            "django_language",
            "messages",
            "aucun cookie de mesure d'audience",
        ],
        "en": [
            "Cookie management",
            "sessionid",
            "csrftoken",
            "django_language",
            "messages",
            "no audience-measurement",
        ],
    },
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("name", sorted(LEGAL))
def test_the_legal_pages_in_both_languages(client, settings, name, language):
    if language == "en":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert f'<html lang="{language}"' in html
    for text in LEGAL[name][language]:
        assert text in html, text
    if name == "personal-data":
        assert settings.DPO_EMAIL in html
        assert f"{RETENTION['session_idle_minutes']} minutes" in html


@pytest.mark.django_db
def test_the_footer_links_to_the_legal_pages(client):
    html = client.get(reverse("account_login")).content.decode()
    for name, label in [
        ("accessibility", "Accessibilité : partiellement conforme"),
        ("legal-notice", "Mentions légales"),
        ("personal-data", "Données personnelles"),
        ("cookies", "Gestion des cookies"),
    ]:
        assert f'href="{reverse(name)}">{label}</a>' in html


# Every field of the account is on the personal-data page (add it there with a new field).
USER_FIELDS_ON_THE_PAGE = {
    "email": "adresse électronique de connexion",
    "first_name": "prénom",
    "last_name": "nom",
    "phone": "téléphone",
    "street": "rue",
    "address_complement": "complément",
    "postal_code": "code postal",
    "city": "ville",
    "country": "pays",
    "photo": "Votre photo",
    "biography": "biographie",
    "language": "langue",
    "accessibility_enabled": "mode accessible",
    "survey_consent": "enquêtes de satisfaction",
    "notify_transferability": "notifications",
    "notify_commitments": "notifications",
    "notify_invoicing": "notifications",
    "notify_weekly_summary": "résumé hebdomadaire",
    "login_failure_count": "échecs de connexion",
    "login_failure_at": "date du dernier échec",
    "is_active": "actif ou désactivé",
    "date_joined": "date de création",
    "last_login": "dernière connexion",
    "password": "empreinte du mot de passe",
}
# Not about the person: internal counters and the support's own flags.
USER_FIELDS_NOT_PERSONAL = {"id", "session_generation", "is_staff", "is_superuser"}


@pytest.mark.django_db
def test_the_personal_data_page_names_every_field_of_the_account(client):
    from accounts.models import User

    fields = {f.name for f in User._meta.concrete_fields}
    assert fields - USER_FIELDS_NOT_PERSONAL <= set(USER_FIELDS_ON_THE_PAGE), (
        fields - USER_FIELDS_NOT_PERSONAL - set(USER_FIELDS_ON_THE_PAGE)
    )
    html = unescape(client.get(reverse("personal-data")).content.decode())
    for field, words in USER_FIELDS_ON_THE_PAGE.items():
        assert words in html, field


# --- the daily purge ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_purge_deletes_what_outlived_its_retention(alice):
    from django.contrib.admin.models import ADDITION, LogEntry
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import cache

    from mfa.models import EmailCode
    from mfa.services import email_device_for
    from notifications.models import SummarySent

    long_ago = timezone.now() - timezone.timedelta(days=RETENTION["activity_log_days"] + 1)
    with time_machine.travel(long_ago, tick=False):
        old = log_event(Action.LOGIN_FAILED, subject=alice)
        LogEntry.objects.create(
            user=alice,
            content_type=ContentType.objects.get_for_model(alice),
            object_id=str(alice.pk),
            object_repr="old",
            action_flag=ADDITION,
            action_time=timezone.now(),
        )
        SummarySent.objects.create(user=alice, week=long_ago.date())
    recent = log_event(Action.LOGIN_FAILED, subject=alice)
    this_week = SummarySent.objects.create(user=alice, week=timezone.now().date())
    device = email_device_for(alice)
    now = timezone.now()
    EmailCode.objects.create(
        device=device,
        attempt="a" * 64,
        digest="d" * 64,
        sent_at=now,
        valid_until=now - timezone.timedelta(seconds=1),
    )
    live = EmailCode.objects.create(
        device=device,
        attempt="b" * 64,
        digest="d" * 64,
        sent_at=now,
        valid_until=now + timezone.timedelta(minutes=5),
    )
    cache.set("portal-test-expired", 1, timeout=1)
    cache.set("portal-test-live", 1, timeout=3600)

    with time_machine.travel(now + timezone.timedelta(seconds=2), tick=False):
        call_command("purge_personal_data", verbosity=0)

    assert not ActivityLog.objects.filter(pk=old.pk).exists()
    assert ActivityLog.objects.filter(pk=recent.pk).exists()
    assert not LogEntry.objects.filter(object_repr="old").exists()
    assert list(SummarySent.objects.values_list("pk", flat=True)) == [this_week.pk]
    assert list(EmailCode.objects.values_list("pk", flat=True)) == [live.pk]
    assert cache.get("portal-test-live") == 1
    purged = ActivityLog.objects.get(action=Action.DATA_PURGED)
    assert purged.detail["activity_entries"] == 1
    assert purged.detail["admin_history_entries"] == 1
    assert purged.detail["summary_markers"] == 1 and purged.detail["email_codes"] == 1
    assert purged.detail["cache_entries"] >= 1


@pytest.mark.django_db
def test_the_mail_records_live_as_long_as_the_page_says(alice):
    """The personal-data page's figure for mails is the mail sweep's."""
    from chorus_portal.mail import sweep
    from chorus_portal.models import MailStatus, OutgoingMail

    def mail(days_ago):
        with time_machine.travel(timezone.now() - timezone.timedelta(days=days_ago), tick=False):
            return OutgoingMail.objects.create(
                to=alice.email,
                subject="s",
                language="fr",
                status=MailStatus.SENT,
                give_up_at=timezone.now(),
            )

    kept = mail(RETENTION["mail_keep_days"] - 1)
    mail(RETENTION["mail_keep_days"] + 1)
    sweep()
    assert list(OutgoingMail.objects.values_list("pk", flat=True)) == [kept.pk]


@pytest.mark.django_db
def test_the_activity_log_stays_append_only_otherwise(alice):
    from activity.models import AppendOnlyError

    entry = log_event(Action.LOGIN_FAILED, subject=alice)
    with pytest.raises(AppendOnlyError):
        ActivityLog.objects.filter(pk=entry.pk).delete()
    with pytest.raises(AppendOnlyError):
        entry.delete()
