"""My account and the Users area are kept once drawn (chorus_portal.page_cache): a second
visit costs what the bare request costs, and every change they show is there at the next
visit, whoever made it and however it was written."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from accounts.models import User
from affiliations.models import Affiliation, AffiliationStatus, Request, RequestStatus, Role
from chorus_portal import page_cache
from tests.conftest import make_user
from tests.factories import attach, make_delegate, make_structure, pending_request

pytestmark = pytest.mark.django_db

ACCOUNT = reverse("accounts:account")
USERS = reverse("affiliations:users-area")
AFFILIATIONS = reverse("affiliations:affiliation-list")
PAGES = [ACCOUNT, USERS, AFFILIATIONS]


def counter(html: str) -> int | None:
    found = re.search(r'portal-counter" aria-label="(\d+) ', html)
    return int(found.group(1)) if found else None


def visit(client, url: str, params=None) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def kept(client, url: str) -> str:
    """Visit twice: the second visit is served from what the first one drew."""
    visit(client, url)  # the first visit sets the CSRF cookie the key needs
    first = visit(client, url)
    with CaptureQueriesContext(connection) as captured:
        second = visit(client, url)
    assert second == first
    assert not any("affiliations_" in q["sql"] for q in captured), "the page was drawn again"
    return second


@pytest.fixture
def team(signed_in):
    """A structure with its main manager, a delegate (Organisation – Modification) and a
    member; each signed in, each page already kept once."""
    structure = make_structure("Mairie de Lyon")
    boss = make_user("boss@example.fr", first_name="Claire", last_name="Martin")
    delegate = make_user("delegate@example.fr", first_name="Denis", last_name="Roux")
    member = make_user("member@example.fr", first_name="Hugo", last_name="Bernard")
    attach(boss, structure, role=Role.MAIN_MANAGER)
    make_delegate(delegate, structure)
    attach(member, structure)
    people = {"boss": boss, "delegate": delegate, "member": member}
    clients = {name: signed_in(person) for name, person in people.items()}
    for client in clients.values():
        for url in PAGES:
            kept(client, url)
    return structure, people, clients


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("rows", [10, 100])
def test_a_second_visit_costs_the_bare_requests_queries(signed_in, url, rows):
    """Drawn once; then the session, the person and the second factor are read (as for any
    request), the stamps from the cache, and nothing else: the same at 10 and 100 rows."""
    boss = make_user("boss@example.fr")
    structure = make_structure("Counted")
    attach(boss, structure, role=Role.MAIN_MANAGER)
    for i in range(rows):
        asker = make_user(f"asker{i}@example.fr")
        attach(asker, structure)
        pending_request(asker, structure)
    client = signed_in(boss)
    visit(client, url)
    visit(client, url)
    with CaptureQueriesContext(connection) as captured:
        visit(client, url)
    tables = [re.search(r'FROM "(\w+)"', q["sql"]).group(1) for q in captured]
    # The tests' cache is the database's: the stamps' read is a query (Redis in production).
    assert tables == ["django_session", "accounts_user", "mfa_emaildevice", "portal_cache"]


def test_my_own_changes_show_at_once(signed_in, alice):
    client = signed_in(alice)
    kept(client, ACCOUNT)
    response = client.post(
        reverse("accounts:account-edit", args=["last-name"]), {"last_name": "Dupont"}
    )
    assert response.status_code == 302
    html = visit(client, response.url)  # with the message: drawn, not kept
    assert "Dupont" in html
    assert "Dupont" in kept(client, ACCOUNT)
    # A change written without any signal or log (an UPDATE): the page keys on the row.
    User.objects.filter(pk=alice.pk).update(first_name="Alicia")
    assert "Alicia" in visit(client, ACCOUNT)


def test_a_message_is_shown_once_and_never_kept(signed_in, alice):
    client = signed_in(alice)
    kept(client, ACCOUNT)
    client.post(reverse("accounts:preferences"), {"language": "fr", "survey_consent": "on"})
    with_message = visit(client, ACCOUNT)
    assert "fr-alert--success" in with_message
    again = visit(client, ACCOUNT)
    assert "fr-alert--success" not in again
    assert again == visit(client, ACCOUNT)


def test_a_new_request_reaches_every_manager_and_the_counter(team):
    structure, people, clients = team
    assert counter(kept(clients["boss"], USERS)) is None
    asker = make_user("asker@example.fr", first_name="Zoé", last_name="Lefèvre")
    pending_request(asker, structure)
    for name in ("boss", "delegate"):
        html = visit(clients[name], USERS)
        assert "Lefèvre" in html and counter(html) == 1
        assert counter(visit(clients[name], ACCOUNT)) == 1
    assert "Lefèvre" not in visit(clients["member"], USERS)


def test_a_decision_reaches_the_requester_and_the_other_managers(team, signed_in):
    structure, people, clients = team
    asker = make_user("asker@example.fr", last_name="Lefèvre")
    req = pending_request(asker, structure)
    asker_client = signed_in(asker)
    kept_before = kept(asker_client, USERS)
    own_before = kept(asker_client, AFFILIATIONS)
    assert "Mairie de Lyon" in kept_before  # among their pending requests
    assert counter(kept(clients["delegate"], USERS)) == 1
    response = clients["boss"].post(reverse("affiliations:requests-decide"), {"approve": req.pk})
    assert response.status_code == 302
    assert Request.objects.get(pk=req.pk).status == RequestStatus.APPROVED
    assert counter(visit(clients["delegate"], USERS)) is None
    assert Affiliation.objects.filter(user=asker, structure=structure).exists()
    assert "Lefèvre" in visit(clients["delegate"], USERS)  # now among the members
    # The requester's pages: no pending request left, the structure among their own.
    assert visit(asker_client, USERS) != kept_before
    assert visit(asker_client, AFFILIATIONS) != own_before


def test_a_members_own_changes_reach_their_managers(team):
    structure, people, clients = team
    response = clients["member"].post(
        reverse("accounts:account-edit", args=["last-name"]), {"last_name": "Bernardin"}
    )
    assert response.status_code == 302
    for name in ("boss", "delegate"):
        assert "Bernardin" in visit(clients[name], USERS)


def test_a_member_deactivated_moves_on_the_managers_page(team):
    structure, people, clients = team
    member = people["member"]
    before = kept(clients["boss"], USERS)
    Affiliation.objects.filter(user=member).update(status=AffiliationStatus.DEACTIVATED)
    # An UPDATE alone is not seen: the services that write one refresh the pages.
    assert visit(clients["boss"], USERS) == before
    page_cache.refresh(users=[member])
    assert visit(clients["boss"], USERS) != before


def test_the_services_updates_refresh_the_pages_they_change(team):
    """Deactivation writes its rows with UPDATEs and logs: the managers see it."""
    from accounts import services as account_services

    structure, people, clients = team
    before = kept(clients["boss"], USERS)
    account_services.deactivate(user=people["member"], by=people["member"])
    after = visit(clients["boss"], USERS)
    assert after != before
    assert Affiliation.objects.get(user=people["member"]).status == AffiliationStatus.DEACTIVATED


def test_staff_changes_in_the_admin_reach_everyone(team, staff_user):
    structure, people, clients = team
    # Written without a signal: not seen yet.
    type(structure).objects.filter(pk=structure.pk).update(company_name="Mairie de Lyon 2e")
    assert "Mairie de Lyon 2e" not in visit(clients["member"], USERS)
    # Whatever staff save in the admin is logged there, and that entry refreshes everyone.
    LogEntry.objects.create(
        user=staff_user,
        content_type=ContentType.objects.get_for_model(structure),
        object_id=str(structure.pk),
        object_repr="Mairie de Lyon 2e",
        action_flag=CHANGE,
    )
    for client in clients.values():
        assert "Mairie de Lyon 2e" in visit(client, USERS)


def test_a_structure_renamed_anywhere_reaches_everyone(team):
    structure, people, clients = team
    structure.company_name = "Métropole de Lyon"
    structure.save()
    for client in clients.values():
        assert "Métropole de Lyon" in visit(client, USERS)


def test_a_session_ended_elsewhere_leaves_my_other_browsers_list(signed_in, alice):
    from accounts.models import UserSession

    laptop, phone, tablet = signed_in(alice), signed_in(alice), signed_in(alice)
    for client in (phone, tablet):
        visit(client, ACCOUNT)  # each session indexed
    ends = re.compile(r"/account/sessions/(\d+)/end/")
    listed = set(ends.findall(kept(laptop, ACCOUNT)))
    assert len(listed) == 2
    tablet_row = UserSession.objects.get(session_id=tablet.session.session_key)
    response = phone.post(reverse("accounts:session-end", args=[tablet_row.pk]))
    assert response.status_code == 302
    assert set(ends.findall(visit(laptop, ACCOUNT))) == listed - {str(tablet_row.pk)}


def test_people_and_sessions_never_share_a_page(signed_in, alice, bob):
    first, second, other = signed_in(alice), signed_in(alice), signed_in(bob)
    clients = {"first": first, "second": second, "other": other}
    pages = {name: kept(client, ACCOUNT) for name, client in clients.items()}
    assert "alice@example.fr" in pages["first"] and "alice@example.fr" in pages["second"]
    assert "alice@example.fr" not in pages["other"]
    # Each browser's page carries a token for its own CSRF secret, and it works.
    tokens = {
        name: re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        for name, html in pages.items()
    }
    assert len(set(tokens.values())) == 3
    strict = type(first)(enforce_csrf_checks=True)
    strict.cookies = first.cookies
    response = strict.post(
        reverse("accounts:preferences"),
        {"language": "fr", "csrfmiddlewaretoken": tokens["first"]},
    )
    assert response.status_code == 302


def test_each_language_and_page_of_a_list_is_its_own(signed_in, alice):
    client = signed_in(alice)
    french = kept(client, ACCOUNT)
    assert 'lang="fr"' in french
    User.objects.filter(pk=alice.pk).update(language="en")
    english = visit(client, ACCOUNT)
    assert 'lang="en"' in english
    first_page = kept(client, USERS)
    assert visit(client, USERS, {"affiliations_page": "2"}) != first_page


def test_a_cache_out_of_order_only_means_pages_are_drawn(signed_in, alice, monkeypatch):
    client = signed_in(alice)
    kept(client, ACCOUNT)

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(caches["default"], "get_many", broken)
    monkeypatch.setattr(caches["default"], "delete_many", broken)
    assert "alice@example.fr" in visit(client, ACCOUNT)
    response = client.post(
        reverse("accounts:account-edit", args=["last-name"]), {"last_name": "Sans-Cache"}
    )
    assert response.status_code == 302


def test_without_the_setting_nothing_is_kept(signed_in, alice):
    client = signed_in(alice)
    with override_settings(PAGE_CACHE=False):
        visit(client, ACCOUNT)
        with CaptureQueriesContext(connection) as captured:
            visit(client, ACCOUNT)
    assert len(captured) > 4


def test_a_change_made_while_a_page_is_drawn_shows_at_the_next_visit(team, monkeypatch):
    """The page's key is taken before it is drawn: a change committed meanwhile deletes
    the stamp under that key, so the page drawn from the older rows is never served."""
    from affiliations import views

    structure, people, clients = team
    member = people["member"]
    original = views.selectors.users_of_managed_structures
    changed = []

    def members_then_a_change(*args, **kwargs):
        members = original(*args, **kwargs)  # read (evaluated) before the change
        if not changed:
            changed.append(True)
            User.objects.filter(pk=member.pk).update(last_name="Bernardini")
            page_cache.refresh(users=[member])
        return members

    monkeypatch.setattr(views.selectors, "users_of_managed_structures", members_then_a_change)
    page_cache.refresh(users=[people["boss"]])  # the next visit draws
    drawn = visit(clients["boss"], USERS)
    assert changed and "Bernardini" not in drawn  # drawn from the rows read before
    assert "Bernardini" in visit(clients["boss"], USERS)


def test_a_stamp_dropped_while_it_is_made_means_drawing_without_keeping(
    signed_in, alice, monkeypatch
):
    client = signed_in(alice)
    visit(client, ACCOUNT)
    cache = caches["default"]
    cache.delete(page_cache.STAMP.format(alice.pk))
    real_add = cache.add

    def add_then_dropped(key, *args, **kwargs):
        added = real_add(key, *args, **kwargs)
        cache.delete(key)  # a refresh lands between the add and the read
        return added

    monkeypatch.setattr(cache, "add", add_then_dropped)
    pages = caches["pages"]
    before = len(pages._cache)
    assert "alice@example.fr" in visit(client, ACCOUNT)
    assert len(pages._cache) == before  # drawn, not kept
