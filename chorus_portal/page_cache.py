"""Signed-in pages drawn once and served again until something they show changes.

My account, My affiliations and the Users area are the pages people come back to most, and drawing
them (the DSFR layout, the account's windows, pages of requests and members with
their named actions) costs several times what the request around them costs. A
page decorated with `per_person` is kept whole, in this process's memory (the
"pages" cache), under a key made of everything it is drawn from:

- the view, the full path (query string included) and the language;
- the session key and the CSRF cookie: the page's forms carry a token for this
  browser's secret, and "This session" marks this browser's row;
- every column of the signed-in person's own row (name, address, preferences,
  accessible mode…), read on every request anyway: a change of one's own row shows
  at once, whatever wrote it;
- the person's **stamp**, and the stamp of **everyone**: random tokens kept in the
  shared cache (Redis in production). `refresh()` deletes stamps, and a page drawn
  under a deleted stamp is never found again.

Who is refreshed: every change of a person's data, of a structure's requests,
members or profiles (model signals, the activity log's every entry, and the
updates written without a signal, which call `refresh()` themselves) refreshes the
people concerned and, through the sources other layers register
(`register_viewers`), those whose pages show them: the structure's managers. A
change of the reference data (structures, services, anything staff save in the
admin) refreshes everyone.

A refresh deletes the stamps at once and again once the transaction commits: a
page drawn between the two from data not yet committed is dropped by the second.
A page showing messages (after a form) is drawn and not kept. A lost stamp (cache
emptied or down) only means the page is drawn again. Pages expire after
`PAGE_CACHE_TIMEOUT` seconds whatever happens.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import zlib
from collections.abc import Callable, Iterable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.db import transaction
from django.http import HttpResponse
from django.utils import translation

logger = logging.getLogger(__name__)

STAMP = "page-stamp:{}"
EVERYONE = "page-stamp:everyone"
STAMP_TIMEOUT = 24 * 60 * 60

# `source(user_ids, structure_ids)` returns the ids of the other people whose pages
# show those people or structures (affiliations: the structures' managers).
_viewer_sources: list[Callable[[set[int], set[int]], Iterable[int]]] = []


def register_viewers(source: Callable[[set[int], set[int]], Iterable[int]]) -> None:
    if source not in _viewer_sources:
        _viewer_sources.append(source)


def enabled() -> bool:
    return getattr(settings, "PAGE_CACHE", True)


def _ids(values: Iterable) -> set[int]:
    found = {getattr(value, "pk", value) for value in values}
    found.discard(None)
    return found


def refresh(*, users: Iterable = (), structures: Iterable = (), viewers: bool = True) -> None:
    """Drop the kept pages of `users` and, with `viewers`, of whoever sees them or
    `structures`: now, and again after the transaction commits."""
    if not enabled():
        return
    user_ids, structure_ids = _ids(users), _ids(structures)
    if not user_ids and not structure_ids:
        return

    def drop() -> None:
        people = set(user_ids)
        if viewers:
            for source in _viewer_sources:
                people.update(source(user_ids, structure_ids))
        if people:
            caches["default"].delete_many([STAMP.format(pk) for pk in people])

    _drop_now_and_after_commit(drop)


def refresh_everyone() -> None:
    """Reference data changed (a structure's name, a service…): every kept page goes."""
    if not enabled():
        return

    def drop() -> None:
        caches["default"].delete(EVERYONE)

    _drop_now_and_after_commit(drop)


def _drop_now_and_after_commit(drop: Callable[[], None]) -> None:
    _drop_safely(drop)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _drop_safely(drop))


def _drop_safely(drop: Callable[[], None]) -> None:
    try:
        drop()
    except Exception:  # the change itself has succeeded; pages then expire by themselves
        logger.exception("Kept pages could not be dropped")


def _stamps(user_id: int) -> list[str] | None:
    """The person's stamp and everyone's; None when one was dropped while being made."""
    cache = caches["default"]
    keys = [STAMP.format(user_id), EVERYONE]
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            # add(): two requests drawing at once agree on one stamp.
            cache.add(key, secrets.token_hex(8), STAMP_TIMEOUT)
            found[key] = cache.get(key)
    if any(found[key] is None for key in keys):
        return None
    return [str(found[key]) for key in keys]


def _own_row(user) -> str:
    return repr([getattr(user, field.attname) for field in user._meta.concrete_fields])


def page_key(request, view_name: str) -> str | None:
    """The key of this page for this request, or None when it must be drawn."""
    if not enabled() or request.method != "GET":
        return None
    user = request.user
    session_key = request.session.session_key
    csrf_secret = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    if not user.is_authenticated or not session_key or not csrf_secret:
        return None
    if len(messages.get_messages(request)):
        return None  # messages are shown once: this drawing is not kept
    try:
        stamps = _stamps(user.pk)
    except Exception:
        logger.exception("Page stamps could not be read")
        return None
    if stamps is None:
        return None
    parts = [
        view_name,
        request.get_full_path(),
        translation.get_language() or "",
        session_key,
        csrf_secret,
        *stamps,
        _own_row(user),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"page:{digest}"


def per_person(view):
    """Keep the page `view` draws for a GET, per person and session (see above)."""
    view_name = f"{view.__module__}.{view.__qualname__}"

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        key = page_key(request, view_name)
        if key is None:
            return view(request, *args, **kwargs)
        pages = caches["pages"]
        kept = pages.get(key)
        if kept is not None:
            content_type, body = kept
            return HttpResponse(zlib.decompress(body), content_type=content_type)
        response = view(request, *args, **kwargs)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not len(messages.get_messages(request))
        ):
            # Compressed: a page of 30 to 150 KB keeps in 5 to 20.
            pages.set(key, (response["Content-Type"], zlib.compress(response.content, 1)))
        return response

    return wrapper
