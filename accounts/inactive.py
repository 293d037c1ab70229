"""A deactivated person who has just typed the right password.

allauth sends an inactive account's correct password step to `account_inactive`
without signing anyone in. The adapter records here, in the browser's session, that
this session proved the password of that account a moment ago: for the next
PROOF_SECONDS the page may offer to ask for the account's reactivation, once. The
page never shows anything of the account itself (no name, no structure): nothing is
shown before a second factor, and a deactivated account has no usable one.
"""

from __future__ import annotations

import time

SESSION_KEY = "portal_inactive_login"
PROOF_SECONDS = 15 * 60


def remember(request, user) -> None:
    request.session[SESSION_KEY] = {"user": user.pk, "at": int(time.time())}


def proven_user(request):
    """The inactive account whose password this session typed less than PROOF_SECONDS
    ago, or None (never asked, expired, or reactivated meanwhile)."""
    from .models import User

    mark = request.session.get(SESSION_KEY)
    if not isinstance(mark, dict):
        return None
    try:
        user_id, at = int(mark["user"]), int(mark["at"])
    except (KeyError, TypeError, ValueError):
        return None
    if time.time() - at > PROOF_SECONDS:
        forget(request)
        return None
    return User.objects.filter(pk=user_id, is_active=False).first()


def forget(request) -> None:
    request.session.pop(SESSION_KEY, None)
