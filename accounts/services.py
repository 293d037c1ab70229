"""Changes to a person's account: profile, photo, preferences, deactivation."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.utils import build_absolute_uri
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from activity.models import Action
from activity.services import client_ip, log_event
from chorus_portal.text import without_refused

from . import hooks, sessions
from .models import User
from .notices import send_security_notice


class DeactivationBlocked(Exception):
    def __init__(self, blockers):
        super().__init__("deactivation blocked")
        self.blockers = blockers


def update_profile(*, user: User, values: dict, http_request=None) -> list[str]:
    changed = update_fields(user, values)
    if changed:
        log_event(Action.ACCOUNT_UPDATED, request=http_request, actor=user, fields=changed)
    return changed


@transaction.atomic
def set_photo(*, user: User, content, http_request=None) -> None:
    old = user.photo.name if user.photo else ""
    user.photo.save(content.name, content, save=False)
    user.save(update_fields=["photo"])
    if old:
        transaction.on_commit(lambda: user.photo.storage.delete(old))
    log_event(Action.PHOTO_CHANGED, request=http_request, actor=user)


@transaction.atomic
def remove_photo(*, user: User, http_request=None) -> None:
    if not user.photo:
        return
    old = user.photo.name
    storage = user.photo.storage
    user.photo = ""
    user.save(update_fields=["photo"])
    transaction.on_commit(lambda: storage.delete(old))
    log_event(Action.PHOTO_REMOVED, request=http_request, actor=user)


def set_notifications(*, user: User, values: dict, http_request=None) -> None:
    if update_fields(user, values):
        log_event(
            Action.NOTIFICATIONS_CHANGED,
            request=http_request,
            actor=user,
            **{k: bool(v) for k, v in values.items()},
        )


def set_preferences(*, user: User, values: dict, http_request=None) -> bool:
    changed = update_fields(user, values)
    if changed:
        log_event(Action.PREFERENCES_CHANGED, request=http_request, actor=user, fields=changed)
    return bool(changed)


def update_fields(user: User, values: dict) -> list[str]:
    changed = [name for name, value in values.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, values[name])
    if changed:
        user.save(update_fields=changed)
    return changed


def end_all_sessions(user: User, *, keep_session_key: str | None = None) -> int:
    """Every session of `user` ends (but the one kept); see accounts.sessions."""
    return sessions.end_all_sessions(user, keep_session_key=keep_session_key)


class NotYourSession(Exception):
    pass


def end_session(*, http_request, session_id: int) -> bool:
    """The signed-in person ends one of their sessions; True when it was this one.

    Someone else's session id raises NotYourSession (and nothing ends)."""
    user = http_request.user
    current = http_request.session.session_key
    row = sessions.end_session(user=user, session_id=session_id)
    if row is None:
        raise NotYourSession
    browser, system = sessions.parse_user_agent(row.user_agent)
    log_event(
        Action.SESSION_ENDED,
        request=http_request,
        actor=user,
        session=row.pk,
        browser=browser,
        system=system,
        session_ip=row.ip or "",
    )
    return row.session_id == current


def end_other_sessions(*, http_request) -> int:
    """Every session of the signed-in person but this one ends."""
    ended = sessions.end_other_sessions(http_request)
    log_event(Action.OTHER_SESSIONS_ENDED, request=http_request, count=ended)
    return ended


@transaction.atomic
def deactivate(*, user: User, by: User, http_request=None) -> None:
    blockers = hooks.deactivation_blockers(user)
    if blockers:
        raise DeactivationBlocked(blockers)
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.is_active:
        return
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    end_all_sessions(user)
    hooks.on_deactivate(user, by)
    log_event(Action.ACCOUNT_DEACTIVATED, request=http_request, actor=by, subject=user)
    send_security_notice(user, "account_deactivated", http_request, by=by)


@transaction.atomic
def reactivate(*, user: User, by: User, http_request=None, via_request=None) -> bool:
    """Reactivate `user`: directly (a manager, staff) or by approving their reactivation
    request (`via_request`, already recorded as approved by the workflow)."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_active:
        return False
    User.objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True
    hooks.on_reactivate(user, by, via_request=via_request)
    log_event(Action.ACCOUNT_REACTIVATED, request=http_request, actor=by, subject=user)
    send_security_notice(user, "account_reactivated", http_request, by=by)
    return True


# --- Lost password ------------------------------------------------------------

# A request refused by the rate limits is logged once an hour per IP and per
# account, so flooding the form cannot flood the activity log either.
_WITHHELD_LOG_SECONDS = 60 * 60
_USER_AGENT_LENGTH = 200


def password_reset_withheld(*, email: str, http_request) -> None:
    """A lost-password request over the limits: no mail; logged, at most hourly."""
    user = User.objects.for_login(email)
    marks = [f"portal:reset-withheld:ip:{client_ip(http_request) or 'unknown'}"]
    if user is not None:
        marks.append(f"portal:reset-withheld:user:{user.pk}")
    fresh = [cache.add(mark, True, _WITHHELD_LOG_SECONDS) for mark in marks]
    if any(fresh):
        log_event(Action.PASSWORD_RESET_WITHHELD, request=http_request, subject=user)


def password_reset_completed(*, user: User, http_request) -> None:
    """The password was set from a mailed link: log it and tell the person."""
    log_event(Action.PASSWORD_RESET, request=http_request, actor=user, subject=user)
    adapter = get_adapter(http_request)
    user_agent = http_request.META.get("HTTP_USER_AGENT", "")
    adapter.send_mail(
        "account/email/password_reset",
        user.email,
        {
            "user": user,
            "timestamp": timezone.now(),
            "ip": client_ip(http_request) or "?",
            "user_agent": without_refused(user_agent)[:_USER_AGENT_LENGTH],
            "password_reset_url": build_absolute_uri(
                http_request, reverse("account_reset_password")
            ),
        },
    )


# --- Staff actions (the admin) -----------------------------------------------------------


def end_sessions_by_staff(*, user: User, by: User, http_request=None) -> int:
    """Every browser of `user` is signed out (see accounts.sessions); logged and mailed.

    Staff ending their own sessions keep this request's session row until its next
    request (the raised generation ends it then), so this answer is not lost."""
    keep = http_request.session.session_key if http_request is not None and user == by else None
    ended = sessions.end_all_sessions(user, keep_session_key=keep)
    log_event(Action.SESSIONS_ENDED, request=http_request, actor=by, subject=user, count=ended)
    send_security_notice(user, "sessions_ended_by_staff", http_request, by=by)
    return ended


@transaction.atomic
def unlock_by_staff(*, user: User, by: User, http_request=None) -> bool:
    """Lift the password lock and every other layer's lock (the e-mail factor's).

    False, and nothing logged or mailed, when nothing was locked."""
    from . import lockout

    locked = User.objects.select_for_update().get(pk=user.pk)
    lifted = locked.login_failure_count > 0
    if lifted:
        lockout.lift_after_password_reset(user)
    lifted = hooks.on_unlock(user=user, by=by, request=http_request) or lifted
    if not lifted:
        return False
    log_event(Action.ACCOUNT_UNLOCKED, request=http_request, actor=by, subject=user)
    send_security_notice(user, "account_unlocked", http_request, by=by)
    return True
