"""Chorus Pro's size: the data generator, the login's index lookups and single password
check, Argon2's parameters and their upgrade, sessions written once a minute, and the
production defaults (persistent connections, Redis sessions, cached templates)."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import Argon2PasswordHasher, MD5PasswordHasher, make_password
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models import Max
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.hashers import PortalArgon2PasswordHasher
from accounts.models import User
from activity.models import ActivityLog
from affiliations.models import Affiliation, Request, Service, Structure
from authorizations.models import Authorization
from chorus_portal import datagen
from mfa.models import EmailDevice
from tests.conftest import PASSWORD, full_login, make_user, password_login
from tests.test_settings_and_headers import production_env, run_manage
from tests.test_two_nodes import _redis_answers

pytestmark = pytest.mark.django_db

TINY = datagen.Size(
    users=60, structures=40, services=60, requests=30, log=50, many=12, big_services=25
)


# --- The data generator --------------------------------------------------------------------


def test_generated_rows_pass_validation_and_reference_what_exists():
    counts = datagen.generate(TINY, seed=7, log=lambda message: None)
    assert counts["accounts.User"] == 60
    assert counts["affiliations.Structure"] == 40 + 12 + 2
    for model in (Structure, Service, Affiliation, Authorization, Request, EmailAddress):
        for row in model.objects.all():
            row.full_clean()
    for user in User.objects.all():
        user.full_clean()
    assert ActivityLog.objects.count() == 50
    # Every reference points at a row (PostgreSQL loads without foreign-key triggers).
    references = [
        (Service, "structure", Structure),
        (Affiliation, "user", User),
        (Affiliation, "structure", Structure),
        (Authorization, "user", User),
        (Authorization, "structure", Structure),
        (Request, "requester", User),
        (Request, "structure", Structure),
        (Request, "decided_by", User),
        (EmailAddress, "user", User),
        (EmailDevice, "user", User),
        (ActivityLog, "subject", User),
    ]
    for model, field, target in references:
        orphans = model.objects.filter(**{f"{field}__isnull": False}).exclude(
            **{f"{field}__in": target.objects.values("pk")}
        )
        assert not orphans.exists(), (model, field)
    # The sequences were moved past the generated ids.
    top = User.objects.aggregate(top=Max("pk"))["top"]
    assert make_user("after@example.fr").pk > top


def test_the_personas_have_their_rows_and_sign_in(client, mailoutbox):
    datagen.generate(TINY, seed=7, log=lambda message: None)
    rows = User.objects.get(email=datagen.persona_email("rows1000"))
    assert Affiliation.objects.filter(user=rows).count() == TINY.many
    assert Request.objects.filter(requester=rows).count() == TINY.many
    assert Authorization.objects.filter(user=rows).count() == 2 * TINY.many
    many = User.objects.get(email=datagen.persona_email("managermany"))
    assert Affiliation.objects.filter(user=many, role="main_manager").count() == TINY.many
    big = Affiliation.objects.get(
        user__email=datagen.persona_email("manager1000"), role="main_manager"
    ).structure
    assert big.services.count() == TINY.big_services
    assert big.requests.filter(status="pending").count() == TINY.many
    full_login(client, mailoutbox, datagen.persona_email("rows10"), datagen.PASSWORD)
    assert client.get(reverse("affiliations:affiliation-list")).status_code == 200


def test_the_same_seed_gives_the_same_rows():
    plan = datagen.make_plan(TINY)
    first = list(datagen._structure_rows(plan, 3))
    again = list(datagen._structure_rows(plan, 3))
    other = list(datagen._structure_rows(plan, 4))
    assert first == again
    assert [row[2] for row in first] != [row[2] for row in other]  # identifiers differ
    assert len({row[2] for row in first}) == len(first)


def test_demo_data_validates_its_own_rows_only():
    from django.core.management import call_command

    datagen.generate(TINY, seed=7, log=lambda message: None)
    with mock.patch.object(Structure, "full_clean") as full_clean:
        call_command("demo_data", verbosity=0)
    # The three demo structures, not the 54 others of the table.
    assert full_clean.call_count == 3
    assert Structure.objects.count() == 54 + 3


# --- Login: index lookups, one password check ------------------------------------------------


def _explain(sql: str, params=None, *, in_order: bool = False) -> str:
    """The plan of `sql`. With `in_order`, sorting is discouraged too: the plan then says
    whether an index gives the rows in the list's order (a list of a million rows must
    read its first page from such an index and stop), whatever the statistics a small
    test table happens to have."""
    with connection.cursor() as cursor:
        # Without sequential scans allowed, PostgreSQL still scans when no index can
        # serve the query: a small test table then tells the same as a big one.
        cursor.execute("SET LOCAL enable_seqscan = off")
        if in_order:
            cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_sort")
    return plan


LOOKUP_TABLES = ('"accounts_user"', '"account_emailaddress"')


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="reads PostgreSQL's query plans (EXPLAIN)"
)
def test_every_login_lookup_uses_an_index(client, alice, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": False}
    with CaptureQueriesContext(connection) as captured:
        client.post(reverse("account_login"), {"login": alice.email, "password": "wrong-1-Aa!"})
        client.post(reverse("account_login"), {"login": "nobody@example.fr", "password": "x"})
        password_login(Client(), alice.email.upper())
        client.post(reverse("account_reset_password"), {"email": alice.email})
    lookups = [
        query["sql"]
        for query in captured
        if query["sql"].lstrip().upper().startswith("SELECT")
        and any(table in query["sql"] for table in LOOKUP_TABLES)
        and "WHERE" in query["sql"]
    ]
    assert len(lookups) >= 4
    for sql in lookups:
        plan = _explain(sql)
        for table in ("accounts_user", "account_emailaddress"):
            assert f"Seq Scan on {table}" not in plan, (sql, plan)
    # The guard sees a scan when there is one: the old case-insensitive lookup.
    old_sql, params = User.objects.filter(email__iexact=alice.email).query.sql_with_params()
    assert "Seq Scan on accounts_user" in _explain(old_sql, params)


def test_a_wrong_password_is_checked_once(client, alice):
    verify = MD5PasswordHasher.verify
    with mock.patch.object(MD5PasswordHasher, "verify", autospec=True, side_effect=verify) as spy:
        response = client.post(
            reverse("account_login"), {"login": alice.email, "password": "wrong-1-Aa!"}
        )
    assert response.status_code == 200
    assert spy.call_count == 1


def test_an_inactive_account_still_gets_its_page(client, alice):
    User.objects.filter(pk=alice.pk).update(is_active=False)
    response = client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("account_inactive")


# --- Argon2 -----------------------------------------------------------------------------------


def test_argon2_parameters_are_at_least_owasps_minimum():
    from chorus_portal import settings as production  # the tests hash with MD5

    assert production.PASSWORD_HASHERS[0] == "accounts.hashers.PortalArgon2PasswordHasher"
    hasher = PortalArgon2PasswordHasher()
    # OWASP: m=19 MiB/t=2, m=12 MiB/t=3, m=9 MiB/t=4 or m=7 MiB/t=5, p=1 (Argon2id).
    minimum_memory = {1: 46 * 1024, 2: 19 * 1024, 3: 12 * 1024, 4: 9 * 1024, 5: 7 * 1024}
    assert hasher.memory_cost >= minimum_memory[min(hasher.time_cost, 5)]
    assert hasher.parallelism == 1
    encoded = hasher.encode("Correct-Horse-42!battery", hasher.salt())
    assert encoded.startswith("argon2$argon2id$v=19$m=12288,t=3,p=1$")


def test_old_argon2_hashes_are_upgraded_at_the_next_login(client, alice, settings):
    settings.PASSWORD_HASHERS = [
        "accounts.hashers.PortalArgon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    old = make_password(PASSWORD, hasher=Argon2PasswordHasher())
    assert "$m=102400,t=2,p=8$" in old
    User.objects.filter(pk=alice.pk).update(password=old)
    password_login(client, alice.email)
    alice.refresh_from_db()
    assert alice.password.startswith("argon2$argon2id$v=19$m=12288,t=3,p=1$")
    assert alice.check_password(PASSWORD)


# --- Sessions ---------------------------------------------------------------------------------


def _session_writes(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured
        if "django_session" in q["sql"]
        and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    ]


def test_the_session_is_written_at_most_once_a_minute(client, alice, mailoutbox):
    start = timezone.now()
    url = reverse("accounts:account")
    with time_machine.travel(start, tick=False) as traveller:
        full_login(client, mailoutbox, alice.email)
        key = client.cookies["sessionid"].value
        for seconds in (5, 30, 59):
            traveller.move_to(start + timedelta(seconds=seconds))
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            assert _session_writes(captured) == []
        traveller.move_to(start + timedelta(seconds=61))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        assert len(_session_writes(captured)) == 1
        expiry = Session.objects.get(session_key=key).expire_date
        assert expiry == start + timedelta(seconds=61) + timedelta(hours=1)


def test_an_ended_session_is_gone_from_the_cache_too(alice, mailoutbox, settings):
    from accounts.models import UserSession

    # As with REDIS_URL: sessions read from the cache, written through to the database.
    settings.SESSION_ENGINE = "chorus_portal.session_stores.cached_db"
    laptop, phone = Client(), Client()
    full_login(laptop, mailoutbox, alice.email)
    full_login(phone, mailoutbox, alice.email)
    assert phone.get(reverse("accounts:account")).status_code == 200  # now in the cache
    other = UserSession.objects.get(session_id=phone.cookies["sessionid"].value)
    assert laptop.post(reverse("accounts:session-end", args=[other.pk])).status_code == 302
    response = phone.get(reverse("accounts:account"))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    assert laptop.get(reverse("accounts:account")).status_code == 200


# --- Production defaults ----------------------------------------------------------------------


def test_expired_sessions_are_cleared_daily_by_the_schedule():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    scheduled = [line for line in readme.splitlines() if "manage.py clearsessions" in line]
    assert scheduled and scheduled[0].startswith("| daily |")


def test_connections_persist_with_health_checks(settings):
    database = settings.DATABASES["default"]
    assert database["CONN_MAX_AGE"] == 600
    assert database["CONN_HEALTH_CHECKS"] is True


def test_redis_holds_cache_and_sessions_when_configured():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_ENGINE, s.CACHES['default']['BACKEND'],"
        " s.DATABASES['default']['CONN_HEALTH_CHECKS'])"
    )
    result = run_manage(
        "shell",
        "--verbosity",
        "0",
        "-c",
        code,
        **production_env(REDIS_URL="redis://127.0.0.1:6379/5"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "chorus_portal.session_stores.cached_db",
        "chorus_portal.redis_cache.PortalRedisCache",
        "True",
    ]


@pytest.mark.skipif(not _redis_answers(), reason="no Redis answers on 127.0.0.1:6379")
def test_the_redis_cache_keeps_one_client_and_works_from_threads():
    """One redis.Redis per pool instead of one per call (chorus_portal.redis_cache)."""
    from concurrent.futures import ThreadPoolExecutor

    from chorus_portal.redis_cache import PortalRedisCache

    cache = PortalRedisCache("redis://127.0.0.1:6379/12", {"KEY_PREFIX": "client-test"})
    cache.clear()
    client = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is client
    assert cache.add("a", 1) and not cache.add("a", 2)
    cache.set_many({"b": 2, "c": 3})

    def round_trip(n: int) -> int:
        cache.set(f"t{n}", n)
        return cache.get(f"t{n}")

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(round_trip, range(64))) == list(range(64))
    assert cache.get_many(["a", "b", "c", "missing"]) == {"a": 1, "b": 2, "c": 3}
    cache.delete_many(["a", "b"])
    assert cache.get_many(["a", "b", "c"]) == {"c": 3}
    assert cache._cache.get_client() is client
    cache.clear()


def test_templates_are_compiled_once_per_process():
    from django.template import engines

    loaders = engines["django"].engine.loaders
    assert loaders[0][0] == "django.template.loaders.cached.Loader"


# --- Page speed ----------------------------------------------------------------------------------


def test_the_account_windows_are_drawn_once_per_language_and_values(signed_in, alice):
    from django.core.cache import caches
    from django.template.loader import render_to_string

    caches["fragments"].clear()
    client = signed_in(alice)
    url = reverse("accounts:account")
    with mock.patch("accounts.views.render_to_string", wraps=render_to_string) as drawn:
        first = client.get(url).content.decode()
        assert drawn.call_count == 6  # five windows of fields and the notifications
        assert client.get(url).content.decode().count('value="Martin"') == 1
        assert drawn.call_count == 6  # none drawn again
        assert 'value="Martin"' in first
        # A saved value: only its window is drawn again, with the new value.
        client.post(reverse("accounts:account-edit", args=["last-name"]), {"last_name": "Durand"})
        changed = client.get(url).content.decode()
        assert drawn.call_count == 7
        assert 'value="Durand"' in changed and 'value="Martin"' not in changed
        # Another language: every window drawn in it.
        User.objects.filter(pk=alice.pk).update(language="en")
        english = client.get(url).content.decode()
        assert drawn.call_count == 13
        assert 'for="id_last_name">Last name <span' in english
        assert 'for="id_last_name">Nom <span' in changed
