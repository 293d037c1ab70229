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
