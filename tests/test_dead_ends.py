"""Dead ends a new user met: a decided request's refuse page, a deactivated account, one's
own pending requests, and the language chosen on the login page."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from activity.models import Action, ActivityLog
from affiliations import selectors
from affiliations.models import (
    Affiliation,
    AffiliationStatus,
    Request,
    RequestKind,
    RequestStatus,
    Role,
)
from affiliations.workflow import decide, expire_stale
from tests.conftest import PASSWORD, full_login, last_code, make_user, password_login
from tests.factories import attach, make_structure, pending_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def structure(db):
    return make_structure("Direction régionale des finances publiques", services=2)


@pytest.fixture
def manager(structure):
    user = make_user("claire@example.fr", first_name="Claire", last_name="Martin")
    attach(user, structure, role=Role.MAIN_MANAGER)
    return user


# --- 9. an already-decided request ---------------------------------------------------


def refuse_page(client, req):
    return client.get(reverse("affiliations:request-refuse", args=[req.pk]))


def test_the_refuse_page_of_a_pending_request_shows_the_form(signed_in, alice, manager, structure):
    req = pending_request(alice, structure)
    html = refuse_page(signed_in(manager), req).content.decode()
    assert 'name="reason"' in html


@pytest.mark.parametrize(
    ("approve", "said"),
    [(True, "Cette demande a été validée par Claire Martin le"), (False, "a été refusée par")],
)
def test_a_decided_request_says_by_whom_and_when(
    signed_in, alice, manager, structure, approve, said
):
    req = pending_request(alice, structure)
    decide(req=req, by=manager, approve=approve, reason="" if approve else "Hors périmètre")
    req.refresh_from_db()
    response = refuse_page(signed_in(manager), req)
    assert response.status_code == 200
    html = response.content.decode()
    assert said in html
    assert timezone.localtime(req.decided_at).strftime("%Y") in html
    assert 'name="reason"' not in html and "Refuser la demande" not in html
    if not approve:
        assert "Hors périmètre" in html
    # And a POST on it changes nothing.
    signed_in(manager).post(
        reverse("affiliations:request-refuse", args=[req.pk]), {"reason": "encore"}
    )
    req.refresh_from_db()
    assert req.status == (RequestStatus.APPROVED if approve else RequestStatus.REFUSED)


def test_a_cancelled_or_expired_request_says_so(signed_in, alice, manager, structure):
    from affiliations.workflow import cancel

    cancelled = pending_request(alice, structure)
    cancel(req=cancelled, by=alice)
    assert "a été annulée le" in refuse_page(signed_in(manager), cancelled).content.decode()
    with time_machine.travel(timezone.now() - timezone.timedelta(days=100), tick=False):
        old = pending_request(alice, structure, comment="vieux")
    assert expire_stale(older_than_days=90) == 1
    assert "a expiré le" in refuse_page(signed_in(manager), old).content.decode()


def test_a_decided_request_of_another_structure_is_still_a_404(signed_in, alice, structure):
    req = pending_request(alice, structure)
    other = make_user("autre@example.fr")
    attach(other, make_structure("Ailleurs"), role=Role.MAIN_MANAGER)
    manager = make_user("m@example.fr")
    attach(manager, structure, role=Role.MAIN_MANAGER)
    decide(req=req, by=manager, approve=True)
    assert refuse_page(signed_in(other), req).status_code == 404


# --- 11. cancelling one's own pending request ------------------------------------------


def cancel_url(req):
    return reverse("affiliations:request-cancel", args=[req.pk])


def test_the_requester_cancels_from_the_history(signed_in, alice, manager, structure):
    req = pending_request(alice, structure)
    client = signed_in(alice)
    history = client.get(reverse("affiliations:request-list")).content.decode()
    assert cancel_url(req) in history and "Annuler la demande" in history
    assert selectors.pending_approvals_count(manager) == 1

    response = client.post(cancel_url(req))
    assert response.status_code == 302 and response.url == reverse("affiliations:request-list")
    req.refresh_from_db()
    assert req.status == RequestStatus.CANCELLED and req.decided_at is not None
    entry = ActivityLog.objects.get(action=Action.REQUEST_CANCELLED)
    assert entry.actor == alice and entry.detail["request_id"] == req.pk
    # The managers' inbox and counter drop it.
    assert selectors.pending_approvals_count(manager) == 0
    assert selectors.requests_waiting_on(manager).paginator.count == 0
    manager_area = signed_in(manager).get(reverse("affiliations:users-area")).content.decode()
    assert "Aucune demande n'attend votre validation" in manager_area
    history = client.get(reverse("affiliations:request-list")).content.decode()
    assert "Annulée" in history and cancel_url(req) not in history
    assert "a été annulée" in history  # the success message


def test_cancelling_permission_matrix(client, signed_in, alice, bob, manager, structure):
    req = pending_request(alice, structure)
    # Someone else's request, the manager's included: 404, nothing changes.
    assert signed_in(bob).post(cancel_url(req)).status_code == 404
    assert signed_in(manager).post(cancel_url(req)).status_code == 404
    # Anonymous: to the login page; a GET is not a way to cancel.
    assert reverse("account_login") in client.post(cancel_url(req)).url
    assert signed_in(alice).get(cancel_url(req)).status_code == 405
    # An unknown id: 404.
    assert (
        signed_in(alice).post(reverse("affiliations:request-cancel", args=[999999])).status_code
        == 404
    )
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING
    assert not ActivityLog.objects.filter(action=Action.REQUEST_CANCELLED).exists()


def test_a_decided_request_cannot_be_cancelled(signed_in, alice, manager, structure):
    req = pending_request(alice, structure)
    decide(req=req, by=manager, approve=True)
    client = signed_in(alice)
    response = client.post(cancel_url(req), follow=True)
    assert "avait déjà été traitée" in response.content.decode()
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED


# --- 10. a deactivated account asks for reactivation -----------------------------------


@pytest.fixture
def deactivated(alice, structure, manager):
    from accounts.services import deactivate

    attach(alice, structure)
    deactivate(user=alice, by=alice)
    alice.refresh_from_db()
    return alice


def inactive_page(client):
    return client.get(reverse("account_inactive")).content.decode()


def test_the_right_password_leads_to_an_explanation_and_one_step(
    client, deactivated, mailoutbox, django_capture_on_commit_callbacks
):
    response = client.post(
        reverse("account_login"), {"login": deactivated.email, "password": PASSWORD}
    )
    assert response.status_code == 302 and response.url == reverse("account_inactive")
    html = inactive_page(client)
    assert "Votre compte est désactivé" in html
    assert "gestionnaire" in html and "support" in html
    assert "Demander la réactivation de mon compte" in html
    # Nothing of the account is shown.
    for private in (deactivated.email, "Alice", "Martin", "Direction régionale"):
        assert private not in html
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_inactive"), {"comment": "Je reprends le poste."})
    assert response.status_code == 302
    req = Request.objects.get(requester=deactivated, kind=RequestKind.REACTIVATION)
    assert req.status == RequestStatus.PENDING and req.comment == "Je reprends le poste."
    assert ActivityLog.objects.filter(
        action=Action.REQUEST_SUBMITTED, actor=deactivated, detail__kind="reactivation"
    ).exists()
    # The owner's address is told (someone else with the password would be noticed),
    # and the structure's manager hears of a new request.
    to_owner = [m for m in mailoutbox if m.to == [deactivated.email]]
    assert len(to_owner) == 1
    assert "Réactivation de votre compte demandée" in to_owner[0].subject
    assert {tuple(m.to) for m in mailoutbox} == {(deactivated.email,), ("claire@example.fr",)}
    # The proof is spent: the page now only explains.
    html = inactive_page(client)
    assert "Votre demande a été envoyée" in html
    assert "Demander la réactivation de mon compte" not in html


def test_the_request_reaches_the_managers_who_reactivate(
    client, signed_in, deactivated, manager, mailoutbox, django_capture_on_commit_callbacks
):
    second = make_structure("Ministère de l'Intérieur")
    second_manager = make_user("m2@example.fr")
    attach(second_manager, second, role=Role.MAIN_MANAGER)
    Affiliation.objects.create(
        user=deactivated, structure=second, status=AffiliationStatus.DEACTIVATED
    )
    password_login_inactive(client, deactivated)
    client.post(reverse("account_inactive"), {"comment": ""})
    reqs = Request.objects.filter(requester=deactivated, kind=RequestKind.REACTIVATION)
    assert {r.structure_id for r in reqs} == {
        Affiliation.objects.get(user=manager).structure_id,
        second.pk,
    }
    assert reqs[0].comment == "Réactivation demandée depuis la page de connexion."
    assert selectors.pending_approvals_count(manager) == 1
    assert selectors.pending_approvals_count(second_manager) == 1
    mine = reqs.get(structure__affiliations__user=manager)
    manager_client = signed_in(manager)
    area = manager_client.get(reverse("affiliations:users-area")).content.decode()
    assert "Réactivation de compte" in area
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(reverse("affiliations:requests-decide"), {"approve": mine.pk})
    deactivated.refresh_from_db()
    assert deactivated.is_active
    assert set(Affiliation.objects.filter(user=deactivated).values_list("status", flat=True)) == {
        AffiliationStatus.ACTIVE
    }
    mine.refresh_from_db()
    assert mine.status == RequestStatus.APPROVED and mine.decided_by == manager
    # The other structure's request has no object any more; no second record either.
    other = reqs.exclude(pk=mine.pk).get()
    assert other.status == RequestStatus.CANCELLED
    assert reqs.count() == 2
    assert ActivityLog.objects.filter(
        action=Action.ACCOUNT_REACTIVATED, actor=manager, subject=deactivated
    ).exists()
    # One mail: "your account has been reactivated".
    assert len(mailoutbox) == 1 and "réactivé" in mailoutbox[0].subject
    full_login(client, mailoutbox, deactivated.email)
    assert client.get(reverse("home")).status_code == 200


def password_login_inactive(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.url == reverse("account_inactive")


def test_nobody_asks_without_the_password(client, deactivated):
    # Straight to the page: an explanation, no form; a forged POST does nothing.
    html = inactive_page(client)
    assert "Demander la réactivation de mon compte" not in html
    assert "connectez-vous avec votre adresse de connexion et votre mot de passe" in html
    client.post(reverse("account_inactive"), {"comment": "spam"})
    # A wrong password does not open it either.
    client.post(reverse("account_login"), {"login": deactivated.email, "password": "wrong-Pass-1!"})
    assert "Demander la réactivation de mon compte" not in inactive_page(client)
    client.post(reverse("account_inactive"), {"comment": "spam"})
    assert not Request.objects.filter(kind=RequestKind.REACTIVATION).exists()


def test_the_proof_lasts_fifteen_minutes(client, deactivated):
    password_login_inactive(client, deactivated)
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=16)):
        client.post(reverse("account_inactive"), {"comment": ""})
    assert not Request.objects.filter(kind=RequestKind.REACTIVATION).exists()


def test_asking_again_is_refused_while_waiting_and_for_a_day(
    client, client_factory, signed_in, deactivated, manager, mailoutbox
):
    password_login_inactive(client, deactivated)
    client.post(reverse("account_inactive"), {})
    first = Request.objects.get(kind=RequestKind.REACTIVATION)
    # A new password step (another browser) sees that it is waiting, and cannot add one.
    again = client_factory()
    password_login_inactive(again, deactivated)
    html = inactive_page(again)
    assert "La réactivation a été demandée le" in html
    assert "Demander la réactivation de mon compte" not in html
    again.post(reverse("account_inactive"), {})
    assert Request.objects.filter(kind=RequestKind.REACTIVATION).count() == 1
    # Refused: still nothing new for a day after the request...
    decide(req=first, by=manager, approve=False, reason="Poste supprimé")
    password_login_inactive(again, deactivated)
    again.post(reverse("account_inactive"), {})
    assert Request.objects.filter(kind=RequestKind.REACTIVATION).count() == 1
    # ... then it can be asked again.
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=25)):
        password_login_inactive(again, deactivated)
        again.post(reverse("account_inactive"), {})
    assert Request.objects.filter(kind=RequestKind.REACTIVATION).count() == 2


def test_without_a_structure_the_request_goes_to_the_support(client, alice):
    from accounts.services import deactivate

    deactivate(user=alice, by=alice)
    password_login_inactive(client, alice)
    client.post(reverse("account_inactive"), {})
    req = Request.objects.get(kind=RequestKind.REACTIVATION)
    assert req.structure is None and req.status == RequestStatus.PENDING


def test_the_comment_is_checked_like_every_typed_text(client, deactivated):
    password_login_inactive(client, deactivated)
    response = client.post(reverse("account_inactive"), {"comment": "abc\u202edef"})
    assert response.status_code == 200
    assert "U+202E" in response.content.decode()
    assert not Request.objects.filter(kind=RequestKind.REACTIVATION).exists()


# --- 12. the language chosen on the login page ---------------------------------------


def test_the_language_chosen_on_the_login_page_wins_and_is_kept(client, alice, mailoutbox):
    assert alice.language == "fr"
    client.post(reverse("set_language"), {"language": "en", "next": reverse("account_login")})
    password_login(client, alice.email)
    alice.refresh_from_db()
    assert alice.language == "en"
    assert ActivityLog.objects.filter(
        action=Action.PREFERENCES_CHANGED, actor=alice, detail__fields=["language"]
    ).exists()
    # The code mail and the factor page are in English, and so is everything after.
    assert "security code" in mailoutbox[-1].subject.lower()
    assert '<html lang="en"' in client.get(reverse("mfa:verify")).content.decode()
    client.post(
        reverse("mfa:verify"), {"code": last_code(mailoutbox, alice.email), "action": "verify"}
    )
    assert '<html lang="en"' in client.get(reverse("home")).content.decode()


def test_french_chosen_on_the_login_page_wins_over_a_stored_english(client, alice, mailoutbox):
    alice.language = "en"
    alice.save()
    client.post(reverse("set_language"), {"language": "fr", "next": reverse("account_login")})
    full_login(client, mailoutbox, alice.email)
    alice.refresh_from_db()
    assert alice.language == "fr"
    assert '<html lang="fr"' in client.get(reverse("home")).content.decode()


def test_without_a_choice_the_stored_preference_stays(client, alice, mailoutbox):
    alice.language = "en"
    alice.save()
    full_login(client, mailoutbox, alice.email)
    alice.refresh_from_db()
    assert alice.language == "en"
    assert '<html lang="en"' in client.get(reverse("home")).content.decode()
    assert not ActivityLog.objects.filter(action=Action.PREFERENCES_CHANGED).exists()
