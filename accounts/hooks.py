"""Explicit extension points of the accounts layer.

Higher layers (mfa) register here from their AppConfig.ready(), so the login
flow calls them by name instead of through signals.
"""

from __future__ import annotations

from collections.abc import Callable

_after_password_login: list[Callable] = []


def register_after_password_login(func: Callable) -> None:
    if func not in _after_password_login:
        _after_password_login.append(func)


def after_password_login(request, user) -> None:
    for func in _after_password_login:
        func(request, user)


# Deactivation and reactivation: what other layers must do or say.
_deactivation_blockers: list[Callable] = []
_on_deactivate: list[Callable] = []
_on_reactivate: list[Callable] = []


def register_deactivation_blocker(func: Callable) -> None:
    """`func(user)` returns a list of (message, url) that forbid deactivating now."""
    if func not in _deactivation_blockers:
        _deactivation_blockers.append(func)


def register_on_deactivate(func: Callable) -> None:
    """`func(user, by)` runs inside the deactivation's transaction."""
    if func not in _on_deactivate:
        _on_deactivate.append(func)


def register_on_reactivate(func: Callable) -> None:
    """`func(user, by, via_request=None)` runs inside the reactivation's transaction;
    `via_request` is the approved reactivation request, when it came from one."""
    if func not in _on_reactivate:
        _on_reactivate.append(func)


def deactivation_blockers(user) -> list:
    found = []
    for func in _deactivation_blockers:
        found.extend(func(user))
    return found


def on_deactivate(user, by) -> None:
    for func in _on_deactivate:
        func(user, by)


def on_reactivate(user, by, *, via_request=None) -> None:
    for func in _on_reactivate:
        func(user, by, via_request=via_request)


# A completed password reset: what other layers lift (the factor's lock).
_on_password_reset: list[Callable] = []


def register_on_password_reset(func: Callable) -> None:
    """`func(user=..., request=...)` runs after a completed password reset."""
    if func not in _on_password_reset:
        _on_password_reset.append(func)


def on_password_reset(*, user, request=None) -> None:
    for func in _on_password_reset:
        func(user=user, request=request)


# Who may see a person's photo besides its owner: each layer that relates people
# (affiliations: colleagues of an active structure) registers a condition.
_photo_audience: list[Callable] = []


def register_photo_audience(func: Callable) -> None:
    """`func(viewer)` returns a Q on User matching the people whose photo `viewer` may see."""
    if func not in _photo_audience:
        _photo_audience.append(func)


def photo_audience(viewer):
    """A Q on User: the people whose photo `viewer` may see, besides their own (none if unset)."""
    from django.db.models import Q

    condition = Q(pk__in=[])
    for func in _photo_audience:
        condition |= func(viewer)
    return condition


# Staff unlock an account: each layer lifts its own lock and says whether it had one.
_on_unlock: list[Callable] = []


def register_on_unlock(func: Callable) -> None:
    """`func(user=..., by=..., request=...)` returns True when it lifted a lock."""
    if func not in _on_unlock:
        _on_unlock.append(func)


def on_unlock(*, user, by, request=None) -> bool:
    lifted = False
    for func in _on_unlock:
        lifted = bool(func(user=user, by=by, request=request)) or lifted
    return lifted
