"""Managers hear of new requests in batches; a person hears of a manager's change to
their profiles."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from affiliations import workflow
from affiliations.models import RequestKind, Role
from affiliations.permissions import structure_managers
from authorizations import services as profile_services
from authorizations.models import Application, Authorization, Level
from notifications.models import ManagerDigest
from tests.conftest import make_user
from tests.factories import attach, make_delegate, make_structure
from tests.mailqueue import run_worker, use_database_tasks


def digests(mailoutbox, address):
    return [m for m in mailoutbox if m.to == [address] and "approval" in m.subject]


@pytest.fixture
def structure_with_managers(db):
    structure = make_structure("Mairie de Lyon")
    main = make_user("main@example.fr", first_name="Claire")
    main.language = "en"
    main.save()
    attach(main, structure, role=Role.MAIN_MANAGER)
    delegate = make_user("delegate@example.fr", first_name="Denis")
    delegate.language = "en"
    delegate.save()
    make_delegate(delegate, structure)
    member = make_user("member@example.fr")
    attach(member, structure)
    # A service-level Organisation profile does not make a manager.
    return structure, main, delegate, member


def request_from(n, structure):
    requester = make_user(f"requester{n}@example.fr")
    return workflow.submit(
        requester=requester,
        kind=RequestKind.AFFILIATION,
        structure=structure,
        whole_structure=True,
        services=[],
        comment="I work there",
    )


def test_the_managers_of_a_structure_in_one_query(
    structure_with_managers, django_assert_num_queries
):
    structure, main, delegate, member = structure_with_managers
    other = make_structure("Ailleurs")
    stranger = make_user("stranger@example.fr")
    attach(stranger, other, role=Role.MAIN_MANAGER)
    with django_assert_num_queries(1):
        managers = set(structure_managers(structure.pk))
    assert managers == {main, delegate}


@pytest.mark.django_db(transaction=True)
def test_ten_requests_in_a_minute_make_one_mail_per_manager(
    settings, structure_with_managers, mailoutbox
):
    use_database_tasks(settings)
    structure, main, delegate, member = structure_with_managers
    start = timezone.now()
    for n in range(10):
        with time_machine.travel(start + timedelta(seconds=6 * n), tick=False):
            request_from(n, structure)
    assert ManagerDigest.objects.filter(scheduled_for__isnull=False).count() == 2
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        run_worker()
    assert mailoutbox == []  # gathered, not yet due
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        run_worker()
        run_worker()
    for manager in (main, delegate):
        (mail,) = digests(mailoutbox, manager.email)
        assert mail.subject == "[Chorus Pro] 10 new requests are waiting for your approval"
        assert "Mairie de Lyon" in mail.body and "http://testserver/users/" in mail.body
    assert digests(mailoutbox, member.email) == []
    assert len(mailoutbox) == 2

    # One more request soon after: its digest waits the interval after the last one.
    mailoutbox.clear()
    with time_machine.travel(start + timedelta(minutes=21), tick=False):
        request_from(10, structure)
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        run_worker()
    assert mailoutbox == []  # 15 minutes have not passed since the last digest
    with time_machine.travel(start + timedelta(minutes=40), tick=False):
        run_worker()
    assert len(digests(mailoutbox, main.email)) == 1
    assert "A new request is waiting" in digests(mailoutbox, main.email)[0].subject


@pytest.mark.django_db(transaction=True)
def test_a_manager_is_not_told_of_their_own_request_nor_of_a_decided_one(
    settings, structure_with_managers, mailoutbox
):
    use_database_tasks(settings)
    structure, main, delegate, member = structure_with_managers
    other = make_structure("Autre structure")
    req = workflow.submit(
        requester=delegate,
        kind=RequestKind.AFFILIATION,
        structure=other,
        whole_structure=True,
        services=[],
        comment="x",
    )
    assert req.pk and not ManagerDigest.objects.exists()  # nobody manages it
    start = timezone.now()
    req = request_from(1, structure)
    workflow.decide(req=req, by=main, approve=True)
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        run_worker()
    # Decided before the digest left: nothing to tell the managers.
    assert digests(mailoutbox, main.email) == [] and digests(mailoutbox, delegate.email) == []


@pytest.mark.django_db
def test_a_managers_change_of_someones_profiles_mails_that_person(
    structure_with_managers, mailoutbox
):
    structure, main, delegate, member = structure_with_managers
    member.language = "en"
    member.save()
    Authorization.objects.create(
        user=member,
        structure=structure,
        application=Application.COMMITMENTS,
        level=Level.MODIFICATION,
    )
    mailoutbox.clear()
    profile_services.save_profiles(
        user=member,
        structure=structure,
        service=None,
        desired={
            Application.COMMITMENTS: Level.CONSULTATION,
            Application.ISSUED_INVOICES: Level.MODIFICATION,
        },
        by=delegate,
    )
    (mail,) = mailoutbox
    assert mail.to == [member.email]
    assert mail.subject == "[Chorus Pro] Your profiles on Mairie de Lyon have changed"
    assert "Denis" in mail.body
    assert "Issued invoices – Modification: granted" in mail.body
    assert "Commitments – Consultation (was Modification)" in mail.body
    # A person's own change is not mailed back to them.
    mailoutbox.clear()
    profile_services.save_profiles(
        user=member, structure=structure, service=None, desired={}, by=member
    )
    assert mailoutbox == []
