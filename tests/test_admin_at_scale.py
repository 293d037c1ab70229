"""The admin at 1.1 million users: pages whose work does not grow with the tables."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activity.models import Action, ActivityLog
from affiliations.models import Affiliation
from authorizations.models import Authorization
from tests.conftest import make_user
from tests.factories import attach, make_structure

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(signed_in, staff_user):
    staff_user.language = "en"
    staff_user.save(update_fields=["language"])
    return signed_in(staff_user)


def _form_data(form) -> dict:
    data = {}
    for field in form:
        if field.field.disabled:
            continue
        value = field.value()
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[field.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[field.html_name] = [str(getattr(v, "pk", v)) for v in value]
        else:
            data[field.html_name] = str(getattr(value, "pk", value))
    return data


def _change_form_data(response) -> dict:
    """What a browser posts back from an admin change page left as it is."""
    data = _form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_data(formset.management_form))
        for form in formset.forms:
            data.update(_form_data(form))
    return data


def test_a_user_with_many_affiliations_shows_the_latest_and_saves(staff_client, staff_user):
    person = make_user("busy@example.fr", first_name="Busy", last_name="Person")
    affiliations = [attach(person, make_structure(f"Structure {i}")) for i in range(25)]
    Authorization.objects.bulk_create(
        Authorization(
            user=person, structure=a.structure, application="commitments", level="modification"
        )
        for a in affiliations
    )
    url = reverse("admin:accounts_user_change", args=[person.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    formsets = {f.formset.prefix: f.formset for f in response.context["inline_admin_formsets"]}
    shown = formsets["affiliations"].queryset
    assert sorted(a.pk for a in shown) == sorted(a.pk for a in affiliations[-20:])
    assert len(formsets["authorizations"].forms) == 20
    html = response.content.decode()
    assert "Only the 20 latest are shown here." in html
    assert f"/admin/affiliations/affiliation/?user__id__exact={person.pk}" in html
    assert f"/admin/authorizations/authorization/?user__id__exact={person.pk}" in html
    # The list behind the link holds all of them.
    listed = staff_client.get(
        reverse("admin:affiliations_affiliation_changelist"), {"user__id__exact": person.pk}
    )
    assert listed.status_code == 200 and listed.context["cl"].result_count == 25

    # Saving the page changes the person and leaves the rows not shown as they were.
    data = _change_form_data(response)
    data["first_name"] = "Renamed"
    saved = staff_client.post(url, data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else ""
    person.refresh_from_db()
    assert person.first_name == "Renamed"
    assert Affiliation.objects.filter(user=person, status="active").count() == 25
    assert Authorization.objects.filter(user=person).count() == 25


def test_a_user_with_few_rows_has_no_note(staff_client):
    person = make_user("calm@example.fr")
    attach(person, make_structure("Seule"))
    html = staff_client.get(reverse("admin:accounts_user_change", args=[person.pk])).content
    assert b"Only the 20 latest" not in html


def _log(at, **fields):
    with time_machine.travel(at, tick=False):
        return ActivityLog.objects.create(action=Action.LOGIN_SUCCEEDED, **fields)


def test_the_log_date_hierarchy_reads_the_first_and_last_rows_only(staff_client, alice):
    start = timezone.now().replace(month=3, day=15, hour=12)
    for days in (0, 60, 400, 800):
        _log(start - timedelta(days=days), actor=alice, subject=alice)
    url = reverse("admin:activity_activitylog_changelist")
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(url)
    assert response.status_code == 200
    sql = " ".join(q["sql"].upper() for q in captured)
    assert "DISTINCT" not in sql and "DATE_TRUNC" not in sql and "DJANGO_DATETIME_TRUNC" not in sql
    first = (start - timedelta(days=800)).year
    years = [c["title"] for c in _choices(response)]
    assert years == [str(y) for y in range(first, start.year + 1)]
    # A year lists every month between its first and its last row (February has none).
    chosen = staff_client.get(url, {"created_at__year": start.year})
    assert chosen.status_code == 200
    assert [c["title"] for c in _choices(chosen)] == [
        f"{month} {start.year}" for month in ("January", "February", "March")
    ]


def _choices(response) -> list[dict]:
    from chorus_portal.templatetags.portal_admin import bounded_date_hierarchy

    return bounded_date_hierarchy(response.context["cl"])["choices"]


def test_the_log_search_by_address_reads_the_logs_own_columns(staff_client, alice, bob):
    _log(timezone.now(), actor=alice, subject=bob)
    _log(timezone.now(), actor=bob, subject=bob)
    url = reverse("admin:activity_activitylog_changelist")
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(url, {"q": "ALICE@example.fr"})
    assert [e.actor_id for e in response.context["cl"].result_list] == [alice.pk]
    listing = [q["sql"] for q in captured if 'FROM "activity_activitylog"' in q["sql"]]
    wheres = [sql.split(" WHERE ", 1)[1] for sql in listing if " WHERE " in sql]
    assert wheres and all("email" not in where for where in wheres)
    assert staff_client.get(url, {"q": "nobody@example.fr"}).context["cl"].result_count == 0


def test_the_structure_search_sorts_its_matches_without_the_name_index(staff_client):
    for name in ("Zebre Lyon", "ecole Lyon", "Abeille Lyon"):
        make_structure(name)
    make_structure("Paris")
    url = reverse("admin:affiliations_structure_changelist")
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(url, {"q": "lyon"})
    names = [s.company_name for s in response.context["cl"].result_list]
    assert names == ["Abeille Lyon", "ecole Lyon", "Zebre Lyon"]  # case aside
    listing = next(
        q["sql"]
        for q in captured
        if "ORDER BY" in q["sql"] and 'FROM "affiliations_structure"' in q["sql"]
    )
    assert 'ORDER BY LOWER("affiliations_structure"."company_name")' in listing
    assert staff_client.get(url, {"q": "publique lyon"}).context["cl"].result_count == 3


def test_lists_count_exactly_up_to_ten_thousand_rows_then_estimate(staff_client, monkeypatch):
    from chorus_portal import admin_paginator

    for index in range(8):
        make_structure(f"Compte {index}")
    url = reverse("admin:affiliations_structure_changelist")
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(url)
    assert response.context["cl"].result_count == 8
    counts = [q["sql"].upper() for q in captured if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT 10001" in sql for sql in counts)

    monkeypatch.setattr(admin_paginator, "EXACT_UP_TO", 5)
    counted = staff_client.get(url).context["cl"].result_count
    if connection.vendor == "postgresql":
        assert counted >= 6  # the planner's estimate, never below what was read
    else:
        assert counted == 8  # exact elsewhere


def _queries(client, url) -> int:
    client.get(url)  # the first request of a session settles its own rows
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_a_structure_with_many_services_lists_a_few_and_saves(staff_client, settings):
    few, many = make_structure("Petite", services=3), make_structure("Grande", services=60)
    url = reverse("admin:affiliations_structure_change", args=[many.pk])
    response = staff_client.get(url)
    html = response.content.decode()
    assert "The first 20 of 60 services, by code" in html
    assert f"/admin/affiliations/service/?structure__id__exact={many.pk}" in html
    # Its services are a list behind the link, not forms: the page's size does not follow them.
    assert not response.context["inline_admin_formsets"]
    few_url = reverse("admin:affiliations_structure_change", args=[few.pk])
    assert _queries(staff_client, url) == _queries(staff_client, few_url)
    listed = staff_client.get(
        reverse("admin:affiliations_service_changelist"), {"structure__id__exact": many.pk}
    )
    assert listed.context["cl"].result_count == 60

    # Saved with fewer fields allowed than it has services: nothing refuses it.
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 40
    data = _change_form_data(response)
    data["company_name"] = "Grande Mairie"
    saved = staff_client.post(url, data)
    assert saved.status_code == 302
    many.refresh_from_db()
    assert many.company_name == "Grande Mairie" and many.services.count() == 60


def test_a_users_page_makes_as_many_queries_for_25_rows_as_for_3(staff_client):
    def person(email, count):
        user = make_user(email)
        for index in range(count):
            structure = make_structure(f"{email} {index}", services=1)
            attach(user, structure)
            Authorization.objects.create(
                user=user,
                structure=structure,
                service=structure.services.first(),
                application="commitments",
                level="modification",
            )
        return reverse("admin:accounts_user_change", args=[user.pk])

    few, many = person("few@example.fr", 3), person("many@example.fr", 25)
    assert _queries(staff_client, many) == _queries(staff_client, few)
