"""Django's database sessions without the statements a session write does not need.

Django's `db` store checks that a new key is free before inserting it (a SELECT) and
wraps every write in its own transaction (BEGIN and COMMIT, or a savepoint inside
the caller's). The insert of a new session already fails on a taken key (the key is
the primary key: the store then draws another, as Django's does), and outside a
transaction (the session middleware writes after the view, in autocommit) each write
is one statement, its own transaction. Inside a caller's transaction the savepoint
stays, so that a failed write does not break the caller's work. What is left: a new
session is one INSERT (a login: 4 statements fewer), a changed one one UPDATE (2 fewer).

`chorus_portal.session_stores.db` and `.cached_db` are the engines (SESSION_ENGINE).
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DjangoDBStore
from django.db import DatabaseError, IntegrityError, connections, router, transaction
from django.utils.crypto import get_random_string


class LeanWrites(DjangoDBStore):
    def create(self):
        while True:
            # 32 random characters; a taken one fails the insert (the primary key),
            # and another is drawn: no SELECT to ask first.
            self._session_key = get_random_string(32, VALID_KEY_CHARS)
            try:
                self.save(must_create=True)
            except CreateError:
                continue
            self.modified = True
            return

    def save(self, must_create=False):
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)
        obj = self.create_model_instance(data)
        using = router.db_for_write(self.model, instance=obj)
        try:
            if connections[using].in_atomic_block:
                # Inside the caller's transaction: a savepoint, so that a taken key or a
                # session deleted meanwhile does not break the caller's work.
                with transaction.atomic(using=using):
                    obj.save(force_insert=must_create, force_update=not must_create, using=using)
            else:
                # Autocommit: the statement is its own transaction.
                obj.save(force_insert=must_create, force_update=not must_create, using=using)
        except IntegrityError:
            if must_create:
                raise CreateError from None
            raise
        except DatabaseError:
            if not must_create:
                raise UpdateError from None
            raise
