"""Each page's query count is pinned, and stays flat when its data grows a hundredfold."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from affiliations.identifiers import with_luhn_key
from affiliations.models import (
    Affiliation,
    Request,
    RequestKind,
    Role,
    Service,
    Structure,
    StructureKind,
)
from tests.conftest import make_user
from tests.factories import attach, make_structure

pytestmark = pytest.mark.django_db


def count_queries(client, url, params=None) -> int:
    """The queries of drawing the page (My account and the Users area are kept once drawn:
    their second visit is pinned in test_page_cache)."""
    with override_settings(PAGE_CACHE=False):
        client.get(url, params)  # warm the session and caches
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, params)
    assert response.status_code == 200
    return len(captured)


def many_structures(n: int, prefix: str) -> list[Structure]:
    return Structure.objects.bulk_create(
        Structure(
            identifier=with_luhn_key(f"{prefix}{i:09d}"),
            company_name=f"Société {prefix} {i}",
            kind=StructureKind.PRIVATE,
            search_text=f"societe {prefix} {i}",
        )
        for i in range(n)
    )


def requests_for(user, structures, *, services=None):
    reqs = Request.objects.bulk_create(
        Request(
            kind=RequestKind.AFFILIATION,
            requester=user,
            structure=s,
            comment="c",
            fingerprint=f"{user.pk}-{s.pk}",
            whole_structure=services is None,
        )
        for s in structures
    )
    if services:
        through = Request.services.through
        through.objects.bulk_create(
            through(request_id=r.pk, service_id=svc.pk) for r in reqs for svc in services
        )
    return reqs


@pytest.mark.parametrize("size", [10, 1000])
def test_my_affiliations(signed_in, alice, size):
    structures = many_structures(size, "4")
    Affiliation.objects.bulk_create(
        Affiliation(user=alice, structure=s, whole_structure=True) for s in structures
    )
    requests_for(alice, many_structures(size, "5"))
    # A first page that holds the whole list needs no COUNT (issue 13): 11 otherwise.
    expected = 9 if size == 10 else 11
    assert count_queries(signed_in(alice), reverse("affiliations:affiliation-list")) == expected


@pytest.mark.parametrize("size", [500, 5000])
def test_request_form_with_a_large_structure(signed_in, alice, size):
    big = make_structure("Ministère", services=size)
    url = reverse("affiliations:affiliation-request")
    client = signed_in(alice)
    assert count_queries(client, url, {"structure": big.pk}) == 7
    # The services found fit on the first page: no COUNT (issue 13; 7 before).
    assert count_queries(client, url, {"structure": big.pk, "service_q": "S0042"}) == 6


@pytest.mark.parametrize("size", [10, 1000])
def test_structure_search(signed_in, alice, size):
    many_structures(size, "6")
    url = reverse("affiliations:affiliation-request")
    # On PostgreSQL, one more: the planner's estimate of the word's matches (EXPLAIN).
    estimates = 1 if connection.vendor == "postgresql" else 0
    assert count_queries(signed_in(alice), url, {"q": "société 6"}) == 6 + estimates


@pytest.mark.parametrize("size", [10, 1000])
def test_managers_inbox(signed_in, alice, size):
    manager = make_user("boss@example.fr")
    structure = make_structure("Inbox", services=3)
    attach(manager, structure, role=Role.MAIN_MANAGER)
    requesters = [make_user(f"r{i}@example.fr") for i in range(3)]
    services = list(Service.objects.filter(structure=structure))
    # A page of requests with services to show, then many more pending behind it.
    for index in range(min(size, 60)):
        Request.objects.create(
            kind=RequestKind.AFFILIATION,
            requester=requesters[index % 3],
            structure=structure,
            comment="c",
            fingerprint=str(index),
            whole_structure=False,
        ).services.set(services[: 1 + index % 3])
    Request.objects.bulk_create(
        Request(
            kind=RequestKind.AFFILIATION,
            requester=requesters[0],
            structure=structure,
            comment="c",
            fingerprint=f"bulk{i}",
        )
        for i in range(max(size - 60, 0))
    )
    members = Affiliation.objects.bulk_create(
        Affiliation(user=u, structure=structure, whole_structure=False) for u in requesters
    )
    for member in members:
        member.services.set(services)
    # The inbox's count is the header's counter too, and a list that fits on its first
    # page needs no COUNT (issue 13; 20 at both sizes before).
    expected = 15 if size == 10 else 16
    assert count_queries(signed_in(manager), reverse("affiliations:users-area")) == expected


@pytest.mark.parametrize("size", [10, 1000])
def test_history(signed_in, alice, size):
    structure = make_structure("Historique", services=2)
    services = list(structure.services.all())
    requests_for(alice, many_structures(size, "7"), services=services)
    client = signed_in(alice)
    url = reverse("affiliations:request-list")
    # A first page that holds the whole list needs no COUNT (issue 13): 8 otherwise.
    assert count_queries(client, url) == (7 if size == 10 else 8)
    assert count_queries(client, url, {"status": "pending", "page": 2}) == 8


def _profiles(user, structures, per_structure: int) -> None:
    from authorizations.models import Application, Authorization

    applications = list(Application.values)
    rows = []
    for structure in structures:
        services = list(structure.services.all())
        for index in range(per_structure):
            service = None if index < len(applications) else services[index % len(services)]
            rows.append(
                Authorization(
                    user=user,
                    structure=structure,
                    service=service,
                    application=applications[index % len(applications)],
                    level="consultation",
                )
            )
    Authorization.objects.bulk_create(rows)


@pytest.mark.parametrize(("structures", "per_structure"), [(2, 10), (20, 10)])
def test_my_authorizations(signed_in, alice, structures, per_structure):
    items = [make_structure(f"P{i}", services=5) for i in range(structures)]
    for structure in items:
        attach(alice, structure)
    _profiles(alice, items, per_structure)
    assert count_queries(signed_in(alice), reverse("authorizations:authorization-list")) == 7


@pytest.mark.parametrize("services", [50, 5000])
def test_manage_form(signed_in, alice, services):
    structure = make_structure("Gestion", services=services)
    affiliation = attach(alice, structure)
    _profiles(alice, [structure], 11)
    url = reverse("authorizations:authorization-manage")
    client = signed_in(alice)
    assert count_queries(client, url, {"affiliation": affiliation.pk, "service": ""}) == 7


@pytest.mark.parametrize("members", [5, 100])
def test_managers_member_page_and_users_area(signed_in, members):
    manager = make_user("boss2@example.fr")
    structure = make_structure("Membres", services=3)
    attach(manager, structure, role=Role.MAIN_MANAGER)
    people = [make_user(f"m{i}@example.fr") for i in range(members)]
    affiliations = [attach(p, structure) for p in people]
    for person in people:
        _profiles(person, [structure], 4)
    client = signed_in(manager)
    url = reverse("authorizations:member-authorizations", args=[affiliations[0].pk])
    assert count_queries(client, url, {"service": ""}) == 8
    # The inbox's count is the header's counter too, and a list that fits on its first
    # page needs no COUNT (issue 13; 17 at both sizes before).
    expected = 13 if members == 5 else 14
    assert count_queries(client, reverse("affiliations:users-area")) == expected


@pytest.mark.parametrize(("affiliations", "other_sessions"), [(1, 0), (50, 30)])
def test_my_account(signed_in, alice, affiliations, other_sessions):
    for index in range(affiliations):
        attach(alice, make_structure(f"Compte {index}"))
    for _ in range(other_sessions):
        signed_in(alice).get(reverse("home"))  # each indexes its session
    # The active sessions are one query, however many.
    assert count_queries(signed_in(alice), reverse("accounts:account")) == 5


@pytest.mark.parametrize("history", [0, 100])
def test_change_of_login_address(signed_in, alice, history):
    from login_address.models import AddressChange

    requests_for(alice, many_structures(history, "8"))
    client = signed_in(alice)
    url = reverse("login_address:change")
    assert count_queries(client, url) == 5
    req = Request.objects.create(
        kind=RequestKind.LOGIN_ADDRESS, requester=alice, comment="", fingerprint="address"
    )
    AddressChange.objects.create(request=req, new_email="alice.new@example.fr", token_hash="0" * 64)
    # With a change pending: the same queries, the change read with its request.
    assert count_queries(client, url) == 5


def test_confirmation_page(client, alice):
    from login_address.models import AddressChange
    from login_address.services import token_hash

    req = Request.objects.create(
        kind=RequestKind.LOGIN_ADDRESS, requester=alice, comment="", fingerprint="address"
    )
    AddressChange.objects.create(
        request=req, new_email="alice.new@example.fr", token_hash=token_hash("t" * 43)
    )
    url = reverse("login_address:confirm", args=["t" * 43])
    # Signed out: the session (none yet) and the change with its request.
    assert count_queries(client, url) == 1
