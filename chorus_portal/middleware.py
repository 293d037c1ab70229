"""Middleware enforcing the portal's session rules.

- SessionTouchMiddleware: the idle timeout (SESSION_COOKIE_AGE) is renewed by
  saving the session at most once a minute, not on every request.
- SessionLifetimeMiddleware: a signed-in session lives at most twelve hours,
  however active (the idle timeout of one hour is SESSION_COOKIE_AGE).
- SecondFactorRequiredMiddleware: after the password, nothing but the factor
  step, logout, the language switch, the legal pages and static files answers
  until the second factor is verified.
- PortalLocaleMiddleware: French unless English was chosen with the switch.
- UserLanguageMiddleware: a signed-in user's language preference rules every page.
- NoStoreMiddleware: no dynamic page is kept in a cache.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, SESSION_KEY, logout
from django.http import HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers

SESSION_STARTED_AT = "portal_session_started_at"
SESSION_TOUCHED_AT = "portal_session_touched_at"


class SessionTouchMiddleware:
    """Saves a session when it changed, or when its last save is a minute old.

    Saving renews the session's expiry (SESSION_COOKIE_AGE, the idle timeout), so a
    session in use stays alive while the database sees at most one write per session
    per SESSION_TOUCH_INTERVAL instead of one per request. A session saved for any
    other reason in a request takes the new time too, so the writes never add up.
    Listed just below SessionMiddleware: its answer runs after every other middleware's.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.accessed or session.is_empty():
            return response
        if not session.session_key and not session.modified:
            return response
        now = int(time.time())
        touched = session.get(SESSION_TOUCHED_AT)
        stale = touched is None or now - int(touched) >= settings.SESSION_TOUCH_INTERVAL
        if session.modified or stale:
            session[SESSION_TOUCHED_AT] = now
        return response


class SessionLifetimeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if session.get(SESSION_KEY) is not None:
            started = session.get(SESSION_STARTED_AT)
            now = int(time.time())
            if started is None:
                session[SESSION_STARTED_AT] = now
            elif now - int(started) > settings.SESSION_ABSOLUTE_LIFETIME:
                session.flush()
        return self.get_response(request)


def _exempt_prefixes() -> tuple[str, ...]:
    prefixes = [
        reverse("mfa:verify"),
        reverse("account_logout"),
        reverse("set_language"),
        # The legal pages linked from every footer, the factor step's included.
        reverse("accessibility"),
        reverse("legal-notice"),
        reverse("personal-data"),
        reverse("cookies"),
        reverse("sitemap"),
        settings.STATIC_URL,
    ]
    if settings.DEV_OUTBOX:
        prefixes.append(reverse("dev-outbox"))
    return tuple(prefixes)


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified():
            if not request.path.startswith(_exempt_prefixes()):
                target = request.get_full_path()
                query = urlencode({REDIRECT_FIELD_NAME: target})
                return HttpResponseRedirect(f"{reverse('mfa:verify')}?{query}")
        return self.get_response(request)


SESSION_GENERATION = "portal_session_generation"


class SessionGenerationMiddleware:
    """Ends every session of a user at once: deactivation raises the user's counter."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            stored = request.session.get(SESSION_GENERATION)
            if stored is None:
                request.session[SESSION_GENERATION] = user.session_generation
            elif stored != user.session_generation:
                logout(request)
        return self.get_response(request)


class PortalLocaleMiddleware(LocaleMiddleware):
    """French unless the visitor chose English with the switch (cookie).

    The browser's Accept-Language is not consulted: the State's portal opens in
    French for everyone, and the choice of English is explicit and remembered.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        language = getattr(user, "language", "") if user.is_authenticated else ""
        if language and language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL):
            add_never_cache_headers(response)
        return response
