"""Affiliations: request, approve or refuse, detach, transfer the main manager role."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from activity.models import Action, ActivityLog
from affiliations.models import (
    Affiliation,
    AffiliationStatus,
    Request,
    RequestStatus,
    Role,
)
from tests.conftest import make_user
from tests.factories import attach, make_structure, pending_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def structure_a(db):
    return make_structure("Mairie d'Écully", services=5)


@pytest.fixture
def structure_b(db):
    return make_structure("Préfecture du Rhône", services=3)


@pytest.fixture
def manager_a(structure_a):
    user = make_user("claire@example.fr", first_name="Claire", last_name="Manager")
    attach(user, structure_a, role=Role.MAIN_MANAGER)
    return user


@pytest.fixture
def manager_b(structure_b):
    user = make_user("bruno@example.fr", first_name="Bruno", last_name="Other")
    attach(user, structure_b, role=Role.MAIN_MANAGER)
    return user


def submit(client, structure, *, scope="structure", services=(), comment="I work there"):
    return client.post(
        reverse("affiliations:affiliation-request"),
        {
            "structure": structure.pk,
            "scope": scope,
            "services": [s.pk for s in services],
            "comment": comment,
        },
    )


# --- requesting ---------------------------------------------------------------


def test_a_user_requests_two_services(signed_in, alice, structure_a):
    client = signed_in(alice)
    services = list(structure_a.services.all()[:2])
    response = submit(client, structure_a, scope="services", services=services)
    assert response.status_code == 302
    assert response.url == reverse("affiliations:users-area")
    req = Request.objects.get(requester=alice)
    assert req.status == RequestStatus.PENDING
    assert not req.whole_structure
    assert set(req.services.all()) == set(services)
    page = client.get(response.url).content.decode()
    assert "fr-alert--success" in page
    assert ActivityLog.objects.filter(action=Action.REQUEST_SUBMITTED, actor=alice).exists()


def test_the_comment_is_mandatory(signed_in, alice, structure_a):
    response = submit(signed_in(alice), structure_a, comment="   ")
    assert response.status_code == 200
    assert "comment" in response.context["form"].errors
    assert not Request.objects.exists()


def test_some_services_needs_at_least_one(signed_in, alice, structure_a):
    response = submit(signed_in(alice), structure_a, scope="services")
    assert "services" in response.context["form"].errors


def test_services_of_another_structure_are_refused(signed_in, alice, structure_a, structure_b):
    foreign = structure_b.services.first()
    response = submit(signed_in(alice), structure_a, scope="services", services=[foreign])
    assert response.status_code == 200
    assert "services" in response.context["form"].errors
    assert not Request.objects.exists()


def test_a_second_identical_request_is_refused(signed_in, alice, structure_a):
    client = signed_in(alice)
    services = list(structure_a.services.all()[:2])
    submit(client, structure_a, scope="services", services=services)
    response = submit(client, structure_a, scope="services", services=list(reversed(services)))
    assert response.status_code == 200
    assert "déjà une demande en cours" in str(response.context["form"].non_field_errors())
    assert Request.objects.count() == 1
    # Another set of services is another request.
    submit(client, structure_a, scope="services", services=services[:1])
    assert Request.objects.count() == 2


def test_an_attached_user_cannot_ask_again(signed_in, alice, structure_a):
    attach(alice, structure_a)
    response = submit(signed_in(alice), structure_a)
    assert response.status_code == 200
    assert not Request.objects.exists()


def test_extra_post_fields_are_ignored(signed_in, alice, structure_a):
    client = signed_in(alice)
    client.post(
        reverse("affiliations:affiliation-request"),
        {
            "structure": structure_a.pk,
            "scope": "structure",
            "comment": "x",
            "status": "approved",
            "role": "main_manager",
            "requester": 999,
        },
    )
    req = Request.objects.get()
    assert req.status == RequestStatus.PENDING and req.requester == alice


# --- deciding -------------------------------------------------------------------


def test_the_manager_approves_and_the_requester_is_told(
    signed_in, alice, manager_a, structure_a, mailoutbox, django_capture_on_commit_callbacks
):
    alice.language = "en"
    alice.save()
    services = list(structure_a.services.all()[:2])
    req = pending_request(alice, structure_a, services=services)
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(manager_a).post(
            reverse("affiliations:requests-decide"), {"approve": req.pk}
        )
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED and req.decided_by == manager_a
    affiliation = Affiliation.objects.get(user=alice, structure=structure_a)
    assert not affiliation.whole_structure
    assert set(affiliation.services.all()) == set(services)
    assert mailoutbox[-1].to == [alice.email]
    assert "approved" in mailoutbox[-1].subject  # in the requester's language
    assert ActivityLog.objects.filter(action=Action.REQUEST_APPROVED, subject=alice).exists()
    assert ActivityLog.objects.filter(action=Action.AFFILIATION_GRANTED, subject=alice).exists()


def test_a_refusal_needs_a_reason(
    signed_in, alice, manager_a, structure_a, mailoutbox, django_capture_on_commit_callbacks
):
    req = pending_request(alice, structure_a)
    client = signed_in(manager_a)
    url = reverse("affiliations:request-refuse", args=[req.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"reason": "Vous ne faites pas partie de ce service."})
    req.refresh_from_db()
    assert req.status == RequestStatus.REFUSED
    assert req.refusal_reason == "Vous ne faites pas partie de ce service."
    assert "Vous ne faites pas partie de ce service." in mailoutbox[-1].body
    assert "refusée" in mailoutbox[-1].subject


def test_bulk_approve_and_bulk_refuse(signed_in, manager_a, structure_a):
    requesters = [make_user(f"u{i}@example.fr") for i in range(4)]
    reqs = [pending_request(u, structure_a) for u in requesters]
    client = signed_in(manager_a)
    client.post(
        reverse("affiliations:requests-decide"),
        {"action": "approve", "requests": [reqs[0].pk, reqs[1].pk]},
    )
    client.post(
        reverse("affiliations:requests-decide"),
        {"action": "refuse", "requests": [reqs[2].pk, reqs[3].pk]},
    )
    statuses = {r.pk: r.status for r in Request.objects.all()}
    assert statuses[reqs[0].pk] == statuses[reqs[1].pk] == RequestStatus.APPROVED
    # Refusing in bulk without a reason changed nothing.
    assert statuses[reqs[2].pk] == statuses[reqs[3].pk] == RequestStatus.PENDING
    client.post(
        reverse("affiliations:requests-decide"),
        {"action": "refuse", "requests": [reqs[2].pk, reqs[3].pk], "reason": "Non"},
    )
    assert set(
        Request.objects.filter(pk__in=[reqs[2].pk, reqs[3].pk]).values_list("status", flat=True)
    ) == {RequestStatus.REFUSED}


def test_the_users_area_asks_no_reason_to_approve(signed_in, manager_a, structure_a):
    jeanne = make_user("jeanne@example.fr", first_name="Jeanne", last_name="Martin")
    req = pending_request(jeanne, structure_a)
    html = signed_in(manager_a).get(reverse("affiliations:users-area")).content.decode()
    assert "Valider les demandes sélectionnées" in html
    assert 'name="reason"' not in html and "Motif du refus" not in html
    # Row actions are named after what the row shows, not an id the table hides.
    about = "la demande faite par Jeanne Martin pour Mairie d&#x27;Écully (Rattachement, "
    assert f'Valider<span class="fr-sr-only"> {about}' in html
    assert f'Refuser<span class="fr-sr-only"> {about}' in html
    assert f"Sélectionner {about}" in html
    assert f" #{req.pk}</span>" not in html


def test_a_bulk_refusal_is_a_second_step_with_the_reason(
    signed_in, manager_a, structure_a, mailoutbox, django_capture_on_commit_callbacks
):
    people = [
        make_user(f"p{i}@example.fr", first_name=f"Personne{i}", last_name="Test") for i in range(3)
    ]
    reqs = [pending_request(p, structure_a) for p in people]
    client = signed_in(manager_a)
    decide = reverse("affiliations:requests-decide")
    chosen = [reqs[0].pk, reqs[2].pk]
    step = client.post(decide, {"action": "refuse", "requests": chosen})
    html = step.content.decode()
    assert step.status_code == 200
    # What is being refused, and the reason asked for, required; nothing refused yet.
    assert "Refuser 2 demandes" in html
    assert "Personne0 Test" in html and "Personne2 Test" in html
    assert "Personne1 Test" not in html
    for pk in chosen:
        assert f'<input type="hidden" name="requests" value="{pk}">' in html
    assert '<input type="hidden" name="action" value="refuse">' in html
    assert "required" in html.split('id="id_reason"')[0].rsplit("<textarea", 1)[1]
    assert 'aria-invalid="true"' not in html
    assert not Request.objects.exclude(status=RequestStatus.PENDING).exists()
    # Without a reason: the field is marked invalid and tied to its message.
    empty = client.post(decide, {"action": "refuse", "requests": chosen, "reason": " "})
    html = empty.content.decode()
    textarea = html[html.rindex("<textarea", 0, html.index('id="id_reason"')) :]
    textarea = textarea[: textarea.index(">")]
    assert 'aria-invalid="true"' in textarea
    assert "id_reason-messages" in textarea
    assert 'id="id_reason-messages"' in html and "Un refus doit être motivé." in html
    assert not Request.objects.exclude(status=RequestStatus.PENDING).exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            decide, {"action": "refuse", "requests": chosen, "reason": "Hors périmètre"}
        )
    assert done.status_code == 302
    statuses = dict(Request.objects.values_list("pk", "status"))
    assert statuses == {
        reqs[0].pk: RequestStatus.REFUSED,
        reqs[1].pk: RequestStatus.PENDING,
        reqs[2].pk: RequestStatus.REFUSED,
    }
    assert set(Request.objects.filter(pk__in=chosen).values_list("refusal_reason", flat=True)) == {
        "Hors périmètre"
    }
    assert len(mailoutbox) == 2


def test_a_bulk_refusal_of_a_request_decided_meanwhile(signed_in, manager_a, structure_a):
    reqs = [pending_request(make_user(f"q{i}@example.fr"), structure_a) for i in range(2)]
    client = signed_in(manager_a)
    client.post(reverse("affiliations:requests-decide"), {"approve": reqs[0].pk})
    step = client.post(
        reverse("affiliations:requests-decide"),
        {"action": "refuse", "requests": [r.pk for r in reqs]},
        follow=True,
    )
    html = step.content.decode()
    assert "Refuser 1 demande" in html and "déjà été traitée" in html
    assert f'name="requests" value="{reqs[0].pk}"' not in html


def test_the_single_refusal_page_requires_its_reason(signed_in, alice, manager_a, structure_a):
    req = pending_request(alice, structure_a)
    client = signed_in(manager_a)
    url = reverse("affiliations:request-refuse", args=[req.pk])
    html = client.get(url).content.decode()
    assert "Alice Martin" in html and "Refuser la demande" in html
    tag = html[html.rindex("<textarea", 0, html.index('id="id_reason"')) :]
    assert " required" in tag[: tag.index(">")]
    html = client.post(url, {"reason": ""}).content.decode()
    tag = html[html.rindex("<textarea", 0, html.index('id="id_reason"')) :]
    assert 'aria-invalid="true"' in tag[: tag.index(">")]


def test_a_decided_request_cannot_be_decided_again(signed_in, alice, manager_a, structure_a):
    req = pending_request(alice, structure_a)
    client = signed_in(manager_a)
    client.post(reverse("affiliations:requests-decide"), {"approve": req.pk})
    response = client.post(
        reverse("affiliations:request-refuse", args=[req.pk]), {"reason": "changed my mind"}
    )
    # The page says it is decided (and by whom) instead of acting on it.
    assert response.status_code == 200
    assert "affiliations/request_decided.html" in [t.name for t in response.templates]
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
    assert Affiliation.objects.filter(user=alice).count() == 1


# --- permission matrix ------------------------------------------------------------


def test_a_manager_of_b_can_neither_see_nor_decide_a(
    signed_in, alice, manager_a, manager_b, structure_a
):
    req = pending_request(alice, structure_a, comment="Secret de A")
    client = signed_in(manager_b)
    area = client.get(reverse("affiliations:users-area")).content.decode()
    assert "Secret de A" not in area
    assert client.get(reverse("affiliations:request-refuse", args=[req.pk])).status_code == 404
    assert (
        client.post(
            reverse("affiliations:request-refuse", args=[req.pk]), {"reason": "no"}
        ).status_code
        == 404
    )
    assert (
        client.post(reverse("affiliations:requests-decide"), {"approve": req.pk}).status_code == 404
    )
    assert (
        client.post(
            reverse("affiliations:requests-decide"), {"action": "approve", "requests": [req.pk]}
        ).status_code
        == 404
    )
    assert (
        client.get(reverse("affiliations:role-transfer", args=[structure_a.pk])).status_code == 404
    )
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING
    assert not Affiliation.objects.filter(user=alice).exists()


def test_a_bulk_with_one_foreign_request_changes_nothing(
    signed_in, alice, bob, manager_b, structure_a, structure_b
):
    mine = pending_request(bob, structure_b)
    foreign = pending_request(alice, structure_a)
    response = signed_in(manager_b).post(
        reverse("affiliations:requests-decide"),
        {"action": "approve", "requests": [mine.pk, foreign.pk]},
    )
    assert response.status_code == 404
    assert set(Request.objects.values_list("status", flat=True)) == {RequestStatus.PENDING}


@pytest.mark.parametrize("persona", ["plain", "staff", "requester"])
def test_non_managers_cannot_decide(signed_in, alice, bob, staff_user, structure_a, persona):
    req = pending_request(alice, structure_a)
    user = {"plain": bob, "staff": staff_user, "requester": alice}[persona]
    client = signed_in(user)
    assert (
        client.post(reverse("affiliations:requests-decide"), {"approve": req.pk}).status_code == 404
    )
    assert client.get(reverse("affiliations:request-refuse", args=[req.pk])).status_code == 404
    assert (
        client.get(reverse("affiliations:role-transfer", args=[structure_a.pk])).status_code == 404
    )
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING


def issue_urls(req_pk: int, structure_pk: int):
    return [
        ("get", reverse("affiliations:affiliation-list")),
        ("get", reverse("affiliations:affiliation-request")),
        ("get", reverse("affiliations:affiliation-detach")),
        ("get", reverse("affiliations:request-list")),
        ("get", reverse("affiliations:users-area")),
        ("post", reverse("affiliations:requests-decide")),
        ("get", reverse("affiliations:request-refuse", args=[req_pk])),
        ("get", reverse("affiliations:role-transfer", args=[structure_pk])),
    ]


def test_anonymous_and_password_only_reach_none_of_these_pages(
    client, client_factory, alice, bob, structure_a
):
    from tests.conftest import password_login

    req = pending_request(alice, structure_a)
    password_only = client_factory()
    password_login(password_only, bob.email)
    for method, url in issue_urls(req.pk, structure_a.pk):
        anonymous = getattr(client, method)(url)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.url, url
        half = getattr(password_only, method)(url)
        assert half.status_code == 302 and half.url.startswith("/mfa/verify/"), url
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING


def test_every_page_opens_for_its_manager(signed_in, alice, manager_a, structure_a):
    req = pending_request(alice, structure_a)
    client = signed_in(manager_a)
    for method, url in issue_urls(req.pk, structure_a.pk):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_the_header_counts_pending_approvals(signed_in, alice, bob, manager_a, structure_a):
    pending_request(alice, structure_a)
    pending_request(bob, structure_a)
    html = signed_in(manager_a).get(reverse("home")).content.decode()
    assert "portal-counter" in html and ">2</span>" in html
    assert "portal-counter" not in signed_in(bob).get(reverse("home")).content.decode()


# --- detaching and the main manager role -------------------------------------------


def test_detach_from_the_whole_structure(signed_in, alice, structure_a):
    affiliation = attach(alice, structure_a)
    response = signed_in(alice).post(
        reverse("affiliations:affiliation-detach"),
        {"affiliation": affiliation.pk, "scope": "structure"},
    )
    assert response.status_code == 302
    affiliation.refresh_from_db()
    assert affiliation.status == AffiliationStatus.DELETED
    assert ActivityLog.objects.filter(action=Action.AFFILIATION_DETACHED, actor=alice).exists()


def test_detach_from_some_services(signed_in, alice, structure_a):
    services = list(structure_a.services.all())
    affiliation = attach(alice, structure_a, services=services[:3])
    signed_in(alice).post(
        reverse("affiliations:affiliation-detach"),
        {
            "affiliation": affiliation.pk,
            "scope": "services",
            "services": [services[0].pk, services[1].pk],
        },
    )
    assert list(affiliation.services.all()) == [services[2]]


def test_detach_some_services_of_a_whole_structure_affiliation(signed_in, alice, structure_a):
    services = list(structure_a.services.all())
    affiliation = attach(alice, structure_a)
    signed_in(alice).post(
        reverse("affiliations:affiliation-detach"),
        {"affiliation": affiliation.pk, "scope": "services", "services": [services[0].pk]},
    )
    affiliation.refresh_from_db()
    assert not affiliation.whole_structure
    assert set(affiliation.services.all()) == set(services[1:])


def test_the_main_manager_cannot_detach_without_transferring(signed_in, manager_a, structure_a):
    affiliation = Affiliation.objects.get(user=manager_a)
    response = signed_in(manager_a).post(
        reverse("affiliations:affiliation-detach"),
        {"affiliation": affiliation.pk, "scope": "structure"},
    )
    assert response.status_code == 200
    assert reverse("affiliations:role-transfer", args=[structure_a.pk]) in response.content.decode()
    affiliation.refresh_from_db()
    assert affiliation.status == AffiliationStatus.ACTIVE


def test_cannot_detach_someone_elses_affiliation(signed_in, alice, bob, structure_a):
    affiliation = attach(bob, structure_a)
    response = signed_in(alice).post(
        reverse("affiliations:affiliation-detach"),
        {"affiliation": affiliation.pk, "scope": "structure"},
    )
    assert response.status_code == 404
    affiliation.refresh_from_db()
    assert affiliation.status == AffiliationStatus.ACTIVE


def test_transfer_the_main_manager_role(signed_in, alice, manager_a, structure_a):
    attach(alice, structure_a)
    client = signed_in(manager_a)
    response = client.post(
        reverse("affiliations:role-transfer", args=[structure_a.pk]), {"new_manager": alice.pk}
    )
    assert response.status_code == 302
    roles = dict(
        Affiliation.objects.filter(structure=structure_a).values_list("user__email", "role")
    )
    assert roles == {alice.email: Role.MAIN_MANAGER, manager_a.email: Role.USER}
    assert ActivityLog.objects.filter(action=Action.ROLE_TRANSFERRED, subject=alice).exists()
    # The former manager no longer manages the structure.
    assert (
        client.get(reverse("affiliations:role-transfer", args=[structure_a.pk])).status_code == 404
    )


def test_the_role_goes_only_to_an_active_user_of_the_structure(
    signed_in, bob, manager_a, structure_a
):
    response = signed_in(manager_a).post(
        reverse("affiliations:role-transfer", args=[structure_a.pk]), {"new_manager": bob.pk}
    )
    assert response.status_code == 200
    assert Affiliation.objects.get(user=manager_a).role == Role.MAIN_MANAGER


def test_the_database_refuses_two_main_managers(alice, manager_a, structure_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        attach(alice, structure_a, role=Role.MAIN_MANAGER)


# --- history and search ----------------------------------------------------------------


def test_history_lists_every_request_newest_first_with_filter(
    signed_in, alice, manager_a, structure_a, structure_b
):
    first = pending_request(alice, structure_a)
    second = pending_request(alice, structure_b)
    signed_in(manager_a).post(
        reverse("affiliations:request-refuse", args=[first.pk]), {"reason": "Motif précis"}
    )
    client = signed_in(alice)
    page = client.get(reverse("affiliations:request-list"))
    rows = list(page.context["page_obj"])
    assert rows == [second, first]
    html = page.content.decode()
    assert "Motif précis" in html and "Claire Manager" in html
    refused = client.get(reverse("affiliations:request-list"), {"status": "refused"})
    assert list(refused.context["page_obj"]) == [first]


def test_history_is_paginated(signed_in, alice):
    for index in range(25):
        pending_request(alice, make_structure(f"Structure paginée {index}"))
    client = signed_in(alice)
    first = client.get(reverse("affiliations:request-list")).context["page_obj"]
    second = client.get(reverse("affiliations:request-list"), {"page": 2}).context["page_obj"]
    assert first.paginator.count == 25
    assert len(first.object_list) == 20 and len(second.object_list) == 5
    assert not set(first.object_list) & set(second.object_list)


def test_structure_search_ignores_accents_and_case(signed_in, alice, structure_a, structure_b):
    client = signed_in(alice)
    url = reverse("affiliations:affiliation-request")
    for query in ("ecully", "ÉCULLY", "Mairie d'écully"):
        results = client.get(url, {"q": query}).context["results"]
        assert list(results) == [structure_a], query
    by_identifier = client.get(url, {"q": structure_b.identifier}).context["results"]
    assert list(by_identifier) == [structure_b]
    spaced = " ".join([structure_b.identifier[:3], structure_b.identifier[3:]])
    assert list(client.get(url, {"q": spaced}).context["results"]) == [structure_b]
    assert client.get(url, {"q": "siret"}).context["results"].paginator.count == 2


def test_service_search_by_code_or_name(signed_in, alice):
    big = make_structure("Grand ministère", services=120)
    client = signed_in(alice)
    url = reverse("affiliations:affiliation-request")
    page = client.get(url, {"structure": big.pk}).context["services_page"]
    assert page.paginator.count == 120 and len(page.object_list) == 50
    found = client.get(url, {"structure": big.pk, "service_q": "S00042"}).context["services_page"]
    assert [s.code for s in found] == ["S00042"]


def test_stale_requests_expire(alice, structure_a, structure_b):
    from datetime import timedelta

    import time_machine
    from django.core.management import call_command
    from django.utils import timezone

    start = timezone.now()
    with time_machine.travel(start - timedelta(days=91), tick=False):
        old = pending_request(alice, structure_a)
    recent = pending_request(alice, structure_b)
    call_command("expire_requests", days=90, verbosity=0)
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == RequestStatus.EXPIRED and recent.status == RequestStatus.PENDING
    assert ActivityLog.objects.filter(action=Action.REQUEST_EXPIRED, subject=alice).count() == 1
    # An expired request no longer blocks asking again.
    again = pending_request(alice, structure_a)
    assert again.status == RequestStatus.PENDING


def test_signup_answers_the_same_for_a_known_address(client, alice, mailoutbox):
    data = {
        "email": alice.email,
        "first_name": "X",
        "last_name": "Y",
        "password1": "Solid-Passphrase-42",
        "password2": "Solid-Passphrase-42",
    }
    known = client.post(reverse("account_signup"), data)
    data["email"] = "brand-new@example.fr"
    unknown = client.post(reverse("account_signup"), data)
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    assert len(mailoutbox) == 2  # the known address is told, the new one gets its link
