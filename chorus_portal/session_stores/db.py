"""Database sessions with lean writes (see the package)."""

from . import LeanWrites


class SessionStore(LeanWrites):
    pass
