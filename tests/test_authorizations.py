"""Profiles: My authorizations, Manage my authorizations, requests and managers."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from activity.models import Action, ActivityLog
from affiliations.models import Affiliation, Request, RequestKind, RequestStatus, Role
from affiliations.permissions import may_manage
from authorizations.models import Application, Authorization, Level
from tests.conftest import make_user
from tests.factories import attach, make_structure, pending_request

pytestmark = pytest.mark.django_db

MANAGE = reverse("authorizations:authorization-manage")


@pytest.fixture
def structure_a(db):
    return make_structure("Mairie d'Annecy", services=4)


@pytest.fixture
def structure_b(db):
    return make_structure("Mairie de Brest", services=2)


@pytest.fixture
def manager_a(structure_a):
    user = make_user("manager-a@example.fr", first_name="Anne", last_name="Manager")
    attach(user, structure_a, role=Role.MAIN_MANAGER)
    return user


@pytest.fixture
def manager_b(structure_b):
    user = make_user("manager-b@example.fr")
    attach(user, structure_b, role=Role.MAIN_MANAGER)
    return user


@pytest.fixture
def alice_in_a(alice, structure_a):
    return attach(alice, structure_a)


def grant(user, structure, application, level, service=None):
    return Authorization.objects.create(
        user=user, structure=structure, service=service, application=application, level=level
    )


def table(lines, op="submit", **extra):
    data = {
        "line_application": [a for a, _ in lines],
        "line_level": [lv for _, lv in lines],
        "op": op,
    }
    data.update(extra)
    return data


def post_manage(client, affiliation, lines, op="submit", service="", **extra):
    return client.post(
        MANAGE, table(lines, op, affiliation=affiliation.pk, service=service, **extra)
    )


def held(user, structure, service=None):
    return dict(
        Authorization.objects.filter(user=user, structure=structure, service=service).values_list(
            "application", "level"
        )
    )


# --- My authorizations ------------------------------------------------------------------


def test_my_authorizations_lists_profiles_by_structure_and_service(
    signed_in, alice_in_a, alice, structure_a
):
    service = structure_a.services.first()
    grant(alice, structure_a, Application.ISSUED_INVOICES, Level.MODIFICATION)
    grant(alice, structure_a, Application.COMMITMENTS, Level.CONSULTATION, service=service)
    client = signed_in(alice)
    html = client.get(reverse("authorizations:authorization-list")).content.decode()
    assert "Factures émises – Modification" in html
    assert "Engagements – Consultation" in html
    assert service.code in html
    with translation.override("en"):
        assert Authorization.objects.get(application="issued_invoices").label == (
            "Issued invoices – Modification"
        )


# --- Manage my authorizations: staging without JavaScript -------------------------------


def test_the_buttons_stage_changes_and_only_submit_saves(signed_in, alice, alice_in_a, structure_a):
    grant(alice, structure_a, Application.ISSUED_INVOICES, Level.CONSULTATION)
    client = signed_in(alice)
    page = client.get(MANAGE, {"affiliation": alice_in_a.pk, "service": ""})
    assert [line.application for line in page.context["table"].lines] == ["issued_invoices"]
    lines = [("issued_invoices", "consultation")]
    added = post_manage(
        client, alice_in_a, lines, op="add", add_application="commitments", add_level="consultation"
    )
    assert [ln.application for ln in added.context["table"].lines] == [
        "issued_invoices",
        "commitments",
    ]
    edited = post_manage(client, alice_in_a, lines, op="edit:0")
    assert edited.context["table"].lines[0].editing
    assert 'id="level-0"' in edited.content.decode()
    deleted = post_manage(client, alice_in_a, lines, op="delete:0")
    assert deleted.context["table"].lines == []
    cleared = post_manage(client, alice_in_a, lines, op="remove_all")
    assert cleared.context["table"].lines == []
    # None of these saved anything.
    assert held(alice, structure_a) == {"issued_invoices": "consultation"}


def test_removing_applies_at_once_and_is_effective_on_the_next_request(
    signed_in, alice, alice_in_a, structure_a
):
    grant(alice, structure_a, Application.ISSUED_INVOICES, Level.MODIFICATION)
    grant(alice, structure_a, Application.COMMITMENTS, Level.MODIFICATION)
    client = signed_in(alice)
    response = post_manage(client, alice_in_a, [("issued_invoices", "consultation")])
    assert response.status_code == 302 and response.url == reverse("affiliations:users-area")
    assert held(alice, structure_a) == {"issued_invoices": "consultation"}
    assert not Request.objects.exists()
    html = client.get(reverse("authorizations:authorization-list")).content.decode()
    assert "Engagements" not in html
    assert ActivityLog.objects.filter(action=Action.PROFILE_REMOVED, subject=alice).count() == 1
    assert ActivityLog.objects.filter(action=Action.PROFILE_CHANGED, subject=alice).count() == 1


def test_adding_or_raising_becomes_one_request(signed_in, alice, alice_in_a, structure_a):
    grant(alice, structure_a, Application.ISSUED_INVOICES, Level.CONSULTATION)
    client = signed_in(alice)
    response = post_manage(
        client,
        alice_in_a,
        [("issued_invoices", "modification"), ("received_invoices", "consultation")],
    )
    assert response.status_code == 302
    assert held(alice, structure_a) == {"issued_invoices": "consultation"}
    req = Request.objects.get()
    assert req.kind == RequestKind.AUTHORIZATION and req.status == RequestStatus.PENDING
    assert sorted(req.authorization_lines.values_list("application", "level")) == [
        ("issued_invoices", "modification"),
        ("received_invoices", "consultation"),
    ]
    history = client.get(reverse("affiliations:request-list")).content.decode()
    assert "Factures reçues – Consultation" in history
    # The same request again is refused, not duplicated.
    again = post_manage(
        client,
        alice_in_a,
        [("issued_invoices", "modification"), ("received_invoices", "consultation")],
    )
    assert again.status_code == 200 and Request.objects.count() == 1


def test_the_manager_approves_and_all_lines_apply(
    signed_in,
    alice,
    alice_in_a,
    manager_a,
    structure_a,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    post_manage(
        signed_in(alice),
        alice_in_a,
        [("issued_invoices", "modification"), ("received_invoices", "consultation")],
    )
    req = Request.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(manager_a).post(reverse("affiliations:requests-decide"), {"approve": req.pk})
    assert held(alice, structure_a) == {
        "issued_invoices": "modification",
        "received_invoices": "consultation",
    }
    assert mailoutbox[-1].to == [alice.email]
    assert ActivityLog.objects.filter(action=Action.PROFILE_GRANTED, subject=alice).count() == 2


def test_self_escalation_waits_for_a_manager(signed_in, alice, alice_in_a, structure_a, bob):
    client = signed_in(alice)
    post_manage(client, alice_in_a, [("organisation", "modification")])
    assert held(alice, structure_a) == {}
    req = Request.objects.get()
    assert not may_manage(alice, structure_a.pk)
    # Alice cannot approve her own request.
    assert (
        client.post(reverse("affiliations:requests-decide"), {"approve": req.pk}).status_code == 404
    )
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING


def test_organisation_modification_makes_a_manager(
    signed_in, alice, alice_in_a, manager_a, structure_a, bob
):
    post_manage(signed_in(alice), alice_in_a, [("organisation", "modification")])
    signed_in(manager_a).post(
        reverse("affiliations:requests-decide"), {"approve": Request.objects.get().pk}
    )
    other = pending_request(bob, structure_a)
    client = signed_in(alice)
    assert (
        client.post(reverse("affiliations:requests-decide"), {"approve": other.pk}).status_code
        == 302
    )
    other.refresh_from_db()
    assert other.status == RequestStatus.APPROVED
    # Her own additions now apply at once.
    post_manage(
        client, alice_in_a, [("organisation", "modification"), ("commitments", "modification")]
    )
    assert held(alice, structure_a)["commitments"] == "modification"
    # Removing Organisation – Modification takes her rights away on the next request.
    post_manage(client, alice_in_a, [("commitments", "modification")])
    third = pending_request(make_user("carol@example.fr"), structure_a)
    assert (
        client.post(reverse("affiliations:requests-decide"), {"approve": third.pk}).status_code
        == 404
    )


def test_a_main_manager_applies_their_own_additions_at_once(signed_in, manager_a, structure_a):
    affiliation = Affiliation.objects.get(user=manager_a)
    post_manage(signed_in(manager_a), affiliation, [("connections", "modification")])
    assert held(manager_a, structure_a) == {"connections": "modification"}
    assert not Request.objects.exists()


# --- permission matrix ---------------------------------------------------------------------


def test_not_affiliated_scopes_are_404(signed_in, alice, bob, structure_a, structure_b):
    bobs = attach(bob, structure_b)
    services = list(structure_a.services.all())
    mine = attach(alice, structure_a, services=services[:1])
    client = signed_in(alice)
    # Someone else's affiliation.
    assert client.get(MANAGE, {"affiliation": bobs.pk, "service": ""}).status_code == 404
    assert post_manage(client, bobs, [("organisation", "modification")]).status_code == 404
    # A service-level affiliation has no structure-level scope.
    assert client.get(MANAGE, {"affiliation": mine.pk, "service": ""}).status_code == 404
    # A service she is not attached to, and a service of another structure.
    assert (
        client.get(MANAGE, {"affiliation": mine.pk, "service": services[1].pk}).status_code == 404
    )
    assert (
        client.get(
            MANAGE, {"affiliation": mine.pk, "service": structure_b.services.first().pk}
        ).status_code
        == 404
    )
    assert (
        client.get(MANAGE, {"affiliation": mine.pk, "service": services[0].pk}).status_code == 200
    )
    assert not Authorization.objects.exists() and not Request.objects.exists()


def test_extra_post_fields_cannot_escalate(
    signed_in, alice, bob, alice_in_a, structure_a, structure_b
):
    attach(bob, structure_b)
    client = signed_in(alice)
    post_manage(
        client,
        alice_in_a,
        [],
        user=bob.pk,
        structure=structure_b.pk,
        level="modification",
        role="main_manager",
        status="approved",
    )
    assert not Authorization.objects.exists()
    # A level for a line that is not in the table is refused as a whole.
    response = client.post(
        MANAGE,
        {
            "affiliation": alice_in_a.pk,
            "service": "",
            "op": "submit",
            "line_level": ["modification"],
        },
    )
    assert response.status_code == 200 and response.context["table"].errors
    # An application outside the catalogue is refused.
    response = post_manage(client, alice_in_a, [("admin_everything", "modification")])
    assert response.status_code == 200 and response.context["table"].errors
    assert not Request.objects.exists()


def test_a_manager_of_b_cannot_touch_users_of_a(
    signed_in, alice, alice_in_a, manager_b, structure_a
):
    url = reverse("authorizations:member-authorizations", args=[alice_in_a.pk])
    client = signed_in(manager_b)
    assert client.get(url, {"service": ""}).status_code == 404
    response = client.post(url, table([("organisation", "modification")], service=""))
    assert response.status_code == 404
    assert not Authorization.objects.exists()


def test_plain_users_and_staff_cannot_use_the_member_page(
    signed_in, alice, alice_in_a, bob, staff_user, structure_a
):
    attach(bob, structure_a)
    url = reverse("authorizations:member-authorizations", args=[alice_in_a.pk])
    for user in (bob, staff_user, alice):
        assert signed_in(user).get(url, {"service": ""}).status_code == 404


def test_a_manager_grants_changes_and_removes_directly(
    signed_in, alice, alice_in_a, manager_a, structure_a
):
    url = reverse("authorizations:member-authorizations", args=[alice_in_a.pk])
    client = signed_in(manager_a)
    assert client.get(url, {"service": ""}).status_code == 200
    client.post(
        url, table([("commitments", "modification"), ("organisation", "consultation")], service="")
    )
    assert held(alice, structure_a) == {
        "commitments": "modification",
        "organisation": "consultation",
    }
    client.post(url, table([("commitments", "consultation")], service=""))
    assert held(alice, structure_a) == {"commitments": "consultation"}
    area = client.get(reverse("affiliations:users-area")).content.decode()
    assert "Engagements – Consultation" in area
    assert not Request.objects.exists()


def test_anonymous_and_password_only_reach_nothing(client, client_factory, alice, alice_in_a):
    from tests.conftest import password_login

    half = client_factory()
    password_login(half, alice.email)
    urls = [
        reverse("authorizations:authorization-list"),
        MANAGE,
        reverse("authorizations:member-authorizations", args=[alice_in_a.pk]),
    ]
    for url in urls:
        assert "/accounts/login/" in client.get(url).url
        assert half.get(url).url.startswith("/mfa/verify/")


# --- consistency with affiliations ----------------------------------------------------------


def test_new_affiliations_receive_the_default_profiles(signed_in, bob, manager_a, structure_a):
    services = list(structure_a.services.all()[:2])
    req = pending_request(bob, structure_a, services=services)
    signed_in(manager_a).post(reverse("affiliations:requests-decide"), {"approve": req.pk})
    for service in services:
        assert held(bob, structure_a, service) == {
            "issued_requests": "modification",
            "received_requests": "modification",
        }


def test_detaching_removes_the_profiles_of_what_was_left(signed_in, alice, structure_a):
    services = list(structure_a.services.all())
    affiliation = attach(alice, structure_a, services=services[:2])
    grant(alice, structure_a, Application.COMMITMENTS, Level.MODIFICATION, service=services[0])
    grant(alice, structure_a, Application.COMMITMENTS, Level.MODIFICATION, service=services[1])
    client = signed_in(alice)
    client.post(
        reverse("affiliations:affiliation-detach"),
        {"affiliation": affiliation.pk, "scope": "services", "services": [services[0].pk]},
    )
    assert list(Authorization.objects.values_list("service_id", flat=True)) == [services[1].pk]
    client.post(
        reverse("affiliations:affiliation-detach"),
        {"affiliation": affiliation.pk, "scope": "structure"},
    )
    assert not Authorization.objects.exists()


def test_approval_is_all_or_nothing(signed_in, alice, manager_a, structure_a):
    services = list(structure_a.services.all())
    affiliation = attach(alice, structure_a, services=services[:2])
    client = signed_in(alice)
    post_manage(client, affiliation, [("commitments", "modification")], service=services[0].pk)
    req = Request.objects.get()
    # A second line the requester is no longer entitled to when the manager decides.
    req.authorization_lines.create(
        service=services[1], application="connections", level="modification"
    )
    client.post(
        reverse("affiliations:affiliation-detach"),
        {"affiliation": affiliation.pk, "scope": "services", "services": [services[1].pk]},
    )
    response = signed_in(manager_a).post(
        reverse("affiliations:requests-decide"), {"approve": req.pk}, follow=True
    )
    assert response.status_code == 200
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING
    assert not Authorization.objects.filter(application__in=["commitments", "connections"]).exists()


def test_the_manage_page_starts_with_the_users_structures(
    signed_in, alice, alice_in_a, bob, structure_b
):
    attach(bob, structure_b)
    html = signed_in(alice).get(MANAGE).content.decode()
    assert f'href="{MANAGE}?affiliation={alice_in_a.pk}"' in html
    assert "Mairie de Brest" not in html
