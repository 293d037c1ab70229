from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address

from chorus_portal import page_cache

from .models import ActivityLog

# Keys that must never reach the log, whatever a caller passes.
_FORBIDDEN = {"password", "password1", "password2", "code", "token", "key", "secret", "otp"}


# Kept pages (chorus_portal.page_cache) do not show these: signing in changes only the
# person's own row, which their pages key on anyway.
_SIGNING_IN = (
    "login.",
    "logout",
    "factor.code_sent",
    "factor.succeeded",
    "factor.failed",
    "factor.locked",
)
# What these record is shown to the person alone (factors, password, sessions): their
# own kept pages go, not their managers'.
_OWN_ONLY = ("factor.", "password.", "email.", "session.", "signup")


def _clean_value(value: Any) -> Any:
    if isinstance(value, str):
        # One entry, one line: escape line breaks so nothing forges a new record.
        return value.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")[:500]
    return value


def client_ip(request) -> str | None:
    """The client's address, honouring only the trusted proxy count."""
    if request is None:
        return None
    ip = get_adapter(request).get_client_ip(request)
    try:
        validate_ipv46_address(ip)
    except (ValidationError, TypeError):
        return None
    return ip


def log_event(
    action: str,
    *,
    request=None,
    actor=None,
    subject=None,
    structure=None,
    **detail: Any,
) -> ActivityLog:
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    clean = {k: _clean_value(v) for k, v in detail.items() if k.lower() not in _FORBIDDEN}
    subject = subject if subject is not None else actor
    # Every state change is logged here: the pages showing it are drawn again.
    if not str(action).startswith(_SIGNING_IN):
        page_cache.refresh(
            users=[actor, subject],
            structures=[structure],
            viewers=not str(action).startswith(_OWN_ONLY),
        )
    return ActivityLog.objects.create(
        action=action,
        actor=actor,
        subject=subject,
        ip=client_ip(request),
        structure_id=getattr(structure, "pk", structure),
        detail=clean,
    )
