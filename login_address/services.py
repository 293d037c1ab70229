"""Change of login address: asked with the password, confirmed by a link mailed to
the new address, one at a time, lapsing after 24 hours.

It is the login-address kind of the one request workflow: asking submits a
request, the link approves it (the person decides their own request), "Cancel"
cancels it, and after 24 hours it expires. So it shows in History of my requests
and every step is in the activity log.

Nothing tells the person asking whether the new address belongs to another
account: the form answers "a link has been sent" either way, the same work is
done, and the mail to that address says that it is already in use instead of
carrying a link. Whoever opens a link proves they read that mailbox, so the
confirmation page may say that the address was taken meanwhile.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.core import ratelimit
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import sessions
from accounts.models import User
from accounts.notices import SecurityEvent, send_security_notice
from activity.models import Action
from activity.services import log_event
from affiliations import workflow
from affiliations.models import Request, RequestKind, RequestStatus
from chorus_portal.mail import queue_mail

from .models import AddressChange

LIFETIME = timedelta(hours=24)
TOKEN_BYTES = 32
# A token in a URL is 43 characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 100

EVENTS = {
    # To the former address, once the change is complete.
    "login_address_changed": SecurityEvent(
        _("Your login address has been changed"),
        _("The login address of your Chorus Pro account has been changed to a new address"),
        more=_("This address no longer signs in to Chorus Pro and receives no more codes."),
        advice=_(
            "If you did not make this change, contact the Chorus Pro support at once: the "
            "lost-password link now goes to the new address, so only the support can give "
            "you your account back."
        ),
    ),
    # To the new address.
    "login_address_now_yours": SecurityEvent(
        _("This is now your login address"),
        _("This address is now the login address of your Chorus Pro account"),
    ),
}


class ChangePending(Exception):
    def __init__(self, change: AddressChange):
        super().__init__("a change of login address is pending")
        self.change = change


class TooManyChanges(Exception):
    pass


class AddressTaken(Exception):
    pass


class Outcome(enum.Enum):
    CONFIRMED = "confirmed"
    INVALID = "invalid"  # unknown, used, cancelled or lapsed: nothing to confirm
    TAKEN = "taken"  # another account uses the address now


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _pending(user) -> AddressChange | None:
    return (
        AddressChange.objects.select_related("request")
        .filter(
            request__requester=user,
            request__kind=RequestKind.LOGIN_ADDRESS,
            request__status=RequestStatus.PENDING,
        )
        .first()
    )


def _lapsed(change: AddressChange, now=None) -> bool:
    return (now or timezone.now()) >= change.expires_at


def pending_change_of(user) -> AddressChange | None:
    """The change waiting for its link, if it has not lapsed. Reads only."""
    change = _pending(user)
    if change is None or _lapsed(change):
        return None
    return change


def _lapse_overdue(user) -> None:
    """A pending change older than 24 hours becomes expired (logged)."""
    change = _pending(user)
    if change is not None and _lapsed(change):
        workflow.expire(req=change.request)


def request_change(*, user: User, new_email: str, http_request) -> AddressChange:
    """Ask for `new_email` (normalised, checked by the form with the password)."""
    _lapse_overdue(user)
    pending = pending_change_of(user)
    if pending is not None:
        raise ChangePending(pending)
    if not ratelimit.consume(http_request, action="change_login_address", user=user):
        raise TooManyChanges
    token = secrets.token_urlsafe(TOKEN_BYTES)
    # The same work whether or not the address is taken; only the mail differs.
    taken = User.objects.filter(email=new_email).exclude(pk=user.pk).exists()
    try:
        with transaction.atomic():
            req = workflow.submit(
                requester=user,
                kind=RequestKind.LOGIN_ADDRESS,
                structure=None,
                whole_structure=True,
                services=[],
                comment=new_email,
                http_request=http_request,
            )
            change = AddressChange.objects.create(
                request=req, new_email=new_email, token_hash=token_hash(token)
            )
    except workflow.DuplicateRequest:
        # Asked twice at the same moment: the database kept one.
        raise ChangePending(_pending(user)) from None
    link = http_request.build_absolute_uri(reverse("login_address:confirm", args=[token]))
    context = {
        "name": user.get_full_name() or user.email,
        "new_email": new_email,
        "taken": taken,
        "link": "" if taken else link,
        "expires_at": change.expires_at,
        "lost_password_url": http_request.build_absolute_uri(reverse("account_reset_password")),
    }
    language = user.language
    # Queued in the transaction of the change: it leaves once that commits, or never.
    queue_mail(
        to=new_email,
        template_prefix="login_address/email/confirm",
        context=context,
        language=language,
    )
    return change


def cancel_change(*, user: User, http_request) -> bool:
    change = _pending(user)
    if change is None:
        return False
    return workflow.cancel(req=change.request, by=user, http_request=http_request)


def change_for_token(token: str) -> AddressChange | None:
    """The pending, unlapsed change a link's token stands for, or None. Reads only."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    change = (
        AddressChange.objects.select_related("request")
        .filter(token_hash=token_hash(token), request__status=RequestStatus.PENDING)
        .first()
    )
    if change is None or _lapsed(change):
        return None
    return change


def confirm(*, token: str, http_request) -> tuple[Outcome, AddressChange | None]:
    """The link was opened and its button pressed: make the change, once."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return Outcome.INVALID, None
    change = (
        AddressChange.objects.select_related("request__requester")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if change is None or change.request.status != RequestStatus.PENDING:
        return Outcome.INVALID, change
    if _lapsed(change):
        workflow.expire(req=change.request)
        return Outcome.INVALID, change
    user = change.request.requester
    try:
        with transaction.atomic():
            workflow.decide(req=change.request, by=user, approve=True, http_request=http_request)
            _after_change(change, user, http_request)
    except workflow.AlreadyDecided:
        # Confirmed, cancelled or lapsed at the same moment: one decision only.
        return Outcome.INVALID, change
    except (AddressTaken, IntegrityError):
        # Another account took the address after the request was made.
        with translation.override(user.language):
            reason = gettext("Another account now uses this address.")
        try:
            workflow.decide(
                req=change.request, by=user, approve=False, reason=reason, http_request=http_request
            )
        except workflow.AlreadyDecided:
            return Outcome.INVALID, change
        return Outcome.TAKEN, change
    return Outcome.CONFIRMED, change


def apply_change(req: Request, by) -> None:
    """The workflow's handler, in the decision's transaction: the login address,
    allauth's address and the e-mail factor (which mails the login address) switch
    together; codes already mailed to the former address stop working."""
    from mfa.services import void_codes

    change = AddressChange.objects.get(request=req)
    user = User.objects.select_for_update().get(pk=req.requester_id)
    new_email = change.new_email
    if User.objects.filter(email=new_email).exclude(pk=user.pk).exists():
        raise AddressTaken
    old_email = user.email
    User.objects.filter(pk=user.pk).update(email=new_email)
    EmailAddress.objects.filter(user=user).delete()
    EmailAddress.objects.create(user=user, email=new_email, verified=True, primary=True)
    void_codes(user)
    change.old_email = old_email
    change.save(update_fields=["old_email"])


def _after_change(change: AddressChange, user: User, http_request) -> None:
    """Logged; every other session ends; both addresses are told."""
    user.refresh_from_db()
    change.refresh_from_db(fields=["old_email"])
    log_event(
        Action.LOGIN_ADDRESS_CHANGED,
        request=http_request,
        actor=user,
        subject=user,
        request_id=change.request_id,
        old=change.old_email,
        new=user.email,
    )
    current = http_request.user
    if current.is_authenticated and current.pk == user.pk:
        sessions.end_other_sessions(http_request, user)
        current.email = user.email
    else:
        sessions.end_all_sessions(user)
    send_security_notice(
        user, "login_address_changed", http_request, to=change.old_email, detail=user.email
    )
    send_security_notice(user, "login_address_now_yours", http_request, detail=user.email)
