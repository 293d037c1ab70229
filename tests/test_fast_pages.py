"""Work saved on every page (issue 13, "Fast at Chorus Pro's real size"): the answers stay
the same as the plain ORM's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from affiliations.models import Role
from affiliations.permissions import _managed_structures_query, managed_structure_ids
from affiliations.selectors import pending_approvals_count, requests_waiting_on
from tests.conftest import make_user
from tests.factories import attach, make_delegate, make_structure, pending_request

pytestmark = pytest.mark.django_db


def fresh(user):
    """The same person as a new request would load them (nothing remembered)."""
    return type(user).objects.get(pk=user.pk)


def test_the_structures_one_manages_match_the_orms_union():
    main, delegate, plain = (make_user(f"{n}@example.fr") for n in ("main", "delegate", "plain"))
    mine, other, third = (make_structure(n) for n in ("Mine", "Other", "Third"))
    attach(main, mine, role=Role.MAIN_MANAGER)
    attach(main, third, role=Role.MAIN_MANAGER)
    make_delegate(delegate, other)
    attach(plain, mine)
    expected = {main: {mine.pk, third.pk}, delegate: {other.pk}, plain: set()}
    for person, structures in expected.items():
        # Twice: the second time runs the SQL compiled the first time.
        for _ in range(2):
            found = managed_structure_ids(fresh(person))
            assert found == structures == set(_managed_structures_query(person))


@pytest.mark.parametrize("waiting", [4, 12])  # fits on the inbox's first page, or not
def test_the_header_counter_is_the_inbox_count(signed_in, waiting):
    manager = make_user("boss@example.fr")
    structure = make_structure("Counted")
    attach(manager, structure, role=Role.MAIN_MANAGER)
    asks = [pending_request(make_user(f"asker{i}@example.fr"), structure) for i in range(waiting)]
    client = signed_in(manager)
    counter = f'portal-counter" aria-label="{waiting} '
    assert counter in client.get(reverse("affiliations:users-area")).content.decode()
    assert counter in client.get(reverse("accounts:account")).content.decode()
    asks[0].delete()  # the next page counts again: nothing is kept between requests
    counter = f'portal-counter" aria-label="{waiting - 1} '
    assert counter in client.get(reverse("affiliations:users-area")).content.decode()
    assert pending_approvals_count(fresh(manager)) == waiting - 1
    assert requests_waiting_on(fresh(manager)).paginator.count == waiting - 1


# --- Session writes (chorus_portal.session_stores) ----------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("engine", ["db", "cached_db"])
def test_a_session_write_is_one_statement(engine):
    """Outside a transaction, as the session middleware writes (the cache's own work,
    for cached_db, is not counted: Redis in production)."""
    from importlib import import_module

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def session_statements(captured):
        # With cached_db the database cache of the tests adds its own statements.
        if engine == "db":
            return [q["sql"].split()[0] for q in captured]
        return [q["sql"].split()[0] for q in captured if "django_session" in q["sql"]]

    store = import_module(f"chorus_portal.session_stores.{engine}").SessionStore
    session = store()
    session["a"] = 1
    with CaptureQueriesContext(connection) as captured:
        session.cycle_key()  # a login's new key: no SELECT first
    assert session_statements(captured) == ["INSERT"]
    session["a"] = 2
    with CaptureQueriesContext(connection) as captured:
        session.save()
    assert session_statements(captured) == ["UPDATE"]
    assert store(session.session_key).load() == {"a": 2}


def test_a_taken_key_is_drawn_again(monkeypatch):
    from django.contrib.sessions.models import Session

    from chorus_portal.session_stores import db as lean

    taken = lean.SessionStore()
    taken["who"] = "first"
    taken.create()
    draws = iter([taken.session_key, "b" * 32])
    monkeypatch.setattr(lean, "get_random_string", lambda *args: next(draws), raising=False)
    monkeypatch.setattr("chorus_portal.session_stores.get_random_string", lambda *args: next(draws))
    second = lean.SessionStore()
    second["who"] = "second"
    second.create()
    assert second.session_key == "b" * 32
    assert lean.SessionStore(taken.session_key).load() == {"who": "first"}
    assert Session.objects.count() == 2


def test_a_session_ended_elsewhere_is_not_written_back():
    from django.contrib.sessions.backends.base import UpdateError
    from django.contrib.sessions.models import Session

    from chorus_portal.session_stores.db import SessionStore

    session = SessionStore()
    session["a"] = 1
    session.create()
    Session.objects.filter(session_key=session.session_key).delete()
    session["a"] = 2
    with pytest.raises(UpdateError):
        session.save()
    assert not Session.objects.exists()


# --- Lists: a first page that holds the whole list needs no COUNT -------------------------


@pytest.mark.parametrize(
    ("rows", "page", "counted", "number", "shown"),
    [
        (0, None, False, 1, 0),
        (3, None, False, 1, 3),
        (4, "1", False, 1, 4),  # exactly a page
        (5, "", True, 1, 4),  # one more than a page: counted, as Django would
        (9, "2", True, 2, 4),
        (9, "9", True, 3, 1),  # past the end: the last page, as Django's get_page
        (9, "x", True, 1, 4),
    ],
)
def test_pages_answer_as_djangos(rows, page, counted, number, shown, django_assert_num_queries):
    from django.core.paginator import Paginator

    from affiliations.models import Structure
    from affiliations.selectors import paginate

    for index in range(rows):
        make_structure(f"S{index}")
    queryset = Structure.objects.order_by("pk")
    expected = Paginator(queryset, 4).get_page(page)
    expected_pks = [s.pk for s in expected]
    with django_assert_num_queries(2 if counted else 1):
        found = paginate(queryset, page, 4)
        assert [s.pk for s in found] == expected_pks
        assert found.number == number == expected.number
        assert len(found) == shown
        assert found.paginator.count == rows == expected.paginator.count
        assert found.has_next() == expected.has_next()
        assert found.paginator.num_pages == expected.paginator.num_pages


@pytest.mark.parametrize("language", ["fr", "en"])
def test_choice_labels_are_djangos_in_each_language(language):
    """chorus_portal.choices: the labels made once per field and language are the ones
    Django makes at each call, and a value outside the choices shows as itself."""
    from django.db import models
    from django.utils import translation

    from affiliations.models import (
        Affiliation,
        AffiliationStatus,
        Request,
        RequestKind,
        RequestStatus,
        Structure,
        StructureKind,
    )

    rows = [
        *(Request(status=s, kind=k) for s in RequestStatus for k in RequestKind),
        *(Affiliation(status=s, role=r) for s in AffiliationStatus for r in Role),
        *(Structure(kind=k) for k in StructureKind),
        Request(status="no-such-status"),
    ]
    with translation.override(language):
        for row in rows:
            for field in row._meta.fields:
                if field.choices:
                    expected = models.Model._get_FIELD_display(row, field)
                    assert row._get_FIELD_display(field) == expected
        assert Request(status="no-such-status").get_status_display() == "no-such-status"
        assert Request(status=RequestStatus.PENDING).get_status_display() == str(
            RequestStatus.PENDING.label
        )
