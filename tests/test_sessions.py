"""My active sessions: the index, the list, ending one or all the others, staff."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import UserSession
from accounts.sessions import parse_user_agent
from activity.models import Action, ActivityLog
from tests.conftest import full_login, last_code, password_login

pytestmark = pytest.mark.django_db

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def browser(user_agent: str, ip: str) -> Client:
    return Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)


def signed_in_from(mailoutbox, user, user_agent, ip) -> Client:
    client = browser(user_agent, ip)
    full_login(client, mailoutbox, user.email)
    return client


def account_page(client):
    response = client.get(reverse("accounts:account"))
    assert response.status_code == 200
    return response


def is_signed_in(client) -> bool:
    response = client.get(reverse("accounts:account"))
    return response.status_code == 200


def test_the_user_agent_parser_names_browser_and_system():
    assert parse_user_agent(FIREFOX_WINDOWS) == ("Firefox 128", "Windows 10")
    assert parse_user_agent(SAFARI_IPHONE) == ("Mobile Safari 17", "iOS 17")
    assert parse_user_agent("") == ("", "")


def test_a_user_with_two_clients_sees_two_sessions(alice, mailoutbox):
    laptop = signed_in_from(mailoutbox, alice, FIREFOX_WINDOWS, "192.0.2.10")
    phone = signed_in_from(mailoutbox, alice, SAFARI_IPHONE, "198.51.100.7")
    sessions = account_page(laptop).context["active_sessions"]
    assert len(sessions) == 2
    mine = next(s for s in sessions if s.current)
    other = next(s for s in sessions if not s.current)
    assert (mine.browser, mine.system, mine.ip) == ("Firefox 128", "Windows 10", "192.0.2.10")
    assert (other.browser, other.system, other.ip) == ("Mobile Safari 17", "iOS 17", "198.51.100.7")
    # The page shows both, this one marked, and offers to end the other only.
    html = account_page(laptop).content.decode()
    assert html.count("Mobile Safari 17") >= 1 and "Cette session" in html
    assert html.count(reverse("accounts:session-end", args=[other.id])) == 1
    assert reverse("accounts:session-end", args=[mine.id]) not in html
    # The phone sees the same two, itself marked.
    assert [s.current for s in account_page(phone).context["active_sessions"]] == [True, False]


def test_ending_the_other_session_signs_that_client_out(alice, mailoutbox):
    laptop = signed_in_from(mailoutbox, alice, FIREFOX_WINDOWS, "192.0.2.10")
    phone = signed_in_from(mailoutbox, alice, SAFARI_IPHONE, "198.51.100.7")
    other = next(s for s in account_page(laptop).context["active_sessions"] if not s.current)
    phone_key = phone.session.session_key

    response = laptop.post(reverse("accounts:session-end", args=[other.id]))
    assert response.status_code == 302
    # The session row is gone, so any web node sees the phone signed out.
    assert not Session.objects.filter(session_key=phone_key).exists()
    assert not UserSession.objects.filter(pk=other.id).exists()
    assert not is_signed_in(phone)
    assert is_signed_in(laptop)
    entry = ActivityLog.objects.get(action=Action.SESSION_ENDED)
    assert entry.actor == alice and entry.detail["session"] == other.id
    assert (entry.detail["browser"], entry.detail["system"]) == ("Mobile Safari 17", "iOS 17")
    assert entry.detail["session_ip"] == "198.51.100.7"
    assert [s.current for s in account_page(laptop).context["active_sessions"]] == [True]


def test_a_user_cannot_end_another_users_session_by_id(alice, bob, mailoutbox):
    alice_client = signed_in_from(mailoutbox, alice, FIREFOX_WINDOWS, "192.0.2.10")
    bob_client = signed_in_from(mailoutbox, bob, SAFARI_IPHONE, "198.51.100.7")
    alice_session = UserSession.objects.get(user=alice)

    response = bob_client.post(reverse("accounts:session-end", args=[alice_session.pk]))
    assert response.status_code == 404
    assert UserSession.objects.filter(pk=alice_session.pk).exists()
    assert Session.objects.filter(session_key=alice_session.session_id).exists()
    assert is_signed_in(alice_client)
    assert not ActivityLog.objects.filter(action=Action.SESSION_ENDED).exists()
    # Nor by a made-up id.
    assert bob_client.post(reverse("accounts:session-end", args=[10**17])).status_code == 404


def test_ending_a_session_is_a_post(alice, mailoutbox):
    laptop = signed_in_from(mailoutbox, alice, FIREFOX_WINDOWS, "192.0.2.10")
    signed_in_from(mailoutbox, alice, SAFARI_IPHONE, "198.51.100.7")
    other = UserSession.objects.exclude(session_id=laptop.session.session_key).get()
    assert laptop.get(reverse("accounts:session-end", args=[other.pk])).status_code == 405
    assert laptop.get(reverse("accounts:sessions-end-others")).status_code == 405
    assert UserSession.objects.filter(pk=other.pk).exists()


def test_end_all_the_other_sessions(alice, bob, mailoutbox):
    laptop = signed_in_from(mailoutbox, alice, FIREFOX_WINDOWS, "192.0.2.10")
    phone = signed_in_from(mailoutbox, alice, SAFARI_IPHONE, "198.51.100.7")
    tablet = signed_in_from(mailoutbox, alice, SAFARI_IPHONE, "198.51.100.8")
    bob_client = signed_in_from(mailoutbox, bob, FIREFOX_WINDOWS, "203.0.113.5")

    response = laptop.post(reverse("accounts:sessions-end-others"))
    assert response.status_code == 302
    assert not is_signed_in(phone) and not is_signed_in(tablet)
    assert is_signed_in(laptop) and is_signed_in(bob_client)
    assert UserSession.objects.filter(user=alice).count() == 1
    entry = ActivityLog.objects.get(action=Action.OTHER_SESSIONS_ENDED)
    assert entry.actor == alice and entry.detail["count"] == 2


def test_ending_this_session_signs_out(alice, mailoutbox):
    laptop = signed_in_from(mailoutbox, alice, FIREFOX_WINDOWS, "192.0.2.10")
    mine = UserSession.objects.get(user=alice)
    response = laptop.post(reverse("accounts:session-end", args=[mine.pk]))
    assert response.status_code == 302 and response.url == reverse("account_login")
    assert not is_signed_in(laptop)


def test_the_index_is_touched_at_most_once_a_minute(alice, mailoutbox):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        laptop = signed_in_from(mailoutbox, alice, FIREFOX_WINDOWS, "192.0.2.10")
        row = UserSession.objects.get(user=alice)
        assert row.created_at == row.last_seen_at == start
        traveller.shift(timedelta(seconds=59))
        with CaptureQueriesContext(connection) as captured:
            account_page(laptop)
        assert not [
            q
            for q in captured
            if "accounts_usersession" in q["sql"].split("WHERE")[0]
            and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
        ]
        row.refresh_from_db()
        assert row.last_seen_at == start
        traveller.shift(timedelta(seconds=2))
        account_page(laptop)
        row.refresh_from_db()
        assert row.last_seen_at == start + timedelta(seconds=61)
        assert row.created_at == start


def test_the_index_follows_a_renewed_session_key(alice, mailoutbox):
    """The factor step renews the session key: the index row follows, with its login time."""
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = browser(FIREFOX_WINDOWS, "192.0.2.10")
        password_login(client, alice.email)
        first_key = client.session.session_key
        assert UserSession.objects.get(user=alice).session_id == first_key
        traveller.shift(timedelta(seconds=5))
        code = last_code(mailoutbox, alice.email)
        client.post(reverse("mfa:verify"), {"code": code, "action": "verify"})
        row = UserSession.objects.get(user=alice)
        assert row.session_id == client.session.session_key != first_key
        assert row.created_at == start


def test_logout_removes_the_session_from_the_list(alice, mailoutbox):
    laptop = signed_in_from(mailoutbox, alice, FIREFOX_WINDOWS, "192.0.2.10")
    assert UserSession.objects.filter(user=alice).count() == 1
    laptop.post(reverse("account_logout"))
    assert not UserSession.objects.filter(user=alice).exists()


def test_expired_sessions_are_not_listed(alice, mailoutbox):
    laptop = signed_in_from(mailoutbox, alice, FIREFOX_WINDOWS, "192.0.2.10")
    phone = signed_in_from(mailoutbox, alice, SAFARI_IPHONE, "198.51.100.7")
    Session.objects.filter(session_key=phone.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert len(account_page(laptop).context["active_sessions"]) == 1


def test_staff_end_all_of_a_users_sessions_from_the_admin(alice, staff_user, mailoutbox):
    laptop = signed_in_from(mailoutbox, alice, FIREFOX_WINDOWS, "192.0.2.10")
    phone = signed_in_from(mailoutbox, alice, SAFARI_IPHONE, "198.51.100.7")
    admin = signed_in_from(mailoutbox, staff_user, FIREFOX_WINDOWS, "203.0.113.9")
    page = admin.get(reverse("admin:accounts_user_change", args=[alice.pk]))
    assert page.status_code == 200 and "Mobile Safari 17" in page.content.decode()

    response = admin.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "end_sessions", "_selected_action": [alice.pk]},
    )
    assert response.status_code == 302
    assert not is_signed_in(laptop) and not is_signed_in(phone)
    assert is_signed_in(admin)
    assert not UserSession.objects.filter(user=alice).exists()
    entry = ActivityLog.objects.get(action=Action.SESSIONS_ENDED)
    assert entry.actor == staff_user and entry.subject == alice and entry.detail["count"] == 2
