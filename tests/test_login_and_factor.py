"""The login flow: password, then the e-mail code, always."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from activity.models import Action, ActivityLog
from mfa.models import EmailCode, EmailDevice
from tests.conftest import full_login, last_code, password_login

pytestmark = pytest.mark.django_db


def verify(client, code):
    return client.post(reverse("mfa:verify"), {"code": code, "action": "verify"})


def is_verified(client) -> bool:
    return client.get(reverse("home")).status_code == 200


def test_password_step_sends_a_code_and_redirects_to_the_factor_step(client, alice, mailoutbox):
    response = password_login(client, alice.email)
    assert response.url.startswith(reverse("mfa:verify"))
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [alice.email]
    assert client.get(reverse("home")).url.startswith(reverse("mfa:verify"))


def test_the_right_code_completes_the_login(client, alice, mailoutbox):
    full_login(client, mailoutbox, alice.email)
    assert is_verified(client)


def test_the_code_expires_after_ten_minutes(client, alice, mailoutbox):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        password_login(client, alice.email)
        code = last_code(mailoutbox, alice.email)
        traveller.move_to(start + timedelta(minutes=10, seconds=1))
        response = verify(client, code)
    assert response.status_code == 200
    assert "expired" in response.content.decode() or "expiré" in response.content.decode()
    assert not is_verified(client)


def test_the_code_still_works_one_second_before_expiry(client, alice, mailoutbox):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        password_login(client, alice.email)
        code = last_code(mailoutbox, alice.email)
        traveller.move_to(start + timedelta(minutes=10) - timedelta(seconds=1))
        response = verify(client, code)
    assert response.status_code == 302


def test_a_code_is_single_use(client, alice, mailoutbox, code_sequence):
    full_login(client, mailoutbox, alice.email)
    used = last_code(mailoutbox, alice.email)
    client.post(reverse("account_logout"))
    password_login(client, alice.email)
    assert last_code(mailoutbox, alice.email) != used
    assert verify(client, used).status_code == 200
    assert not is_verified(client)


def test_replaying_a_used_code_in_the_same_attempt_fails(client, alice, mailoutbox, settings):
    settings.MFA_THROTTLE_FACTOR = 0
    password_login(client, alice.email)
    code = last_code(mailoutbox, alice.email)
    assert EmailCode.objects.filter(device__user=alice).count() == 1
    assert verify(client, code).status_code == 302
    assert not EmailCode.objects.filter(device__user=alice).exists()


def test_a_resend_gives_a_second_code_and_voids_the_first(
    client, alice, mailoutbox, code_sequence, settings
):
    settings.MFA_THROTTLE_FACTOR = 0
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        password_login(client, alice.email)
        first = last_code(mailoutbox, alice.email)
        traveller.move_to(start + timedelta(seconds=31))
        response = client.post(reverse("mfa:verify"), {"action": "resend"})
        assert response.status_code == 302
        assert len(mailoutbox) == 2
        second = last_code(mailoutbox, alice.email)
        assert first != second
        assert verify(client, first).status_code == 200
        assert verify(client, second).status_code == 302


def test_resend_has_a_cooldown(client, alice, mailoutbox):
    password_login(client, alice.email)
    response = client.post(reverse("mfa:verify"), {"action": "resend"}, follow=True)
    assert len(mailoutbox) == 1
    assert "Un code vient d" in response.content.decode()


def test_a_code_from_another_login_attempt_is_refused(
    client_factory, alice, mailoutbox, code_sequence, settings
):
    settings.MFA_THROTTLE_FACTOR = 0
    first, second = client_factory(), client_factory()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        password_login(first, alice.email)
        code_for_first = last_code(mailoutbox, alice.email)
        # Another browser passes the password step later and asks for its own code.
        traveller.move_to(start + timedelta(seconds=31))
        password_login(second, alice.email)
        code_for_second = last_code(mailoutbox, alice.email)
        assert code_for_first != code_for_second
        # The second browser cannot use the code mailed to the first attempt...
        assert verify(second, code_for_first).status_code == 200
        assert not is_verified(second)
        # ...and the first browser cannot use the second attempt's code.
        assert verify(first, code_for_second).status_code == 200
        assert not is_verified(first)
        assert verify(second, code_for_second).status_code == 302


@pytest.mark.parametrize(
    "bad", [" 123456", "+123456", "12345", "1234567", "12 456", "١٢٣٤٥٦", "abcdef", "123456\n"]
)
def test_only_six_ascii_digits_are_accepted(client, alice, mailoutbox, bad):
    password_login(client, alice.email)
    code = last_code(mailoutbox, alice.email)
    assert code  # a real code was mailed; none of the inputs below is it
    response = verify(client, bad)
    assert response.status_code == 200
    assert not is_verified(client)


def test_failures_are_throttled_with_an_increasing_delay(client, alice, mailoutbox):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        password_login(client, alice.email)
        code = last_code(mailoutbox, alice.email)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        assert verify(client, wrong).status_code == 200
        assert verify(client, wrong).status_code == 200  # within 1 s: throttled
        device = EmailDevice.objects.get(user=alice)
        assert device.throttling_failure_count == 1
        # Even the right code is refused while the delay runs.
        assert verify(client, code).status_code == 200
        traveller.move_to(start + timedelta(seconds=2))
        assert verify(client, code).status_code == 302


def test_a_new_code_does_not_reset_the_failure_count(client, alice, mailoutbox, settings):
    settings.MFA_THROTTLE_FACTOR = 0
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        password_login(client, alice.email)
        for _ in range(3):
            verify(client, "000000" if last_code(mailoutbox, alice.email) != "000000" else "111111")
        traveller.move_to(start + timedelta(seconds=40))
        client.post(reverse("mfa:verify"), {"action": "resend"})
    assert EmailDevice.objects.get(user=alice).throttling_failure_count == 3


def test_the_hard_cap_locks_the_factor(client, alice, mailoutbox, settings):
    settings.MFA_THROTTLE_FACTOR = 0
    password_login(client, alice.email)
    code = last_code(mailoutbox, alice.email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(settings.MFA_MAX_FAILURES):
        verify(client, wrong)
    device = EmailDevice.objects.get(user=alice)
    assert device.locked_at is not None
    response = verify(client, code)
    assert response.status_code == 200
    assert not is_verified(client)
    assert ActivityLog.objects.filter(action=Action.FACTOR_LOCKED, subject=alice).count() == 1


def test_the_session_key_changes_after_each_step(client, alice, mailoutbox):
    client.get(reverse("account_login"))
    anonymous_key = client.session.session_key
    password_login(client, alice.email)
    password_key = client.session.session_key
    assert password_key != anonymous_key
    code = last_code(mailoutbox, alice.email)
    verify(client, code)
    assert client.session.session_key != password_key
    assert is_verified(client)


def test_wrong_password_does_not_send_a_code(client, alice, mailoutbox):
    response = client.post(reverse("account_login"), {"login": alice.email, "password": "nope"})
    assert response.status_code == 200
    assert mailoutbox == []


def test_logout_is_post_only_and_ends_the_session(verified_client):
    response = verified_client.get(reverse("account_logout"))
    assert response.status_code == 200  # a confirmation page, no logout
    assert is_verified(verified_client)
    verified_client.post(reverse("account_logout"))
    assert verified_client.get(reverse("home")).status_code == 302


def test_next_is_kept_through_the_factor_step_and_stays_on_site(client, alice, mailoutbox):
    password_login(client, alice.email)
    code = last_code(mailoutbox, alice.email)
    response = client.post(
        reverse("mfa:verify") + "?next=//evil.example/", {"code": code, "action": "verify"}
    )
    assert response.url == reverse("home")


def test_password_login_is_same_for_unknown_and_known_addresses(client, alice):
    known = client.post(reverse("account_login"), {"login": alice.email, "password": "x" * 12})
    unknown = client.post(
        reverse("account_login"), {"login": "nobody@example.fr", "password": "x" * 12}
    )
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].errors == unknown.context["form"].errors


def test_idle_session_expires_after_an_hour(client, alice, mailoutbox):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        full_login(client, mailoutbox, alice.email)
        traveller.move_to(start + timedelta(minutes=59))
        assert is_verified(client)
        traveller.move_to(start + timedelta(minutes=59 + 61))
        assert client.get(reverse("home")).status_code == 302


def test_no_session_outlives_twelve_hours(client, alice, mailoutbox):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        full_login(client, mailoutbox, alice.email)
        for hour in range(1, 12):
            traveller.move_to(start + timedelta(minutes=50 * hour))
            assert is_verified(client)
        traveller.move_to(start + timedelta(hours=12, minutes=1))
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_signing_in_again_at_once_sends_a_code_for_the_new_attempt(
    client_factory, alice, mailoutbox, code_sequence
):
    first, second = client_factory(), client_factory()
    password_login(first, alice.email)
    password_login(second, alice.email)  # seconds later, within the resend cooldown
    assert len(mailoutbox) == 2
    # Resending is still subject to the cooldown.
    first.post(reverse("mfa:verify"), {"action": "resend"})
    assert len(mailoutbox) == 2
    assert verify(second, last_code(mailoutbox, alice.email)).status_code == 302
