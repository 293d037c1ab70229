"""The admin made complete: requests, structures and their CSV import, users' actions,
labels in both languages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from activity.models import Action, ActivityLog
from affiliations.models import Affiliation, Request, RequestStatus, Role
from authorizations.models import Application, Authorization, Level
from tests.conftest import make_user
from tests.factories import attach, make_structure, pending_request

pytestmark = pytest.mark.django_db

REQUESTS = reverse("admin:affiliations_request_changelist")


@pytest.fixture
def staff_client(signed_in, staff_user):
    staff_user.language = "en"
    staff_user.save(update_fields=["language"])
    return signed_in(staff_user)


@pytest.fixture
def structure(db):
    return make_structure("Mairie d'Annecy", services=3)


@pytest.fixture
def manager(structure):
    user = make_user("manager@example.fr", first_name="Anne", last_name="Manager")
    attach(user, structure, role=Role.MAIN_MANAGER)
    return user


def _trail(req) -> list[str]:
    """What the decision of `req` wrote in the log, in order, without who did it."""
    entries = ActivityLog.objects.filter(detail__request_id=req.pk).order_by("id")
    return [e.action for e in entries if e.action != Action.REQUEST_SUBMITTED]


def _after_decision(req) -> dict:
    affiliation = Affiliation.objects.get(user=req.requester, structure=req.structure)
    return {
        "status": Request.objects.get(pk=req.pk).status,
        "affiliation": (affiliation.role, affiliation.status, affiliation.whole_structure),
        "services": sorted(s.code for s in affiliation.services.all()),
        "profiles": sorted(
            (a.application, a.level, getattr(a.service, "code", None))
            for a in Authorization.objects.filter(user=req.requester)
        ),
    }


def _admin_action(client, action: str, reqs, **extra):
    return client.post(
        REQUESTS, {"action": action, "_selected_action": [r.pk for r in reqs], **extra}
    )


# --- 7. Requests ------------------------------------------------------------------------


def test_an_admin_approval_applies_the_same_rules_and_log_as_the_users_area(
    signed_in,
    staff_client,
    staff_user,
    manager,
    structure,
    alice,
    bob,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    services = list(structure.services.all()[:2])
    by_manager = pending_request(alice, structure, services=services)
    by_staff = pending_request(bob, structure, services=services)
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(manager).post(reverse("affiliations:requests-decide"), {"approve": by_manager.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = _admin_action(staff_client, "approve_requests", [by_staff])
    assert response.status_code == 302
    # The same outcome: the same affiliation, services and default profiles...
    assert _after_decision(by_manager) == _after_decision(by_staff)
    assert _after_decision(by_staff)["status"] == RequestStatus.APPROVED
    # ... the same log entries in the same order, by each decider ...
    assert _trail(by_staff) == _trail(by_manager)
    assert Action.REQUEST_APPROVED in _trail(by_staff)
    assert Action.AFFILIATION_GRANTED in _trail(by_staff)
    assert (
        ActivityLog.objects.get(
            action=Action.REQUEST_APPROVED, detail__request_id=by_staff.pk
        ).actor
        == staff_user
    )
    # ... and the same mail to each requester.
    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert subjects[alice.email].replace(str(by_manager.pk), "N") == subjects[bob.email].replace(
        str(by_staff.pk), "N"
    )


def test_an_admin_refusal_needs_a_reason_like_in_the_users_area(
    staff_client, structure, alice, mailoutbox, django_capture_on_commit_callbacks
):
    req = pending_request(alice, structure)
    page = _admin_action(staff_client, "refuse_requests", [req])
    assert page.status_code == 200 and "id_reason" in page.content.decode()
    empty = _admin_action(staff_client, "refuse_requests", [req], reason="   ")
    assert "A refusal needs a reason." in empty.content.decode()
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        done = _admin_action(staff_client, "refuse_requests", [req], reason="Unknown here")
    assert done.status_code == 302
    req.refresh_from_db()
    assert req.status == RequestStatus.REFUSED and req.refusal_reason == "Unknown here"
    assert ActivityLog.objects.filter(action=Action.REQUEST_REFUSED, subject=alice).exists()
    assert mailoutbox[-1].to == [alice.email] and "Unknown here" in mailoutbox[-1].body


def test_an_admin_approval_that_cannot_apply_changes_nothing(
    signed_in, staff_client, manager, structure, alice
):
    """The all-or-nothing rule of authorization requests holds in the admin too."""
    from tests.test_authorizations import post_manage

    services = list(structure.services.all())
    affiliation = attach(alice, structure, services=services[:2])
    post_manage(
        signed_in(alice), affiliation, [("commitments", "modification")], service=services[0].pk
    )
    req = Request.objects.get(requester=alice)
    req.authorization_lines.create(
        service=services[1], application="connections", level="modification"
    )
    signed_in(alice).post(
        reverse("affiliations:affiliation-detach"),
        {"affiliation": affiliation.pk, "scope": "services", "services": [services[1].pk]},
    )
    response = _admin_action(staff_client, "approve_requests", [req])
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("could not be applied" in m for m in messages)
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING
    assert not Authorization.objects.filter(application__in=["commitments", "connections"]).exists()


def test_a_request_to_a_structure_without_manager_needs_staff_and_staff_decide_it(
    staff_client,
    staff_user,
    manager,
    structure,
    alice,
    bob,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    orphan = make_structure("Orphan structure")
    delegated = make_structure("Delegated structure")
    delegate = make_user("delegate@example.fr")
    attach(delegate, delegated)
    Authorization.objects.create(
        user=delegate,
        structure=delegated,
        application=Application.ORGANISATION,
        level=Level.MODIFICATION,
    )
    lapsed = make_structure("Lapsed manager")
    gone = make_user("gone@example.fr", is_active=False)
    attach(gone, lapsed, role=Role.MAIN_MANAGER)
    managed_req = pending_request(alice, structure)
    orphan_req = pending_request(alice, orphan)
    delegated_req = pending_request(alice, delegated)
    lapsed_req = pending_request(bob, lapsed)
    decided = pending_request(bob, orphan)
    Request.objects.filter(pk=decided.pk).update(status=RequestStatus.REFUSED)

    page = staff_client.get(REQUESTS, {"needs_staff": "yes"})
    assert page.status_code == 200
    shown = {r.pk for r in page.context["cl"].result_list}
    assert shown == {orphan_req.pk, lapsed_req.pk}
    assert managed_req.pk not in shown and delegated_req.pk not in shown

    decide = reverse("admin:affiliations_request_decide", args=[orphan_req.pk])
    html = staff_client.get(decide).content.decode()
    assert "only staff can decide" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(decide, {"decision": "approve"})
    assert response.status_code == 302
    orphan_req.refresh_from_db()
    assert orphan_req.status == RequestStatus.APPROVED and orphan_req.decided_by == staff_user
    assert Affiliation.objects.filter(user=alice, structure=orphan, role=Role.USER).exists()
    assert ActivityLog.objects.filter(
        action=Action.REQUEST_APPROVED, actor=staff_user, subject=alice, structure_id=orphan.pk
    ).exists()
    assert mailoutbox[-1].to == [alice.email]
    # Refused from the same page: the reason is required there too.
    decide = reverse("admin:affiliations_request_decide", args=[lapsed_req.pk])
    assert (
        "A refusal needs a reason."
        in staff_client.post(decide, {"decision": "refuse", "reason": ""}).content.decode()
    )
    staff_client.post(decide, {"decision": "refuse", "reason": "No manager answers"})
    lapsed_req.refresh_from_db()
    assert lapsed_req.status == RequestStatus.REFUSED
    assert {
        r.pk for r in staff_client.get(REQUESTS, {"needs_staff": "yes"}).context["cl"].result_list
    } == set()


def test_requests_cannot_be_deleted_but_can_be_cancelled(
    staff_client, staff_user, structure, alice, mailoutbox, django_capture_on_commit_callbacks
):
    req = pending_request(alice, structure)
    assert (
        staff_client.get(reverse("admin:affiliations_request_delete", args=[req.pk])).status_code
        == 403
    )
    assert (
        staff_client.post(
            reverse("admin:affiliations_request_delete", args=[req.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    changelist = staff_client.get(REQUESTS).content.decode()
    assert "delete_selected" not in changelist
    assert "cancel_requests" in changelist
    _admin_action(staff_client, "delete_selected", [req], post="yes")
    assert Request.objects.filter(pk=req.pk).exists()
    # A structure (or a person) with requests cannot be deleted either: that would take
    # the requests with it.
    staff_client.post(
        reverse("admin:affiliations_structure_delete", args=[structure.pk]), {"post": "yes"}
    )
    assert Request.objects.filter(pk=req.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        _admin_action(staff_client, "cancel_requests", [req])
    req.refresh_from_db()
    assert req.status == RequestStatus.CANCELLED
    assert ActivityLog.objects.filter(
        action=Action.REQUEST_CANCELLED, actor=staff_user, subject=alice
    ).exists()
    assert mailoutbox[-1].to == [alice.email] and "cancelled" in mailoutbox[-1].subject


def test_requests_filter_by_structure_identifier_and_search_by_number_or_address(
    staff_client, structure, alice, bob
):
    other = make_structure("Other")
    mine = pending_request(alice, structure)
    theirs = pending_request(bob, other)
    spaced = " ".join(
        [structure.identifier[:3], structure.identifier[3:9], structure.identifier[9:]]
    )
    listed = staff_client.get(REQUESTS, {"structure_identifier": spaced, "kind": "affiliation"})
    assert [r.pk for r in listed.context["cl"].result_list] == [mine.pk]
    assert [
        r.pk for r in staff_client.get(REQUESTS, {"q": "BOB@example.fr"}).context["cl"].result_list
    ] == [theirs.pk]
    assert [
        r.pk for r in staff_client.get(REQUESTS, {"q": f"#{mine.pk}"}).context["cl"].result_list
    ] == [mine.pk]
    page = staff_client.get(reverse("admin:affiliations_request_change", args=[mine.pk]))
    assert page.status_code == 200
    assert reverse("admin:affiliations_request_decide", args=[mine.pk]) in page.content.decode()
