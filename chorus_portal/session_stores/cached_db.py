"""Sessions read from the cache and written through to the database with lean writes."""

from django.contrib.sessions.backends.cached_db import SessionStore as DjangoCachedDBStore

from . import LeanWrites


class SessionStore(DjangoCachedDBStore, LeanWrites):
    """Django's cached_db store whose database writes are LeanWrites'."""
