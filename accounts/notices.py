"""Security notices: one mail for every change to how a person signs in.

Each event has a subject and a sentence saying what changed; the body adds
when, from which browser and IP address, and what to do if it was not them.
Other layers add their events with `register_event` (from AppConfig.ready()).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
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


EVENTS: dict[str, SecurityEvent] = {
    "password_changed": SecurityEvent(
        _("Your password has been changed"),
        _(
            "The password of your Chorus Pro account has been changed. "
            "Your other sessions have ended."
        ),
    ),
}


def register_event(name: str, event: SecurityEvent) -> None:
    EVENTS.setdefault(name, event)


_BROWSERS = (
    ("Edg/", "Microsoft Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


def describe_browser(user_agent: str) -> str:
    """'Firefox on Windows' from a User-Agent header; the raw header (cut) otherwise."""
    user_agent = _UNPRINTABLE.sub("", user_agent or "")[:300]
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    if browser and system:
        return str(_("%(browser)s on %(system)s") % {"browser": browser, "system": system})
    return browser or system or user_agent[:120] or str(_("unknown browser"))


def send_security_notice(user, event: str, request=None, **extra) -> None:
    """Mail `user`, in their language, that `event` happened (sent once the change commits)."""
    from activity.services import client_ip

    described = EVENTS[event]
    context = {
        "name": user.get_full_name() or user.email,
        "subject": described.subject,
        "summary": described.summary,
        "by_staff": described.by_staff,
        "when": timezone.now(),
        "browser": describe_browser(request.META.get("HTTP_USER_AGENT", "")) if request else "",
        "ip": client_ip(request) or "",
        "reset_url": request.build_absolute_uri(reverse("account_reset_password"))
        if request
        else "",
        **extra,
    }
    # Queued in the transaction of the change: it leaves once that commits, or never.
    queue_mail(
        to=user.email, template_prefix=TEMPLATE_PREFIX, context=context, language=user.language
    )
