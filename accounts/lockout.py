"""Consecutive failed password logins of one account.

allauth's rate limits count attempts per address and per IP in the cache over a
window. This adds what they cannot: a count per *account* that survives the
window, with increasing delays after LOGIN_FREE_FAILURES and, at
LOGIN_MAX_FAILURES, a lock that only a completed password reset lifts (the
owner is mailed). A successful password step resets the count.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import F


def _delay(failures: int) -> timedelta:
    extra = failures - settings.LOGIN_FREE_FAILURES
    if extra < 0:
        return timedelta(0)
    return timedelta(seconds=min(2 ** min(extra, 30), settings.LOGIN_MAX_DELAY))


def login_blocked(user, now) -> bool:
    """True while the account may not try a password (delay, or the hard cap)."""
    failures = user.login_failure_count
    if failures >= settings.LOGIN_MAX_FAILURES:
        return True
    if failures <= settings.LOGIN_FREE_FAILURES or user.login_failure_at is None:
        return False
    return now < user.login_failure_at + _delay(failures - 1)


def login_failed(user, now) -> bool:
    """Count one failure; True when this one reached the hard cap."""
    from accounts.models import User

    User.objects.filter(pk=user.pk).update(
        login_failure_count=F("login_failure_count") + 1, login_failure_at=now
    )
    failures = User.objects.values_list("login_failure_count", flat=True).get(pk=user.pk)
    return failures == settings.LOGIN_MAX_FAILURES


def login_succeeded(user) -> None:
    from accounts.models import User

    if user.login_failure_count:
        User.objects.filter(pk=user.pk).update(login_failure_count=0, login_failure_at=None)


def lift_after_password_reset(user) -> None:
    from accounts.models import User

    User.objects.filter(pk=user.pk).update(login_failure_count=0, login_failure_at=None)
