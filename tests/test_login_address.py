"""Change of login address: password, a link to the new address, once, for 24 hours."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from activity.models import Action, ActivityLog
from affiliations.models import Request, RequestKind, RequestStatus
from login_address.models import AddressChange
from tests.conftest import PASSWORD, full_login, make_user, password_login

pytestmark = pytest.mark.django_db

NEW = "alice.new@example.fr"
LINK_RE = re.compile(r"https?://[^/\s]+(/account/login-address/confirm/[^/\s]+/)")
CHANGE_URL = "/account/login-address/"


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what waits for the commit (the mails) as soon as the block ends."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


def ask(client, commit, new_email=NEW, password=PASSWORD):
    with commit():
        return client.post(CHANGE_URL, {"current_password": password, "new_email": new_email})


def link_in(mailoutbox, to=NEW) -> str:
    for message in reversed(mailoutbox):
        if to in message.to:
            found = LINK_RE.search(message.body)
            assert found, message.body
            return found.group(1)
    raise AssertionError(f"no mail to {to}")


def mails_to(mailoutbox, address) -> list:
    return [m for m in mailoutbox if address in m.to]


def confirm(client, commit, link):
    with commit():
        return client.post(link)


def pending_of(user):
    return Request.objects.filter(
        requester=user, kind=RequestKind.LOGIN_ADDRESS, status=RequestStatus.PENDING
    )


def test_the_page_is_in_the_account_menu(signed_in, alice):
    client = signed_in(alice)
    home = client.get(reverse("home")).content.decode()
    assert f'href="{CHANGE_URL}"' in home and "Modifier mon adresse de connexion" in home
    page = client.get(CHANGE_URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'autocomplete="current-password"' in text and alice.email in text


def test_asking_mails_a_link_to_the_new_address_and_changes_nothing(
    signed_in, alice, mailoutbox, commit
):
    client = signed_in(alice)
    response = ask(client, commit)
    assert response.status_code == 302 and response.url == CHANGE_URL
    message = client.get(CHANGE_URL).content.decode()
    assert f"Un lien de confirmation a été envoyé à {NEW}" in message
    [mail] = mails_to(mailoutbox, NEW)
    assert mail.to == [NEW]
    link = link_in(mailoutbox)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 43
    alice.refresh_from_db()
    assert alice.email == "alice@example.fr"
    req = pending_of(alice).get()
    change = AddressChange.objects.get(request=req)
    assert change.new_email == NEW
    # The link carries a random token, stored only hashed; it carries no address.
    assert token not in change.token_hash and len(change.token_hash) == 64
    assert NEW not in link and "alice" not in link
    assert not ActivityLog.objects.filter(detail__icontains=token).exists()
    assert ActivityLog.objects.filter(
        action=Action.REQUEST_SUBMITTED, actor=alice, detail__kind="login_address"
    ).exists()
    # The page now shows the pending change, where it went and when it lapses.
    page = client.get(CHANGE_URL).content.decode()
    assert 'id="pending-change"' in page and NEW in page
    assert timezone.localtime(change.expires_at).strftime("%Y") in page


def test_opening_the_link_asks_for_a_button_and_changes_nothing(
    signed_in, client, alice, mailoutbox, commit
):
    ask(signed_in(alice), commit)
    link = link_in(mailoutbox)
    for _ in range(2):
        page = client.get(link)
        assert page.status_code == 200
        assert 'id="confirm-change"' in page.content.decode() and NEW in page.content.decode()
    alice.refresh_from_db()
    assert alice.email == "alice@example.fr"
    assert pending_of(alice).count() == 1


def test_confirming_switches_the_addresses_together(signed_in, alice, mailoutbox, commit):
    client = signed_in(alice)
    ask(client, commit)
    response = confirm(client, commit, link_in(mailoutbox))
    assert response.status_code == 200 and 'id="change-done"' in response.content.decode()
    alice.refresh_from_db()
    assert alice.email == NEW
    assert list(
        EmailAddress.objects.filter(user=alice).values_list("email", "verified", "primary")
    ) == [(NEW, True, True)]
    # The e-mail factor mails the login address: the next code goes to the new one.
    from mfa.services import email_device_for

    assert email_device_for(alice).user.email == NEW
    req = Request.objects.get(requester=alice, kind=RequestKind.LOGIN_ADDRESS)
    assert req.status == RequestStatus.APPROVED and req.decided_by == alice
    assert AddressChange.objects.get(request=req).old_email == "alice@example.fr"
    entry = ActivityLog.objects.get(action=Action.LOGIN_ADDRESS_CHANGED)
    assert entry.actor == alice and entry.subject == alice
    assert (entry.detail["old"], entry.detail["new"]) == ("alice@example.fr", NEW)
    assert ActivityLog.objects.filter(
        action=Action.REQUEST_APPROVED, actor=alice, detail__kind="login_address"
    ).exists()
    # History of my requests lists it, decided by the person.
    history = html.unescape(client.get(reverse("affiliations:request-list")).content.decode())
    assert "Changement d'adresse de connexion" in history and NEW in history
    assert "Validée" in history


def test_login_with_the_new_address_works_and_with_the_old_one_fails(
    signed_in, alice, mailoutbox, commit
):
    ask(signed_in(alice), commit)
    confirm(Client(), commit, link_in(mailoutbox))
    fresh = Client()
    full_login(fresh, mailoutbox, NEW)
    assert fresh.get(reverse("accounts:account")).status_code == 200
    refused = Client().post(
        reverse("account_login"), {"login": "alice@example.fr", "password": PASSWORD}
    )
    assert refused.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in Client().session


def test_other_sessions_end_and_this_one_stays(alice, mailoutbox, commit, settings):
    settings.MFA_EMAIL_RESEND_COOLDOWN = 0
    laptop, phone = Client(), Client()
    full_login(laptop, mailoutbox, alice.email)
    full_login(phone, mailoutbox, alice.email)
    ask(laptop, commit)
    confirm(laptop, commit, link_in(mailoutbox))
    assert laptop.get(reverse("accounts:account")).status_code == 200
    assert phone.get(reverse("accounts:account")).status_code == 302


def test_confirming_from_a_signed_out_browser_ends_every_session(
    alice, mailoutbox, commit, settings
):
    laptop = Client()
    full_login(laptop, mailoutbox, alice.email)
    ask(laptop, commit)
    response = confirm(Client(), commit, link_in(mailoutbox))
    assert 'id="change-done"' in response.content.decode()
    assert laptop.get(reverse("accounts:account")).status_code == 302


def test_the_link_works_once(signed_in, client, alice, mailoutbox, commit):
    ask(signed_in(alice), commit)
    link = link_in(mailoutbox)
    assert 'id="change-done"' in confirm(client, commit, link).content.decode()
    again = confirm(Client(), commit, link).content.decode()
    assert 'id="link-invalid"' in again
    assert 'id="link-invalid"' in Client().get(link).content.decode()
    assert ActivityLog.objects.filter(action=Action.LOGIN_ADDRESS_CHANGED).count() == 1


def test_an_unknown_token_changes_nothing(client, alice):
    for token in ("x" * 43, "A" * 500):
        url = reverse("login_address:confirm", args=[token])
        assert 'id="link-invalid"' in client.get(url).content.decode()
        assert 'id="link-invalid"' in client.post(url).content.decode()
    alice.refresh_from_db()
    assert alice.email == "alice@example.fr"


@pytest.mark.parametrize(
    ("after", "works"),
    [(timedelta(hours=24) - timedelta(seconds=1), True), (timedelta(hours=24, seconds=1), False)],
)
def test_the_link_lapses_after_24_hours(signed_in, alice, mailoutbox, commit, after, works):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        ask(signed_in(alice), commit)
        link = link_in(mailoutbox)
        traveller.shift(after)
        page = Client().get(link).content.decode()
        assert ('id="confirm-change"' in page) is works
        result = confirm(Client(), commit, link).content.decode()
    alice.refresh_from_db()
    req = Request.objects.get(requester=alice, kind=RequestKind.LOGIN_ADDRESS)
    if works:
        assert 'id="change-done"' in result and alice.email == NEW
        assert req.status == RequestStatus.APPROVED
    else:
        assert 'id="link-invalid"' in result and alice.email == "alice@example.fr"
        # Lapsed lazily when the link was used, and logged.
        assert req.status == RequestStatus.EXPIRED
        assert ActivityLog.objects.filter(action=Action.REQUEST_EXPIRED, subject=alice).exists()


def test_a_lapsed_change_no_longer_blocks_a_new_one(signed_in, alice, mailoutbox, commit):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = signed_in(alice)
        ask(client, commit)
        traveller.shift(timedelta(hours=24, seconds=1))
        client = signed_in(alice)  # the first session timed out meanwhile
        page = client.get(CHANGE_URL).content.decode()
        assert 'id="pending-change"' not in page
        ask(client, commit, "alice.other@example.fr")
    statuses = dict(
        Request.objects.filter(requester=alice).values_list(
            "login_address_change__new_email", "status"
        )
    )
    assert statuses == {NEW: RequestStatus.EXPIRED, "alice.other@example.fr": RequestStatus.PENDING}


def test_expire_requests_lapses_changes_after_24_hours(signed_in, alice, bob, commit):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        ask(signed_in(alice), commit)
        ask(signed_in(bob), commit, "bob.new@example.fr")
        traveller.shift(timedelta(hours=23, minutes=59))
        call_command("expire_requests", stdout=open("/dev/null", "w"))  # noqa: SIM115
        assert pending_of(alice).exists()
        traveller.shift(timedelta(minutes=1))
        call_command("expire_requests", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not pending_of(alice).exists() and not pending_of(bob).exists()
    assert Request.objects.filter(status=RequestStatus.EXPIRED).count() == 2


def test_a_second_request_while_one_is_pending_is_refused(signed_in, alice, mailoutbox, commit):
    client = signed_in(alice)
    ask(client, commit)
    response = ask(client, commit, "alice.second@example.fr")
    assert response.status_code == 302
    page = html.unescape(client.get(CHANGE_URL).content.decode())
    assert "déjà en attente de confirmation" in page and NEW in page
    assert Request.objects.filter(requester=alice, kind=RequestKind.LOGIN_ADDRESS).count() == 1
    assert not mails_to(mailoutbox, "alice.second@example.fr")


def test_cancelling_kills_the_link_and_frees_the_page(signed_in, alice, mailoutbox, commit):
    client = signed_in(alice)
    ask(client, commit)
    link = link_in(mailoutbox)
    assert client.get(reverse("login_address:cancel")).status_code == 405
    response = client.post(reverse("login_address:cancel"))
    assert response.status_code == 302
    req = Request.objects.get(requester=alice, kind=RequestKind.LOGIN_ADDRESS)
    assert req.status == RequestStatus.CANCELLED
    assert ActivityLog.objects.filter(action=Action.REQUEST_CANCELLED, actor=alice).exists()
    # The old link is dead, on GET and on POST.
    assert 'id="link-invalid"' in Client().get(link).content.decode()
    assert 'id="link-invalid"' in confirm(Client(), commit, link).content.decode()
    alice.refresh_from_db()
    assert alice.email == "alice@example.fr"
    # A new change may be asked for.
    assert 'id="pending-change"' not in client.get(CHANGE_URL).content.decode()
    ask(client, commit, "alice.other@example.fr")
    assert pending_of(alice).get().login_address_change.new_email == "alice.other@example.fr"


def _flash(client) -> str:
    page = client.get(CHANGE_URL).content.decode()
    found = re.search(r'<div class="fr-alert fr-alert--success[^"]*"[^>]*>(.*?)</div>', page, re.S)
    assert found, page
    return found.group(1)


def test_an_address_of_another_account_is_refused_without_saying_so(
    signed_in, alice, bob, mailoutbox, commit
):
    """Bob's address (typed in another case) and a free address get the same answer
    and the same work; the mail to Bob's address says it is in use, with no link."""
    free = "alice.free@example.fr"
    answers, queries = [], []
    # The clock stands still: a session is touched at most once a minute, and a minute
    # turning between the two tries would add a query to one of them.
    with time_machine.travel(timezone.now(), tick=False):
        for typed in ("BOB@Example.FR", free):
            client = signed_in(alice)
            with CaptureQueriesContext(connection) as captured:
                response = ask(client, commit, typed)
            queries.append(len(captured))
            answers.append((response.status_code, response.url))
            answers.append(_flash(client).replace(typed.lower(), "<address>"))
            client.post(reverse("login_address:cancel"))
    assert answers[0:2] == answers[2:4]
    assert queries[0] == queries[1]
    [to_bob] = mails_to(mailoutbox, bob.email)
    assert not LINK_RE.search(to_bob.body)
    assert "utilise déjà cette adresse" in to_bob.body
    assert "alice" not in to_bob.body.lower()
    assert LINK_RE.search(mails_to(mailoutbox, free)[0].body)
    alice.refresh_from_db()
    assert alice.email == "alice@example.fr"


def test_an_address_taken_between_request_and_confirmation(signed_in, alice, mailoutbox, commit):
    ask(signed_in(alice), commit)
    link = link_in(mailoutbox)
    make_user(NEW.upper().replace("EXAMPLE.FR", "example.fr"))  # normalised: alice.new@…
    response = confirm(Client(), commit, link)
    assert 'id="change-taken"' in response.content.decode()
    alice.refresh_from_db()
    assert alice.email == "alice@example.fr"
    assert EmailAddress.objects.get(user=alice).email == "alice@example.fr"
    req = Request.objects.get(requester=alice, kind=RequestKind.LOGIN_ADDRESS)
    assert req.status == RequestStatus.REFUSED and req.decided_by == alice
    assert not ActivityLog.objects.filter(action=Action.LOGIN_ADDRESS_CHANGED).exists()
    assert User.objects.filter(email=NEW).exclude(pk=alice.pk).count() == 1


@pytest.mark.parametrize(
    "typed",
    [
        "alice.new@example.fr\r\nBcc: evil@example.com",
        "alice.new@example.fr\nevil@example.com",
        "alice.new@example.fr\r",
        "alice.new@example.fr, evil@example.com",
        "alice.new@example.fr;evil@example.com",
        "alice.new@example.fr evil@example.com",
        "Alice <alice.new@example.fr>",
        '"Alice" alice.new@example.fr',
        "alïce@example.fr",
        "not-an-address",
        "",
    ],
)
def test_injections_and_malformed_addresses_are_refused(
    signed_in, alice, mailoutbox, commit, typed
):
    client = signed_in(alice)
    response = ask(client, commit, typed)
    assert response.status_code == 200
    assert response.context["form"].errors["new_email"]
    assert not Request.objects.filter(requester=alice).exists()
    assert not mailoutbox


def test_the_address_is_normalised(signed_in, alice, mailoutbox, commit):
    ask(signed_in(alice), commit, "  Alice.New@EXAMPLE.fr ")
    assert pending_of(alice).get().login_address_change.new_email == NEW
    assert mails_to(mailoutbox, NEW)


def test_a_wrong_password_or_the_same_address_is_refused(signed_in, alice, mailoutbox, commit):
    client = signed_in(alice)
    wrong = ask(client, commit, NEW, password="Not-the-password-1!")
    assert wrong.context["form"].errors["current_password"]
    same = ask(client, commit, "ALICE@example.fr")
    assert same.context["form"].errors["new_email"] == ["C'est déjà votre adresse de connexion."]
    assert not Request.objects.filter(requester=alice).exists()
    assert not mailoutbox


def test_deactivation_voids_a_pending_link(signed_in, alice, mailoutbox, commit):
    from accounts.services import deactivate, reactivate

    ask(signed_in(alice), commit)
    link = link_in(mailoutbox)
    deactivate(user=alice, by=alice)
    reactivate(user=alice, by=alice)
    assert 'id="link-invalid"' in confirm(Client(), commit, link).content.decode()
    alice.refresh_from_db()
    assert alice.email == "alice@example.fr"


def test_the_page_needs_both_factors(client, alice):
    password_login(client, alice.email)
    response = client.get(CHANGE_URL)
    assert response.status_code == 302 and response.url.startswith(reverse("mfa:verify"))


def test_staff_see_the_addresses_of_a_change_in_the_admin(signed_in, alice, staff_user, commit):
    ask(signed_in(alice), commit)
    req = pending_of(alice).get()
    page = signed_in(staff_user).get(reverse("admin:affiliations_request_change", args=[req.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert NEW in text and req.login_address_change.token_hash not in text


def test_at_most_three_changes_an_hour(signed_in, alice, mailoutbox, commit):
    client = signed_in(alice)
    for index in range(3):
        ask(client, commit, f"alice.{index}@example.fr")
        client.post(reverse("login_address:cancel"))
    response = ask(client, commit, "alice.3@example.fr")
    assert response.status_code == 200
    assert "trop de changements" in html.unescape(response.content.decode())
    assert not mails_to(mailoutbox, "alice.3@example.fr")
    assert Request.objects.filter(requester=alice, kind=RequestKind.LOGIN_ADDRESS).count() == 3


def test_codes_mailed_to_the_former_address_stop_working(signed_in, alice, mailoutbox, commit):
    from mfa.models import EmailCode
    from tests.conftest import last_code

    ask(signed_in(alice), commit)
    link = link_in(mailoutbox)
    # Someone is between the password and the code mailed to the former address.
    halfway = Client()
    password_login(halfway, alice.email)
    code = last_code(mailoutbox, alice.email)
    assert EmailCode.objects.filter(device__user=alice).exists()
    confirm(Client(), commit, link)
    assert not EmailCode.objects.filter(device__user=alice).exists()
    response = halfway.post(reverse("mfa:verify"), {"code": code, "action": "verify"})
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    assert not ActivityLog.objects.filter(action=Action.FACTOR_SUCCEEDED, actor=alice).exists()
