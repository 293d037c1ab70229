from __future__ import annotations

import pytest
from django.urls import reverse

from activity.models import Action, ActivityLog
from tests.conftest import full_login, password_login

pytestmark = pytest.mark.django_db


def test_staff_with_verified_factor_reaches_the_admin(client, staff_user, mailoutbox):
    full_login(client, mailoutbox, staff_user.email)
    assert client.get(reverse("admin:index")).status_code == 200


def test_staff_with_password_only_is_sent_to_the_factor_step(client, staff_user):
    password_login(client, staff_user.email)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa:verify"))


def test_verified_non_staff_cannot_use_the_admin(verified_client):
    response = verified_client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    users = verified_client.get(reverse("admin:accounts_user_changelist"), follow=True)
    assert users.redirect_chain[-1][0] == reverse("home")
    assert b"alice@example.fr" not in users.content


def test_admin_login_is_the_portal_login(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_activity_log_is_read_only_in_the_admin(client, staff_user, mailoutbox):
    full_login(client, mailoutbox, staff_user.email)
    entry = ActivityLog.objects.filter(action=Action.FACTOR_SUCCEEDED).first()
    assert client.get(reverse("admin:activity_activitylog_changelist")).status_code == 200
    assert client.get(reverse("admin:activity_activitylog_add")).status_code == 403
    change = client.get(reverse("admin:activity_activitylog_change", args=[entry.pk]))
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    delete = client.post(
        reverse("admin:activity_activitylog_delete", args=[entry.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert ActivityLog.objects.filter(pk=entry.pk).exists()


def test_staff_unlocks_a_locked_factor(client, staff_user, alice, mailoutbox):
    from django.utils import timezone

    from mfa.models import EmailDevice

    EmailDevice.objects.filter(user=alice).update(
        locked_at=timezone.now(), throttling_failure_count=10
    )
    full_login(client, mailoutbox, staff_user.email)
    device = EmailDevice.objects.get(user=alice)
    response = client.post(
        reverse("admin:mfa_emaildevice_changelist"),
        {"action": "unlock", "_selected_action": [device.pk]},
    )
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.locked_at is None and device.throttling_failure_count == 0
    assert ActivityLog.objects.filter(
        action=Action.FACTOR_UNLOCKED, subject=alice, actor=staff_user
    ).exists()


def test_the_user_page_shows_affiliations_profiles_and_devices(
    client, staff_user, alice, mailoutbox
):
    from authorizations.models import Authorization
    from tests.factories import attach, make_structure

    structure = make_structure("Admin inline", services=1)
    attach(alice, structure)
    Authorization.objects.create(
        user=alice, structure=structure, application="commitments", level="consultation"
    )
    full_login(client, mailoutbox, staff_user.email)
    html = client.get(reverse("admin:accounts_user_change", args=[alice.pk])).content.decode()
    assert "Admin inline" in html
    assert "commitments" in html or "Engagements" in html
    assert "emaildevice_set" in html or "mfa-emaildevice" in html.lower()
    requests_page = client.get(reverse("admin:affiliations_request_changelist"))
    assert requests_page.status_code == 200
