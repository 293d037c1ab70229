"""Check-then-act under concurrency: one code, ten simultaneous submissions, one success."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from activity.models import Action, ActivityLog
from tests.conftest import last_code, password_login

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite serialises every writer; row locks are exercised on PostgreSQL",
    ),
]


def test_ten_concurrent_submissions_of_one_code_give_one_success(alice, mailoutbox, settings):
    """Ten copies of one password-only session submit the one code at once.

    Each thread has a session of its own (copies of the same login attempt), so
    what is counted cannot depend on thread scheduling: exactly one session ends
    verified, the code is consumed once, and the log has one success."""
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY

    from mfa.models import EmailCode

    settings.MFA_THROTTLE_FACTOR = 0
    client = Client()
    password_login(client, alice.email)
    code = last_code(mailoutbox, alice.email)
    original = SessionStore(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)
    data = original.load()
    keys = []
    for _ in range(10):
        copy = SessionStore()
        copy.update(data)
        copy.create()
        keys.append(copy.session_key)
    barrier = threading.Barrier(10)
    statuses = []

    def submit(key):
        try:
            other = Client()
            other.cookies[settings.SESSION_COOKIE_NAME] = key
            barrier.wait()
            response = other.post(reverse("mfa:verify"), {"code": code, "action": "verify"})
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ActivityLog.objects.filter(action=Action.FACTOR_SUCCEEDED, subject=alice).count() == 1
    assert not EmailCode.objects.filter(device__user=alice).exists()
    verified = [
        key
        for key in SessionStore.get_model_class().objects.values_list("session_key", flat=True)
        if SessionStore(session_key=key).load().get(DEVICE_ID_SESSION_KEY)
    ]
    assert len(verified) == 1
    assert sorted(statuses) == [200] * 9 + [302]


def _run_at_once(count: int, func) -> list:
    barrier = threading.Barrier(count)
    results: list = []

    def worker(index):
        try:
            barrier.wait()
            results.append(func(index))
        except Exception as error:  # noqa: BLE001 - collected and asserted on
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_twenty_concurrent_approvals_give_one_decision_and_one_affiliation(alice, settings):
    from affiliations.models import Affiliation, Request, RequestStatus, Role
    from affiliations.workflow import AlreadyDecided, decide
    from tests.conftest import make_user
    from tests.factories import attach, make_structure, pending_request

    structure = make_structure("Concurrence", services=2)
    manager = make_user("manager-c@example.fr")
    attach(manager, structure, role=Role.MAIN_MANAGER)
    req = pending_request(alice, structure)

    def approve(_):
        return decide(req=Request.objects.get(pk=req.pk), by=manager, approve=True)

    results = _run_at_once(20, approve)
    wins = [r for r in results if isinstance(r, Request)]
    losses = [r for r in results if isinstance(r, AlreadyDecided)]
    assert len(wins) == 1 and len(losses) == 19, results
    assert Request.objects.get(pk=req.pk).status == RequestStatus.APPROVED
    assert Affiliation.objects.filter(user=alice, structure=structure).count() == 1
    assert ActivityLog.objects.filter(action=Action.REQUEST_APPROVED).count() == 1


def test_approve_and_refuse_at_once_give_one_outcome(alice, settings):
    from affiliations.models import Affiliation, Request, RequestStatus, Role
    from affiliations.workflow import AlreadyDecided, decide
    from tests.conftest import make_user
    from tests.factories import attach, make_structure, pending_request

    structure = make_structure("Course", services=1)
    manager = make_user("manager-r@example.fr")
    attach(manager, structure, role=Role.MAIN_MANAGER)
    req = pending_request(alice, structure)

    def either(index):
        fresh = Request.objects.get(pk=req.pk)
        if index % 2:
            return decide(req=fresh, by=manager, approve=True)
        return decide(req=fresh, by=manager, approve=False, reason="Non")

    results = _run_at_once(10, either)
    assert sum(isinstance(r, Request) for r in results) == 1, results
    assert sum(isinstance(r, AlreadyDecided) for r in results) == 9
    final = Request.objects.get(pk=req.pk)
    affiliated = Affiliation.objects.filter(user=alice, structure=structure).exists()
    assert (final.status == RequestStatus.APPROVED) == affiliated
    assert final.status in {RequestStatus.APPROVED, RequestStatus.REFUSED}


def test_twenty_concurrent_approvals_of_an_authorization_request(alice):
    from affiliations.models import Request, Role
    from affiliations.workflow import AlreadyDecided, decide
    from authorizations.models import Authorization
    from authorizations.services import save_profiles
    from tests.conftest import make_user
    from tests.factories import attach, make_structure

    structure = make_structure("Habilitations", services=1)
    manager = make_user("manager-h@example.fr")
    attach(manager, structure, role=Role.MAIN_MANAGER)
    attach(alice, structure)
    result = save_profiles(
        user=alice,
        structure=structure,
        service=None,
        by=alice,
        comment="Merci",
        desired={"issued_invoices": "modification", "commitments": "consultation"},
    )
    req = result.request

    def approve(_):
        return decide(req=Request.objects.get(pk=req.pk), by=manager, approve=True)

    results = _run_at_once(20, approve)
    assert sum(isinstance(r, Request) for r in results) == 1, results
    assert sum(isinstance(r, AlreadyDecided) for r in results) == 19
    assert Authorization.objects.filter(user=alice, structure=structure).count() == 2


def test_ten_concurrent_transfers_leave_one_main_manager(alice):
    from affiliations.models import Affiliation, AffiliationStatus, Role
    from affiliations.services import NotMainManager, transfer_main_manager
    from tests.conftest import make_user
    from tests.factories import attach, make_structure

    structure = make_structure("Passation", services=1)
    manager = make_user("manager-t@example.fr")
    attach(manager, structure, role=Role.MAIN_MANAGER)
    targets = [make_user(f"heir{i}@example.fr") for i in range(10)]
    for target in targets:
        attach(target, structure)

    def transfer(index):
        # The main manager hands the role on from ten tabs at once, to ten people.
        transfer_main_manager(structure=structure, to_user=targets[index], by=manager)
        return targets[index]

    results = _run_at_once(10, transfer)
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert sum(isinstance(r, NotMainManager) for r in results) == 9, results
    holders = Affiliation.objects.filter(
        structure=structure, role=Role.MAIN_MANAGER, status=AffiliationStatus.ACTIVE
    )
    assert list(holders.values_list("user", flat=True)) == [winners[0].pk]
    assert ActivityLog.objects.filter(action=Action.ROLE_TRANSFERRED).count() == 1
