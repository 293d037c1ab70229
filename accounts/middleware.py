"""Keeps the index of signed-in sessions (see accounts.sessions)."""

from __future__ import annotations

from .sessions import touch


class SessionIndexMiddleware:
    """After the view: index the signed-in session, touching it at most once a minute.

    After, so that the login request itself (whose view signs the person in)
    indexes the new session, and a logout or an ended session indexes nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            touch(request)
        return response
