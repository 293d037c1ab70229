"""Query plans at Chorus Pro's size, read on a small test database: the structure search
and the admin's searches and rare-value filters are answered from an index, never by
reading a whole table of a million rows.

Each query the page really makes is captured and given to PostgreSQL's EXPLAIN with
sequential scans disabled: a table that no index can serve is still scanned, so a small
table tells the same as a big one (see tests/test_scale.py for the login's lookups).
The timings themselves are in docs/benchmarks.md, never in a test."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activity.models import Action, ActivityLog
from affiliations import selectors
from affiliations.models import Request, StructureStatus
from authorizations.models import Authorization
from tests.conftest import make_user
from tests.factories import attach, make_structure, pending_request
from tests.test_scale import _explain

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="reads PostgreSQL's query plans (EXPLAIN); the indexes are PostgreSQL's",
    ),
]

# The tables of a million rows or more at Chorus Pro's size.
BIG_TABLES = (
    "accounts_user",
    "account_emailaddress",
    "mfa_emaildevice",
    "affiliations_structure",
    "affiliations_affiliation",
    "authorizations_authorization",
    "affiliations_request",
    "activity_activitylog",
)


def _plans(captured, table: str) -> list[tuple[str, str]]:
    """(SQL, plan) of every SELECT with a WHERE that reads `table`."""
    found = []
    for query in captured:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT") or " WHERE " not in sql:
            continue
        if f'FROM "{table}"' not in sql and f'JOIN "{table}"' not in sql:
            continue
        found.append((sql, _explain(sql)))
    return found


def _scans(plan: str) -> list[str]:
    return [table for table in BIG_TABLES if f"Seq Scan on {table}" in plan]


@pytest.fixture
def staff_client(signed_in, staff_user):
    return signed_in(staff_user)


@pytest.fixture
def rows(alice, bob):
    lyon = make_structure("Boulangerie Martin Lyon", services=3)
    other = make_structure("Mairie de Nantes")
    attach(alice, lyon)
    Authorization.objects.create(
        user=alice, structure=lyon, application="commitments", level="modification"
    )
    attach(bob, other)
    pending_request(bob, lyon)
    ActivityLog.objects.create(
        action=Action.LOGIN_SUCCEEDED, actor=alice, subject=alice, ip="192.0.2.7"
    )
    make_user("gone@example.fr", is_active=False)
    return lyon


def test_the_structure_search_reads_the_words_index(rows):
    siret = rows.identifier
    spaced = " ".join([siret[:3], siret[3:6], siret[6:9], siret[9:]])
    # (Kind words aside: on a table of a few rows the planner may prefer a kind's small
    # partial index; at a million rows it reads the words' index, see docs/benchmarks.md.)
    for typed in ("boulang mart", "martin lyon", siret, siret[:9], spaced):
        with CaptureQueriesContext(connection) as captured:
            found = selectors.search_structures(typed)
        assert rows.pk in [s.pk for s in found.object_list], typed
        plans = _plans(captured, "affiliations_structure")
        assert plans, typed
        matching = [plan for sql, plan in plans if "to_tsvector" in sql]
        assert matching, typed
        for plan in matching:
            assert "structure_search_words" in plan, (typed, plan)
        for sql, plan in plans:
            assert not _scans(plan), (typed, sql, plan)


ADMIN_SEARCHES = [
    ("admin:accounts_user_changelist", "ALICE@example.fr", "accounts_user"),
    ("admin:accounts_user_changelist", "mar", "accounts_user"),
    ("admin:account_emailaddress_changelist", "alice@example.fr", "account_emailaddress"),
    ("admin:mfa_emaildevice_changelist", "Alice@Example.fr", "mfa_emaildevice"),
    ("admin:affiliations_structure_changelist", "boulang martin", "affiliations_structure"),
    ("admin:affiliations_structure_changelist", "{siret}", "affiliations_structure"),
    ("admin:affiliations_affiliation_changelist", "alice@example.fr", "affiliations_affiliation"),
    ("admin:affiliations_affiliation_changelist", "{siret}", "affiliations_affiliation"),
    (
        "admin:authorizations_authorization_changelist",
        "alice@example.fr",
        "authorizations_authorization",
    ),
    ("admin:authorizations_authorization_changelist", "{siret}", "authorizations_authorization"),
    ("admin:affiliations_request_changelist", "bob@example.fr", "affiliations_request"),
    ("admin:affiliations_request_changelist", "{siret}", "affiliations_request"),
    ("admin:affiliations_request_changelist", "#{request}", "affiliations_request"),
    ("admin:activity_activitylog_changelist", "alice@example.fr", "activity_activitylog"),
    ("admin:activity_activitylog_changelist", "192.0.2.7", "activity_activitylog"),
]


@pytest.mark.parametrize(("url", "typed", "table"), ADMIN_SEARCHES)
def test_every_admin_search_reads_indexes_only(staff_client, rows, url, typed, table):
    request = Request.objects.get(structure=rows)
    typed = typed.format(siret=rows.identifier, request=request.pk)
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(reverse(url), {"q": typed})
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1, (url, typed)
    plans = _plans(captured, table)
    assert plans, (url, typed)
    for sql, plan in plans:
        assert not _scans(plan), (url, typed, sql, plan)


USERS, STRUCTURES = "admin:accounts_user_changelist", "admin:affiliations_structure_changelist"
ADDRESSES = "admin:account_emailaddress_changelist"
AFFILIATIONS = "admin:affiliations_affiliation_changelist"
PROFILES = "admin:authorizations_authorization_changelist"
ADMIN_FILTERS = [
    (USERS, {"is_staff__exact": "1"}, "admin_user_staff_by_email"),
    (USERS, {"is_superuser__exact": "1"}, "admin_user_superuser_by_email"),
    (USERS, {"is_active__exact": "0"}, "admin_user_inactive_by_email"),
    (STRUCTURES, {"kind__exact": "public"}, "admin_structure_public_by_name"),
    (STRUCTURES, {"status__exact": StructureStatus.INACTIVE}, "admin_structure_inactive_by_name"),
    (
        "admin:activity_activitylog_changelist",
        {"action__exact": Action.LOGIN_SUCCEEDED},
        "admin_log_action_by_time",
    ),
    (USERS, {"language__exact": "en"}, "admin_user_english_by_email"),
    (ADDRESSES, {"verified__exact": "0"}, "admin_address_unverified"),
    (ADDRESSES, {"primary__exact": "0"}, "admin_address_secondary"),
    ("admin:mfa_emaildevice_changelist", {"confirmed__exact": "0"}, "admin_device_unconfirmed"),
    (AFFILIATIONS, {"status__exact": "deleted"}, "admin_affiliation_ended"),
    (AFFILIATIONS, {"whole_structure__exact": "0"}, "admin_affiliation_services_only"),
    (PROFILES, {"application__exact": "commitments"}, "admin_authorization_application"),
    (PROFILES, {"level__exact": "consultation"}, "admin_authorization_level"),
    # A common value: any index in the list's order serves (newest first, then stop).
    (
        "admin:affiliations_request_changelist",
        {"kind__exact": "affiliation"},
        ("admin_request_newest", "affiliations_request_created_at"),
    ),
]


@pytest.mark.parametrize(("url", "params", "index"), ADMIN_FILTERS)
def test_rare_value_filters_read_their_own_index_in_the_lists_order(
    staff_client, rows, url, params, index
):
    from affiliations.models import Structure

    Structure.objects.filter(pk=rows.pk).update(status=StructureStatus.INACTIVE)
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(reverse(url), params)
    assert response.status_code == 200
    table = response.context["cl"].model._meta.db_table
    listing = [
        sql
        for sql in (query["sql"] for query in captured)
        if f'FROM "{table}"' in sql and " ORDER BY " in sql and "COUNT(" not in sql.upper()
    ]
    assert listing
    # The list's own query comes after the middleware's.
    plan = _explain(listing[-1], in_order=True)
    indexes = (index,) if isinstance(index, str) else index
    assert any(name in plan for name in indexes), plan
    assert not _scans(plan), plan


def test_common_words_are_matched_by_a_scan_with_the_same_rows(rows, monkeypatch):
    make_structure("Martin Martin SARL")
    make_structure("Lyon Martinez")
    typed = ["martin", "martin lyon", "boulang martin lyon", "mart sarl", "lyon"]
    expected = {q: sorted(s.pk for s in selectors.search_structures(q).object_list) for q in typed}
    # Every word counts as common: a scan, or the first word by the index and the
    # others checked by LIKE on its rows; the same structures either way.
    monkeypatch.setattr(selectors, "SCAN_ABOVE_ESTIMATE", 0)
    for query in typed:
        with CaptureQueriesContext(connection) as captured:
            found = selectors.search_structures(query)
        assert sorted(s.pk for s in found.object_list) == expected[query], query
        reading = [q["sql"] for q in captured if "LIKE" in q["sql"]]
        assert reading, query
        if " " not in query:
            assert any("max_parallel_workers_per_gather" in q["sql"] for q in captured)


def test_the_log_search_by_ip_reads_its_index_in_time_order(staff_client, rows):
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(
            reverse("admin:activity_activitylog_changelist"), {"q": "192.0.2.7"}
        )
    assert response.context["cl"].result_count == 1
    listing = [
        q["sql"]
        for q in captured
        if 'FROM "activity_activitylog"' in q["sql"] and " ORDER BY " in q["sql"]
    ]
    assert listing
    assert "admin_log_ip_by_time" in _explain(listing[-1])


def test_a_persons_own_lists_never_walk_the_index_of_every_structure_name(alice, bob):
    """Sorted by structure name, a person's affiliations could be read by walking the
    index of a million names in order until that person's turn up (0.7 s at full size):
    the lists sort the person's own rows instead."""
    for number in range(3):
        structure = make_structure(f"Structure {number}")
        attach(alice, structure, role="main_manager")
        attach(bob, structure)
    queries = [
        selectors.active_affiliations_of(alice)[:21],
        selectors.affiliations_of(alice).paginator.object_list[:21],
        selectors.users_of_managed_structures(alice).paginator.object_list[:21],
        selectors.main_managed_structures(alice).paginator.object_list[:21],
    ]
    for queryset in queries:
        sql, params = queryset.query.sql_with_params()
        plan = _explain(sql, params, in_order=True)
        assert "structure_name_order" not in plan, plan


def test_my_authorizations_look_each_service_up_by_its_key(alice):
    """The scopes of My authorizations are sorted by their service's code: joined,
    PostgreSQL hashed every service (100,000 at full size, 46 ms) for a person with 2,000
    profiles; the code is now read by key for the person's own rows only."""
    from authorizations import selectors as profile_selectors
    from authorizations.models import Application, Level

    structure = make_structure("Scoped", services=3)
    attach(alice, structure)
    for service in [None, *structure.services.all()]:
        Authorization.objects.create(
            user=alice,
            structure=structure,
            service=service,
            application=Application.ISSUED_INVOICES,
            level=Level.CONSULTATION,
        )
    with CaptureQueriesContext(connection) as captured:
        page = profile_selectors.profiles_by_scope(alice)
    codes = [group["service"].code if group["service"] else None for group in page.object_list]
    assert codes == [None, "S00001", "S00002", "S00003"]
    scopes = [q["sql"] for q in captured if "DISTINCT" in q["sql"] and "ORDER BY" in q["sql"]]
    assert len(scopes) == 1
    assert 'JOIN "affiliations_service"' not in scopes[0]
    plan = _explain(scopes[0])
    assert "affiliations_service_pkey" in plan, plan
