"""The main manager role: only its holder (or staff, in the admin) hands it on.

A delegate holds Organisation – Modification on the structure and so manages it, but
may neither take the role nor touch the main manager's profiles.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from activity.models import Action, ActivityLog
from affiliations.models import Affiliation, AffiliationStatus, Request, RequestStatus, Role
from affiliations.permissions import may_manage
from authorizations import services as profile_services
from authorizations.models import Authorization
from tests.conftest import full_login, make_user
from tests.factories import attach, make_structure, pending_request

pytestmark = pytest.mark.django_db

PROFILE_ACTIONS = (Action.PROFILE_GRANTED, Action.PROFILE_CHANGED, Action.PROFILE_REMOVED)


@pytest.fixture
def structure_a(db):
    return make_structure("Mairie de Lyon", services=3)


@pytest.fixture
def structure_b(db):
    return make_structure("Mairie de Nantes", services=1)


def grant(user, structure, application, level, service=None):
    return Authorization.objects.create(
        user=user, structure=structure, service=service, application=application, level=level
    )


@pytest.fixture
def main_manager(structure_a):
    """Claire, main manager of A, French, with profiles at structure and service level."""
    user = make_user("claire@example.fr", first_name="Claire", last_name="Martin", language="fr")
    attach(user, structure_a, role=Role.MAIN_MANAGER)
    grant(user, structure_a, "organisation", "modification")
    grant(user, structure_a, "commitments", "modification")
    grant(user, structure_a, "issued_invoices", "consultation", structure_a.services.first())
    return user


@pytest.fixture
def delegate(structure_a, main_manager):
    """Denis, English, attached to A with Organisation – Modification: a delegated manager."""
    user = make_user("denis@example.fr", first_name="Denis", last_name="Roux", language="en")
    attach(user, structure_a)
    grant(user, structure_a, "organisation", "modification")
    return user


@pytest.fixture
def manager_b(structure_b):
    user = make_user("bruno@example.fr", first_name="Bruno", last_name="Petit")
    attach(user, structure_b, role=Role.MAIN_MANAGER)
    return user


@pytest.fixture
def alice_in_a(alice, structure_a):
    return attach(alice, structure_a)


def transfer_url(structure):
    return reverse("affiliations:role-transfer", args=[structure.pk])


def member_url(affiliation):
    return reverse("authorizations:member-authorizations", args=[affiliation.pk])


def roles(structure):
    return dict(
        Affiliation.objects.filter(structure=structure, status=AffiliationStatus.ACTIVE)
        .values_list("user__email", "role")
        .order_by()
    )


def all_profiles(user):
    return set(
        Authorization.objects.filter(user=user).values_list(
            "structure_id", "service_id", "application", "level"
        )
    )


def table(lines, op="submit", **extra):
    data = {
        "line_application": [a for a, _ in lines],
        "line_level": [lv for _, lv in lines],
        "op": op,
        "comment": "",
    }
    data.update(extra)
    return data


# --- the transfer page -----------------------------------------------------------------


def test_the_delegate_really_is_a_manager(delegate, structure_a, main_manager):
    # The premise of every test below: the right comes from the profile, not the role.
    assert may_manage(delegate, structure_a.pk)
    assert Affiliation.objects.get(user=delegate).role == Role.USER


def test_a_delegate_cannot_open_or_post_the_transfer_page(
    signed_in,
    delegate,
    main_manager,
    alice_in_a,
    structure_a,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    before_profiles = all_profiles(main_manager)
    before_roles = roles(structure_a)
    client = signed_in(delegate)
    assert client.get(transfer_url(structure_a)).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        for target in (delegate, alice_in_a.user):
            response = client.post(transfer_url(structure_a), {"new_manager": target.pk})
            assert response.status_code == 404
    assert roles(structure_a) == before_roles
    assert before_roles[main_manager.email] == Role.MAIN_MANAGER
    assert all_profiles(main_manager) == before_profiles
    assert not ActivityLog.objects.filter(action=Action.ROLE_TRANSFERRED).exists()
    assert mailoutbox == []


def test_the_users_area_shows_the_transfer_only_to_the_main_manager(
    signed_in, delegate, main_manager, alice_in_a, structure_a
):
    main_affiliation = Affiliation.objects.get(user=main_manager)
    as_delegate = signed_in(delegate).get(reverse("affiliations:users-area")).content.decode()
    assert transfer_url(structure_a) not in as_delegate
    assert "Transfer the main manager role" not in as_delegate
    assert "Transférer le rôle" not in as_delegate
    # The delegate still manages the other members, not the main manager.
    assert member_url(alice_in_a) in as_delegate
    assert member_url(main_affiliation) not in as_delegate
    assert "Only the main manager changes their own profiles." in as_delegate  # Denis reads English

    as_main = signed_in(main_manager).get(reverse("affiliations:users-area")).content.decode()
    assert transfer_url(structure_a) in as_main
    assert member_url(main_affiliation) in as_main
    assert member_url(alice_in_a) in as_main


def test_a_manager_of_another_structure_gets_404(
    signed_in, manager_b, main_manager, alice_in_a, structure_a
):
    client = signed_in(manager_b)
    assert client.get(transfer_url(structure_a)).status_code == 404
    response = client.post(transfer_url(structure_a), {"new_manager": alice_in_a.user.pk})
    assert response.status_code == 404
    main_affiliation = Affiliation.objects.get(user=main_manager)
    assert client.get(member_url(main_affiliation), {"service": ""}).status_code == 404
    assert client.post(member_url(main_affiliation), table([], service="")).status_code == 404
    assert roles(structure_a)[main_manager.email] == Role.MAIN_MANAGER
    assert len(all_profiles(main_manager)) == 3
    assert not ActivityLog.objects.filter(action=Action.ROLE_TRANSFERRED).exists()


def test_the_main_manager_transfers_and_both_are_mailed_in_their_language(
    signed_in,
    delegate,
    main_manager,
    structure_a,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    client = signed_in(main_manager)
    assert client.get(transfer_url(structure_a)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(transfer_url(structure_a), {"new_manager": delegate.pk})
    assert response.status_code == 302
    assert roles(structure_a) == {
        main_manager.email: Role.USER,
        delegate.email: Role.MAIN_MANAGER,
    }

    entry = ActivityLog.objects.get(action=Action.ROLE_TRANSFERRED)
    assert entry.actor == main_manager and entry.subject == delegate
    assert entry.structure_id == structure_a.pk
    assert entry.detail["previous"] == main_manager.pk and entry.detail["by_staff"] is False

    to_former = [m for m in mailoutbox if m.to == [main_manager.email]]
    to_new = [m for m in mailoutbox if m.to == [delegate.email]]
    assert len(to_former) == 1 and len(to_new) == 1 and len(mailoutbox) == 2

    when = timezone.localtime(entry.created_at)
    with translation.override("fr"):
        when_fr = formats.date_format(when, "DATETIME_FORMAT")
    with translation.override("en"):
        when_en = formats.date_format(when, "DATETIME_FORMAT")

    former = to_former[0]  # Claire reads French; she did it herself.
    assert "Vous n'êtes plus gestionnaire principal de la Mairie de Lyon" in former.subject
    assert "vous avez transféré le rôle de gestionnaire principal" in former.body
    assert "Mairie de Lyon" in former.body and "Denis Roux" in former.body
    assert when_fr in former.body

    new = to_new[0]  # Denis reads English.
    assert "You are now the main manager of Mairie de Lyon" in new.subject
    assert "Claire Martin transferred the main manager role of Mairie de Lyon" in new.body
    assert when_en in new.body

    # The former main manager no longer reaches the page; the new one does.
    assert client.get(transfer_url(structure_a)).status_code == 404
    assert signed_in(delegate).get(transfer_url(structure_a)).status_code == 200


def test_extra_post_fields_are_ignored(
    signed_in,
    delegate,
    main_manager,
    alice_in_a,
    manager_b,
    structure_a,
    structure_b,
    django_capture_on_commit_callbacks,
):
    alice = alice_in_a.user
    attach(alice, structure_b)
    service = structure_a.services.first()
    extra = {
        "structure": structure_b.pk,
        "pk": structure_b.pk,
        "by": delegate.pk,
        "actor": delegate.pk,
        "as_staff": "1",
        "by_staff": "1",
        "role": Role.USER,
        "previous": delegate.pk,
        "whole_structure": "",
        "services": [service.pk],
    }
    # A delegate adding fields is still refused.
    response = signed_in(delegate).post(
        transfer_url(structure_a), {"new_manager": delegate.pk, **extra}
    )
    assert response.status_code == 404
    assert roles(structure_a)[main_manager.email] == Role.MAIN_MANAGER

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(main_manager).post(
            transfer_url(structure_a), {"new_manager": alice.pk, **extra}
        )
    assert response.status_code == 302
    assert roles(structure_a) == {
        main_manager.email: Role.USER,
        delegate.email: Role.USER,
        alice.email: Role.MAIN_MANAGER,
    }
    assert roles(structure_b) == {manager_b.email: Role.MAIN_MANAGER, alice.email: Role.USER}
    assert Affiliation.objects.get(user=alice, structure=structure_a).whole_structure
    entry = ActivityLog.objects.get(action=Action.ROLE_TRANSFERRED)
    assert entry.actor == main_manager and entry.structure_id == structure_a.pk
    assert entry.detail["previous"] == main_manager.pk and entry.detail["by_staff"] is False


def test_the_service_refuses_a_transfer_by_anyone_but_the_main_manager(
    delegate, main_manager, alice_in_a, structure_a
):
    from affiliations import services

    with pytest.raises(services.NotMainManager):
        services.transfer_main_manager(structure=structure_a, to_user=delegate, by=delegate)
    with pytest.raises(services.NotMainManager):
        services.transfer_main_manager(
            structure=structure_a, to_user=alice_in_a.user, by=alice_in_a.user
        )
    assert roles(structure_a)[main_manager.email] == Role.MAIN_MANAGER


# --- the main manager's profiles -------------------------------------------------------


def _member_attempts(service_pk):
    """Every way the member page could change a profile set, as (method, params)."""
    keep_all = [("organisation", "modification"), ("commitments", "modification")]
    return [
        ("get", {"service": ""}),
        ("get", {"service": service_pk}),
        ("post", table([], service="")),  # remove everything at structure level
        ("post", table([], service=service_pk)),  # remove the service-level profile
        ("post", table([("commitments", "consultation")], service="")),  # remove and lower
        ("post", table([("organisation", "consultation"), *keep_all[1:]], service="")),
        ("post", table([*keep_all, ("connections", "modification")], service="")),  # add
        ("post", table([("issued_invoices", "modification")], service=service_pk)),  # raise
        ("post", table(keep_all, op="remove_all", service="")),
        ("post", table(keep_all, op="delete:0", service="")),
        ("post", table(keep_all, op="add", add_application="connections", service="")),
        # Extra fields do not turn the page into someone else's.
        ("post", table([], service="", user="0", affiliation="", role=Role.USER)),
    ]


def test_a_delegate_cannot_change_the_main_managers_profiles(
    signed_in,
    delegate,
    main_manager,
    structure_a,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    main_affiliation = Affiliation.objects.get(user=main_manager)
    before = all_profiles(main_manager)
    service_pk = structure_a.services.first().pk
    client = signed_in(delegate)
    url = member_url(main_affiliation)
    with django_capture_on_commit_callbacks(execute=True):
        for method, params in _member_attempts(service_pk):
            response = getattr(client, method)(url, params)
            assert response.status_code == 404, (method, params)
        # Nor through "Manage my authorizations" with the main manager's affiliation.
        own = reverse("authorizations:authorization-manage")
        response = client.get(own, {"affiliation": main_affiliation.pk, "service": ""})
        assert response.status_code == 404
        response = client.post(own, table([], affiliation=main_affiliation.pk, service=""))
        assert response.status_code == 404
    assert all_profiles(main_manager) == before
    assert not ActivityLog.objects.filter(subject=main_manager, action__in=PROFILE_ACTIONS)
    assert not Request.objects.exists()
    assert mailoutbox == []
    assert roles(structure_a)[main_manager.email] == Role.MAIN_MANAGER


def test_the_profile_service_itself_protects_the_main_manager(delegate, main_manager, structure_a):
    before = all_profiles(main_manager)
    with pytest.raises(profile_services.MainManagerProtected):
        profile_services.save_profiles(
            user=main_manager, structure=structure_a, service=None, desired={}, by=delegate
        )
    assert all_profiles(main_manager) == before


def test_the_main_manager_still_changes_their_own_profiles(signed_in, main_manager, structure_a):
    main_affiliation = Affiliation.objects.get(user=main_manager)
    client = signed_in(main_manager)
    assert client.get(member_url(main_affiliation), {"service": ""}).status_code == 200
    response = client.post(
        member_url(main_affiliation),
        table([("organisation", "modification"), ("commitments", "consultation")], service=""),
    )
    assert response.status_code == 302
    assert Authorization.objects.get(user=main_manager, application="commitments").level == (
        "consultation"
    )


def test_a_delegate_still_manages_the_other_members(signed_in, delegate, alice_in_a, structure_a):
    client = signed_in(delegate)
    response = client.post(
        member_url(alice_in_a), table([("commitments", "consultation")], service="")
    )
    assert response.status_code == 302
    assert Authorization.objects.filter(user=alice_in_a.user, application="commitments").exists()


def test_a_delegate_can_neither_detach_nor_reactivate_the_main_manager(
    signed_in, delegate, main_manager, structure_a
):
    main_affiliation = Affiliation.objects.get(user=main_manager)
    before = all_profiles(main_manager)
    client = signed_in(delegate)
    response = client.post(
        reverse("affiliations:affiliation-detach"),
        {"affiliation": main_affiliation.pk, "scope": "structure"},
    )
    assert response.status_code == 404
    response = client.post(reverse("affiliations:member-reactivate", args=[main_affiliation.pk]))
    assert response.status_code == 404
    main_affiliation.refresh_from_db()
    assert main_affiliation.status == AffiliationStatus.ACTIVE
    assert main_affiliation.role == Role.MAIN_MANAGER
    assert all_profiles(main_manager) == before


def test_deciding_the_main_managers_requests_leaves_the_role_alone(
    signed_in, delegate, main_manager, structure_a, django_capture_on_commit_callbacks
):
    """A request the main manager left pending (from before the role) can be decided,
    but approving or refusing it never changes the role nor removes a profile."""
    first = pending_request(main_manager, structure_a, services=[structure_a.services.last()])
    before = all_profiles(main_manager)
    client = signed_in(delegate)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("affiliations:requests-decide"), {"approve": first.pk})
    first.refresh_from_db()
    assert first.status == RequestStatus.APPROVED
    main_affiliation = Affiliation.objects.get(user=main_manager)
    assert main_affiliation.role == Role.MAIN_MANAGER and main_affiliation.whole_structure
    assert before <= all_profiles(main_manager)


# --- the admin ---------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, staff_user, mailoutbox):
    full_login(client, mailoutbox, staff_user.email)
    mailoutbox.clear()
    return client


def test_staff_transfers_from_the_admin_through_the_same_service(
    staff_client,
    staff_user,
    main_manager,
    delegate,
    structure_a,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    target = Affiliation.objects.get(user=delegate)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:affiliations_affiliation_changelist"),
            {"action": "make_main_manager", "_selected_action": [target.pk]},
        )
    assert response.status_code == 302
    assert roles(structure_a) == {
        main_manager.email: Role.USER,
        delegate.email: Role.MAIN_MANAGER,
    }
    entry = ActivityLog.objects.get(action=Action.ROLE_TRANSFERRED)
    assert entry.actor == staff_user and entry.subject == delegate
    assert entry.detail["by_staff"] is True
    assert sorted(m.to[0] for m in mailoutbox) == sorted([main_manager.email, delegate.email])
    former = next(m for m in mailoutbox if m.to == [main_manager.email])
    assert "Sam Staff a transféré le rôle de gestionnaire principal" in former.body


def test_the_admin_never_makes_a_second_main_manager(
    staff_client, main_manager, delegate, alice_in_a, bob, structure_a, mailoutbox
):
    main_affiliation = Affiliation.objects.get(user=main_manager)
    target = Affiliation.objects.get(user=delegate)
    changelist = reverse("admin:affiliations_affiliation_changelist")
    # Two at once is refused.
    staff_client.post(
        changelist,
        {"action": "make_main_manager", "_selected_action": [target.pk, alice_in_a.pk]},
    )
    # The role field is read-only: posting it changes nothing.
    change = reverse("admin:affiliations_affiliation_change", args=[target.pk])
    response = staff_client.post(
        change,
        {
            "user": delegate.pk,
            "structure": structure_a.pk,
            "whole_structure": "on",
            "status": AffiliationStatus.ACTIVE,
            "role": Role.MAIN_MANAGER,
        },
    )
    assert response.status_code == 302
    # The main manager's affiliation cannot be moved, ended or deleted from under the role.
    main_change = reverse("admin:affiliations_affiliation_change", args=[main_affiliation.pk])
    for data in (
        {"user": bob.pk, "structure": structure_a.pk, "status": "active"},
        {"user": main_manager.pk, "structure": structure_a.pk, "status": "deleted"},
    ):
        response = staff_client.post(main_change, {"whole_structure": "on", **data})
        assert response.status_code == 200 and response.context["adminform"].form.errors
    delete = reverse("admin:affiliations_affiliation_delete", args=[main_affiliation.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert roles(structure_a) == {
        main_manager.email: Role.MAIN_MANAGER,
        delegate.email: Role.USER,
        alice_in_a.user.email: Role.USER,
    }
    assert Affiliation.objects.filter(structure=structure_a).count() == 3
    assert not ActivityLog.objects.filter(action=Action.ROLE_TRANSFERRED).exists()
    assert mailoutbox == []


def test_the_main_managers_user_and_inline_row_cannot_be_deleted_in_the_admin(
    staff_client, staff_user, main_manager, structure_a, rf
):
    from django.contrib import admin as django_admin

    from accounts.models import User
    from affiliations.admin import AffiliationInline

    # Deleting the person would take the affiliation, and with it the role.
    delete = reverse("admin:accounts_user_delete", args=[main_manager.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=main_manager.pk).exists()

    # The affiliations inline on the user's page refuses to delete the main manager's row.
    request = rf.post("/")
    request.user = staff_user
    user_admin = django_admin.site._registry[User]
    inline = next(
        i
        for i in user_admin.get_inline_instances(request, main_manager)
        if isinstance(i, AffiliationInline)
    )
    formset_class = inline.get_formset(request, main_manager)
    prefix = formset_class.get_default_prefix()
    affiliation = Affiliation.objects.get(user=main_manager)
    data = {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "1",
        f"{prefix}-0-id": str(affiliation.pk),
        f"{prefix}-0-user": str(main_manager.pk),
        f"{prefix}-0-structure": str(structure_a.pk),
        f"{prefix}-0-status": AffiliationStatus.ACTIVE,
        f"{prefix}-0-whole_structure": "on",
        f"{prefix}-0-DELETE": "on",
    }
    formset = formset_class(data, instance=main_manager, prefix=prefix)
    with translation.override("en"):
        assert not formset.is_valid()
        assert formset.non_form_errors() == [
            "The main manager's affiliation cannot be deleted: hand the role on first."
        ]
    assert Affiliation.objects.get(pk=affiliation.pk).role == Role.MAIN_MANAGER
    # Without DELETE, the same row saves: the guard is about deletion only.
    del data[f"{prefix}-0-DELETE"]
    assert formset_class(data, instance=main_manager, prefix=prefix).is_valid()
