"""A person's active sessions: the index, the list, and ending them.

Sessions are Django's database sessions. `UserSession` indexes them by user so
that "My active sessions" reads a handful of rows instead of decoding the whole
session table. The index row is written when a session first answers signed in
(the login request itself) and touched at most once a minute after that, so a
busy portal does not write on every request. Ending a session deletes its
Django session row (the index row goes with it): the next request of that
browser, on whichever web node, arrives signed out.

`session_generation` on the user stays the catch-all: raising it ends every
session, indexed or not (one signed in before this index existed), at its next
request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from activity.services import client_ip
from chorus_portal import page_cache
from chorus_portal.middleware import SESSION_GENERATION, SESSION_STARTED_AT
from chorus_portal.text import without_refused

from .models import User, UserSession

# Kept in the session itself: which key the index row was written for, and when
# it was last touched (epoch seconds).
INDEX_MARK = "portal_session_index"
TOUCH_INTERVAL = 60
USER_AGENT_LENGTH = 300


def _user_agent(request) -> str:
    return without_refused(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_LENGTH]


def touch(request) -> None:
    """Index the signed-in session of `request`, or refresh it once a minute."""
    session = request.session
    key = session.session_key
    if not key:
        return
    moment = timezone.now()
    now = moment.timestamp()
    mark = session.get(INDEX_MARK) or {}
    if mark.get("key") == key and now - float(mark.get("seen", 0)) < TOUCH_INTERVAL:
        return
    values = {"ip": client_ip(request), "user_agent": _user_agent(request), "last_seen_at": moment}
    signed_in = mark.get("signed_in")
    # This key already indexed (the mark says so): a touch. Otherwise (the login request,
    # or the key was renewed and the row went with the old key) no row to update yet.
    updated = mark.get("key") == key and bool(
        UserSession.objects.filter(session_id=key, user=request.user).update(**values)
    )
    if not updated:
        # Index it, keeping the time it was signed in: one upsert on the session key.
        signed_in = signed_in or session.get(SESSION_STARTED_AT) or now
        row = UserSession(
            session_id=key,
            user=request.user,
            created_at=datetime.fromtimestamp(float(signed_in), tz=UTC),
            **values,
        )
        try:
            if transaction.get_connection().in_atomic_block:
                with transaction.atomic():  # a savepoint: the caller's work survives
                    _upsert(row, values)
            else:
                _upsert(row, values)  # autocommit: the statement is its own transaction
        except IntegrityError:
            # The session row was deleted meanwhile (ended elsewhere): nothing to index.
            return
    session[INDEX_MARK] = {"key": key, "seen": now, "signed_in": signed_in or now}
    # Written without a signal: My account's list of sessions changed.
    page_cache.refresh(users=[request.user], viewers=False)


def _upsert(row: UserSession, values: dict) -> None:
    UserSession.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["session"],
        update_fields=["user", "created_at", *values],
    )


# --- Listing ------------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveSession:
    id: int
    browser: str
    system: str
    ip: str
    created_at: datetime
    last_seen_at: datetime
    current: bool


@lru_cache(maxsize=2048)
def parse_user_agent(user_agent: str) -> tuple[str, str]:
    """(browser, system) read from a User-Agent by ua-parser; "" when unknown."""
    from ua_parser import parse

    result = parse(user_agent or "")
    browser = system = ""
    if result.user_agent and result.user_agent.family != "Other":
        agent = result.user_agent
        browser = f"{agent.family} {agent.major}" if agent.major else agent.family
    if result.os and result.os.family != "Other":
        os_ = result.os
        system = f"{os_.family} {os_.major}" if os_.major else os_.family
    return browser, system


def _active(user) -> object:
    now = timezone.now()
    return UserSession.objects.filter(
        user=user,
        session__expire_date__gt=now,
        created_at__gt=now - timedelta(seconds=settings.SESSION_ABSOLUTE_LIFETIME),
    )


def active_sessions(request) -> list[ActiveSession]:
    """The signed-in person's active sessions, this one first, then the latest seen."""
    current = request.session.session_key
    rows = _active(request.user).only(
        "id", "session_id", "ip", "user_agent", "created_at", "last_seen_at"
    )
    sessions = []
    for row in rows:
        browser, system = parse_user_agent(row.user_agent)
        sessions.append(
            ActiveSession(
                id=row.pk,
                browser=browser or _("Unknown browser"),
                system=system or _("Unknown system"),
                ip=row.ip or "",
                created_at=row.created_at,
                last_seen_at=row.last_seen_at,
                current=row.session_id == current,
            )
        )
    sessions.sort(key=lambda s: (not s.current, -s.last_seen_at.timestamp()))
    return sessions


# --- Ending ---------------------------------------------------------------------------


def _delete_sessions(keys) -> int:
    keys = list(keys)
    if not keys:
        return 0
    # Deleting the Django session rows takes their index rows with them.
    Session.objects.filter(session_key__in=keys).delete()
    # Sessions read from a cache (cached_db, with Redis) are gone from it too: the copy
    # there would otherwise keep the browser signed in until it expires.
    store = import_module(settings.SESSION_ENGINE).SessionStore
    prefix = getattr(store, "cache_key_prefix", None)
    if prefix is not None:
        caches[settings.SESSION_CACHE_ALIAS].delete_many([prefix + key for key in keys])
    return len(keys)


def end_session(*, user: User, session_id: int) -> UserSession | None:
    """End one of `user`'s sessions by its index id; None when it is not theirs."""
    row = UserSession.objects.filter(pk=session_id, user=user).first()
    if row is None:
        return None
    _delete_sessions([row.session_id])
    return row


def end_all_sessions(user: User, *, keep_session_key: str | None = None) -> int:
    """Every session of `user` ends but the one kept (the caller's own, if asked).

    The indexed ones are deleted at once; raising the generation ends any other
    at its next request (see SessionGenerationMiddleware)."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])
    keys = UserSession.objects.filter(user=user).values_list("session_id", flat=True)
    if keep_session_key:
        keys = keys.exclude(session_id=keep_session_key)
    return _delete_sessions(keys)


def end_other_sessions(request, user: User | None = None) -> int:
    """Every session of the signed-in person but this one ends."""
    user = user or request.user
    ended = end_all_sessions(user, keep_session_key=request.session.session_key)
    # This session follows the new generation, so it stays signed in.
    request.session[SESSION_GENERATION] = user.session_generation
    return ended
