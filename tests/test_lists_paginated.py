"""Every list of the portal's pages shows one page of rows, with its pagination.

Each list is given a page and five rows more; the page must show a page of rows at most
and the links to the next one. Several lists on one page turn their pages apart.
The pages' query counts stay the same from 10 to 100 rows.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from accounts.models import User
from affiliations import selectors
from affiliations.models import (
    Affiliation,
    AffiliationStatus,
    Request,
    RequestKind,
    Role,
)
from authorizations import selectors as profile_selectors
from authorizations.models import Authorization
from tests.factories import attach, make_structure
from tests.test_query_counts import count_queries, many_structures

pytestmark = pytest.mark.django_db

PER_PAGE = 4
MORE = PER_PAGE + 5


class _Rows(HTMLParser):
    """Counts the body rows of the table inside the element of id `root`."""

    def __init__(self, root: str):
        super().__init__()
        self.root, self.depth, self.in_body, self.rows, self.found = root, 0, False, 0, False

    def handle_starttag(self, tag, attrs):
        if self.depth:
            if tag not in {"input", "br", "img", "meta", "link"}:
                self.depth += 1
            if tag == "tbody":
                self.in_body = True
            elif tag == "tr" and self.in_body:
                self.rows += 1
        elif dict(attrs).get("id") == self.root:
            self.depth, self.found = 1, True

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
            if tag == "tbody":
                self.in_body = False


def rows_of(html: str, table_id: str) -> int:
    parser = _Rows(table_id)
    parser.feed(html)
    assert parser.found, f"no #{table_id} on the page"
    return parser.rows


def has_next_page(html: str, param: str) -> bool:
    return f"{param}=2" in html and "fr-pagination__link--next" in html


@pytest.fixture
def small_pages(monkeypatch):
    for name in ("ROWS_PER_PAGE", "HISTORY_PER_PAGE", "CHOICES_PER_PAGE"):
        monkeypatch.setattr(selectors, name, PER_PAGE)
    monkeypatch.setattr(profile_selectors, "SCOPES_PER_PAGE", PER_PAGE)


def users(n: int, prefix: str) -> list[User]:
    return User.objects.bulk_create(
        User(email=f"{prefix}{i}@example.fr", first_name=f"Prénom{i}", last_name=f"{prefix}{i:04d}")
        for i in range(n)
    )


def pending(requesters, structure, prefix: str = "") -> list[Request]:
    return Request.objects.bulk_create(
        Request(
            kind=RequestKind.AFFILIATION,
            requester=user,
            structure=structure,
            comment="Merci",
            fingerprint=f"{prefix}{user.pk}-{structure.pk}",
        )
        for user in requesters
    )


def my_rows(user, n: int) -> None:
    """`n` affiliations, `n` pending requests, `n` scopes of profiles for `user`."""
    structures = many_structures(n, f"{user.pk % 10}8")
    Affiliation.objects.bulk_create(
        Affiliation(user=user, structure=s, whole_structure=True) for s in structures
    )
    Request.objects.bulk_create(
        Request(
            kind=RequestKind.AFFILIATION,
            requester=user,
            structure=s,
            comment="c",
            fingerprint=f"mine-{s.pk}",
        )
        for s in structures
    )
    Authorization.objects.bulk_create(
        Authorization(user=user, structure=s, application="commitments", level="consultation")
        for s in structures
    )


def test_my_affiliations_and_my_pending_requests(small_pages, signed_in, alice):
    my_rows(alice, MORE)
    client = signed_in(alice)
    html = client.get(reverse("affiliations:affiliation-list")).content.decode()
    assert rows_of(html, "my-affiliations-table") == PER_PAGE
    assert rows_of(html, "my-pending-table") == PER_PAGE
    assert has_next_page(html, "affiliations_page") and has_next_page(html, "pending_page")
    # Each list turns its own page: the other stays where it was.
    html = client.get(
        reverse("affiliations:affiliation-list"), {"affiliations_page": 3, "pending_page": 2}
    ).content.decode()
    assert rows_of(html, "my-affiliations-table") == MORE - 2 * PER_PAGE
    assert rows_of(html, "my-pending-table") == PER_PAGE
    assert "Page 3 sur 3" in html and "Page 2 sur 3" in html


def test_history_and_my_authorizations(small_pages, signed_in, alice):
    my_rows(alice, MORE)
    client = signed_in(alice)
    html = client.get(reverse("affiliations:request-list")).content.decode()
    assert rows_of(html, "history-table") == PER_PAGE and has_next_page(html, "page")
    html = client.get(reverse("authorizations:authorization-list")).content.decode()
    assert rows_of(html, "authorizations-table") == PER_PAGE and has_next_page(html, "page")
    last = client.get(reverse("authorizations:authorization-list"), {"page": 3})
    assert rows_of(last.content.decode(), "authorizations-table") == MORE - 2 * PER_PAGE


def test_my_authorizations_groups_a_scope_on_one_page(small_pages, signed_in, alice):
    structure = make_structure("Habilitations", services=MORE)
    attach(alice, structure)
    services = list(structure.services.order_by("code"))
    Authorization.objects.bulk_create(
        [
            Authorization(user=alice, structure=structure, application=app, level="consultation")
            for app in ("commitments", "connections", "organisation")
        ]
        + [
            Authorization(
                user=alice, structure=structure, service=s, application=app, level="modification"
            )
            for s in services
            for app in ("issued_invoices", "received_invoices")
        ]
    )
    client = signed_in(alice)
    pages = [
        client.get(reverse("authorizations:authorization-list"), {"page": n}).content.decode()
        for n in (1, 2, 3)
    ]
    # One row per scope (the structure, then each service), every profile of it in that row.
    assert [rows_of(html, "authorizations-table") for html in pages] == [4, 4, MORE + 1 - 8]
    assert pages[0].index("Engagements") < pages[0].index(services[0].code)
    assert sum(html.count("Factures émises – Modification") for html in pages) == MORE


def test_every_list_of_the_users_area(small_pages, signed_in):
    manager = User.objects.create_user(email="chef@example.fr", password="x" * 16)
    structures = many_structures(MORE, "91")
    Affiliation.objects.bulk_create(
        Affiliation(user=manager, structure=s, role=Role.MAIN_MANAGER, whole_structure=True)
        for s in structures
    )
    first = structures[0]
    members = users(MORE, "membre")
    Affiliation.objects.bulk_create(
        Affiliation(user=u, structure=first, whole_structure=True) for u in members
    )
    pending(users(MORE, "demandeur"), first)
    gone = users(MORE, "parti")
    User.objects.filter(pk__in=[u.pk for u in gone]).update(is_active=False)
    Affiliation.objects.bulk_create(
        Affiliation(user=u, structure=first, status=AffiliationStatus.DEACTIVATED) for u in gone
    )
    Request.objects.bulk_create(
        Request(
            kind=RequestKind.AFFILIATION,
            requester=manager,
            structure=s,
            comment="c",
            fingerprint=f"chef-{s.pk}",
        )
        for s in many_structures(MORE, "92")
    )
    client = signed_in(manager)
    html = client.get(reverse("affiliations:users-area")).content.decode()
    assert rows_of(html, "inbox-table") == PER_PAGE
    assert rows_of(html, "members-table") == PER_PAGE
    assert rows_of(html, "my-affiliations-table") == PER_PAGE
    assert rows_of(html, "my-pending-table") == PER_PAGE
    assert html.count('action="/users/members/') == PER_PAGE  # deactivated accounts
    assert html.count('href="/users/structures/') == PER_PAGE  # transfer of the role
    for param in (
        "page",
        "users_page",
        "deactivated_page",
        "structures_page",
        "affiliations_page",
        "pending_page",
    ):
        assert f"?{param}=2" in html, param
    # The members (the manager in each structure, and the others): their last page
    # leaves the inbox on its first, and the inbox's next page keeps theirs.
    html = client.get(reverse("affiliations:users-area"), {"users_page": 5}).content.decode()
    assert rows_of(html, "members-table") == 2 * MORE - 4 * PER_PAGE
    assert rows_of(html, "inbox-table") == PER_PAGE
    assert "?users_page=5&amp;page=2" in html


def test_the_lists_to_choose_a_structure_from(small_pages, signed_in, alice):
    my_rows(alice, MORE)
    client = signed_in(alice)
    for url in (
        reverse("affiliations:affiliation-detach"),
        reverse("authorizations:authorization-manage"),
    ):
        html = client.get(url).content.decode()
        assert rows_of(html, "choose-structure-table") == PER_PAGE, url
        assert has_next_page(html, "page") and "<select" not in html, url
        assert html.count(f'href="{url}?affiliation=') == PER_PAGE


def test_the_transfer_page_searches_and_pages_the_members(small_pages, signed_in, mailoutbox):
    manager = User.objects.create_user(email="chef@example.fr", password="x" * 16)
    structure = make_structure("Transfert")
    attach(manager, structure, role=Role.MAIN_MANAGER)
    people = users(MORE, "membre")
    Affiliation.objects.bulk_create(
        Affiliation(user=u, structure=structure, whole_structure=True) for u in people
    )
    client = signed_in(manager)
    url = reverse("affiliations:role-transfer", args=[structure.pk])
    html = client.get(url).content.decode()
    assert html.count('name="new_manager"') == PER_PAGE
    assert "<select" not in html and has_next_page(html, "page")
    assert f"{MORE} utilisateurs peuvent devenir gestionnaire principal." in html
    # A search narrows the members (name or address); the choice works from any page.
    html = client.get(url, {"member_q": "membre0007"}).content.decode()
    assert html.count('name="new_manager"') == 1 and "membre7@example.fr" in html
    assert "Aucun utilisateur" in client.get(url, {"member_q": "personne"}).content.decode()
    last = people[-1]
    response = client.post(f"{url}?page=3", {"new_manager": last.pk})
    assert response.status_code == 302
    assert Affiliation.objects.get(user=last, structure=structure).role == Role.MAIN_MANAGER


def test_the_transfer_page_says_a_missing_choice(signed_in):
    manager = User.objects.create_user(email="chef@example.fr", password="x" * 16)
    structure = make_structure("Transfert")
    attach(manager, structure, role=Role.MAIN_MANAGER)
    attach(users(1, "membre")[0], structure)
    url = reverse("affiliations:role-transfer", args=[structure.pk])
    html = signed_in(manager).post(url, {}).content.decode()
    assert "fr-fieldset--error" in html and 'id="id_new_manager"' in html
    assert Affiliation.objects.get(user=manager).role == Role.MAIN_MANAGER


# --- query counts: flat from 10 to 100 rows (real page sizes) ----------------------------


@pytest.mark.parametrize("size", [10, 100])
def test_list_pages_query_counts_stay_flat(signed_in, size):
    person = User.objects.create_user(email="chef@example.fr", password="x" * 16)
    structures = many_structures(size, "93")
    Affiliation.objects.bulk_create(
        Affiliation(user=person, structure=s, role=Role.MAIN_MANAGER, whole_structure=True)
        for s in structures
    )
    first = structures[0]
    Affiliation.objects.bulk_create(
        Affiliation(user=u, structure=first, whole_structure=True) for u in users(size, "m")
    )
    gone = users(size, "g")
    User.objects.filter(pk__in=[u.pk for u in gone]).update(is_active=False)
    Affiliation.objects.bulk_create(
        Affiliation(user=u, structure=first, status=AffiliationStatus.DEACTIVATED) for u in gone
    )
    client = signed_in(person)
    pages = [
        (reverse("affiliations:affiliation-detach"), None),
        (reverse("authorizations:authorization-manage"), None),
        (reverse("affiliations:role-transfer", args=[first.pk]), None),
        (reverse("affiliations:role-transfer", args=[first.pk]), {"member_q": "m", "page": 2}),
        (reverse("affiliations:users-area"), None),
    ]
    # The users area counts its inbox once for the header's counter too, and a first page
    # that holds its whole list needs no COUNT (issue 13; [7, 7, 9, 9, 18] at both sizes
    # before): at 10 rows the lists fit on their first pages.
    expected = [6, 6, 8, 9, 13] if size == 10 else [7, 7, 9, 9, 17]
    assert [count_queries(client, url, params) for url, params in pages] == expected
