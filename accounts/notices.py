"""Security notices: one mail for every change to how a person signs in.

Each event has a subject and a sentence saying what changed; the body adds
when, from which browser and IP address, and what to do if it was not them.
Other layers add their events with `register_event` (from AppConfig.ready()).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from chorus_portal.mail import queue_mail

TEMPLATE_PREFIX = "accounts/email/security_notice"


@dataclass(frozen=True)
class SecurityEvent:
    subject: Promise | str
    summary: Promise | str
    # True when staff, not the person, made the change.
    by_staff: bool = False
    # A second paragraph after the summary, if the event needs one.
    more: Promise | str = ""
    # What to do if it was not them, when the usual advice (reset the password)
    # does not fit: e.g. after a change of login address the reset link goes to
    # the new address, so only the support can help.
    advice: Promise | str = ""


EVENTS: dict[str, SecurityEvent] = {
    "password_changed": SecurityEvent(
        _("Your password has been changed"),
        _(
            "The password of your Chorus Pro account has been changed. "
            "Your other sessions have ended."
        ),
    ),
    "account_deactivated": SecurityEvent(
        _("Your Chorus Pro account has been deactivated"),
        _(
            "Your Chorus Pro account has been deactivated: you can no longer sign in, your "
            "sessions have ended and your pending requests have been cancelled."
        ),
        more=_(
            "To use the portal again, ask a manager of one of your structures or the Chorus "
            "Pro support to reactivate your account."
        ),
        advice=_("If you did not ask for this, contact the Chorus Pro support at once."),
    ),
    "account_reactivated": SecurityEvent(
        _("Your Chorus Pro account has been reactivated"),
        _(
            "Your Chorus Pro account has been reactivated: you can sign in again with your "
            "login address, your password and your second factor."
        ),
        advice=_("If you did not expect this, contact the Chorus Pro support at once."),
    ),
    "sessions_ended_by_staff": SecurityEvent(
        _("Your Chorus Pro sessions have been ended"),
        _(
            "The Chorus Pro support team has signed your account out of every browser and "
            "device: sign in again to go on."
        ),
        by_staff=True,
        advice=_("If you did not ask for this, change your password once signed in."),
    ),
    "account_unlocked": SecurityEvent(
        _("Your Chorus Pro account has been unlocked"),
        _(
            "The Chorus Pro support team has unlocked your account: you can sign in again, "
            "with your password and then your second factor."
        ),
        by_staff=True,
        advice=_(
            "If the failed attempts that locked it were not yours, choose a new password you "
            "use nowhere else."
        ),
    ),
}


def register_event(name: str, event: SecurityEvent) -> None:
    EVENTS.setdefault(name, event)


_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


def describe_browser(user_agent: str) -> str:
    """'Firefox 128 on Windows 10' (ua-parser); the raw header, cleaned and cut, otherwise."""
    from .sessions import parse_user_agent

    browser, system = parse_user_agent(user_agent or "")
    if browser and system:
        return str(_("%(browser)s on %(system)s") % {"browser": browser, "system": system})
    raw = _UNPRINTABLE.sub("", user_agent or "")[:120]
    return browser or system or raw or str(_("unknown browser"))


def send_security_notice(
    user, event: str, request=None, *, to: str | None = None, by=None, **extra
) -> None:
    """Mail `user`, in their language, that `event` happened (after the transaction commits).

    `to` sends it to another address of theirs (the former login address); `by` is
    who made the change when it was not the person: staff are "the Chorus Pro
    support", anyone else is named, and their browser and IP are not given."""
    from activity.services import client_ip

    described = EVENTS[event]
    language = user.language
    someone_else = by is not None and by.pk != user.pk
    by_staff = described.by_staff or (someone_else and by.is_staff)
    with translation.override(language):
        browser = (
            describe_browser(request.META.get("HTTP_USER_AGENT", ""))
            if request is not None and not someone_else
            else ""
        )
    context = {
        "name": user.get_full_name() or user.email,
        "subject": described.subject,
        "summary": described.summary,
        "more": described.more,
        "advice": described.advice,
        "by_staff": by_staff,
        "actor": (by.get_full_name() or by.email) if someone_else and not by_staff else "",
        "when": timezone.now(),
        "browser": browser,
        "ip": "" if someone_else else (client_ip(request) or ""),
        "reset_url": request.build_absolute_uri(reverse("account_reset_password"))
        if request
        else "",
        **extra,
    }
    to = to or user.email
    # Queued in the transaction of the change: it leaves once that commits, or never.
    queue_mail(to=to, template_prefix=TEMPLATE_PREFIX, context=context, language=language)
