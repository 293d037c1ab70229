"""Generated data at Chorus Pro's size, for benchmarks and capacity checks.

`generate(size, seed)` fills an empty (migrated) database with users, structures,
services, affiliations, profiles, requests and activity-log rows, plus a few
"personas" whose pages the benchmark measures at 10 and at 1,000 rows. Rows are
written with PostgreSQL's COPY (about a minute per million rows on a small machine), or
with batched INSERTs on other databases (the small size, for SQLite).

Everything but the dates comes from the seed: the same seed gives the same names,
identifiers and relations. Dates run up to the day of generation.

Models are never instantiated nor validated row by row: the rows are built as
tuples, and every column the generator does not set gets the field's default, so
a field added later does not break it. A test checks that the generated rows pass
the models' validation (`full_clean`) and that the login works for every persona.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction

from . import names

PASSWORD = "Chorus-Bench-2026!"
PERSONA_DOMAIN = "bench.chorus-pro.local"


@dataclass(frozen=True)
class Size:
    users: int
    structures: int
    services: int
    requests: int
    log: int
    # The personas' long lists (1,000 rows) and their big structure's services.
    many: int = 1000
    big_services: int = 5000


# Affiliations are one per user (1.1 M) and profiles two per affiliation (2.2 M).
SIZES = {
    "big": Size(
        users=1_100_000, structures=1_000_000, services=100_000, requests=200_000, log=2_000_000
    ),
    "medium": Size(
        users=110_000, structures=100_000, services=10_000, requests=20_000, log=200_000
    ),
    "small": Size(users=1_100, structures=1_000, services=100, requests=200, log=2_000),
}

# The personas whose pages are measured. Their structures come on top of the size.
PERSONAS = {
    "staff": "staff",
    "rows10": "10 affiliations, 10 requests, 20 profiles",
    "rows1000": "1,000 affiliations, 1,000 requests, 2,000 profiles",
    "manager10": "main manager of a structure with 10 members and 10 pending requests",
    "manager1000": "main manager of a structure with 5,000 services, 1,000 members and "
    "1,000 pending requests",
    "managermany": "main manager of 1,000 structures",
}


def persona_email(key: str) -> str:
    return f"{key}@{PERSONA_DOMAIN}"


# --- Writing rows ------------------------------------------------------------------------


class RowWriter:
    """COPY on PostgreSQL, batched INSERTs elsewhere; fills unset columns with defaults."""

    def __init__(self, batch: int = 2000):
        self.batch = batch
        self.now = datetime.now(UTC)
        self.counts: dict[str, int] = {}

    def _columns(self, model, given: list[str]):
        fields = {f.attname: f for f in model._meta.concrete_fields}
        missing = [f for name, f in fields.items() if name not in given]
        constants = []
        for field in missing:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = self.now
            else:
                # The default, or "" for a text field without one, or None.
                value = field.get_default()
                if value is None and not field.null:
                    raise ValueError(f"{model.__name__}.{field.name} needs a value")
            constants.append(value)
        return [fields[name] for name in given], missing, constants

    def write(self, model, given: list[str], rows: Iterable[tuple]) -> int:
        given_fields, missing, constants = self._columns(model, given)
        all_fields = given_fields + missing
        table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in all_fields)
        if connection.vendor == "postgresql":
            with _indexes_set_aside(model._meta.db_table):
                count = self._copy(table, columns, given_fields, missing, constants, rows)
        else:
            count = self._insert(table, columns, all_fields, constants, rows)
        self.counts[model._meta.label] = self.counts.get(model._meta.label, 0) + count
        return count

    def _copy(self, table, columns, given_fields, missing, constants, rows) -> int:
        def pg(field, value):
            if isinstance(field, models.JSONField):
                return None if value is None else json.dumps(value)
            return value

        tail = tuple(pg(f, v) for f, v in zip(missing, constants, strict=True))
        json_at = [i for i, f in enumerate(given_fields) if isinstance(f, models.JSONField)]
        count = 0
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                write = copy.write_row
                for row in rows:
                    if json_at:
                        row = list(row)
                        for i in json_at:
                            row[i] = json.dumps(row[i])
                    write((*row, *tail))
                    count += 1
        return count

    def _insert(self, table, columns, all_fields, constants, rows) -> int:
        placeholders = ", ".join(["%s"] * len(all_fields))
        # Table and column names come from the models, quoted; values are parameters.
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
        preps = [(lambda v, f=f: f.get_db_prep_save(v, connection=connection)) for f in all_fields]
        count = 0
        batch: list[list] = []
        with connection.cursor() as cursor:
            for row in rows:
                values = (*row, *constants)
                batch.append([prep(v) for prep, v in zip(preps, values, strict=True)])
                if len(batch) >= self.batch:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch.clear()
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
        return count


@contextmanager
def _indexes_set_aside(table: str):
    """Drop the table's secondary indexes for the load and build them again after:
    building an index once is far quicker than updating it a million times. Indexes
    that back a constraint (primary key, unique) stay."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename = %s
              AND NOT EXISTS (
                SELECT 1 FROM pg_constraint c
                WHERE c.conindid = (quote_ident(i.schemaname) || '.' ||
                                    quote_ident(i.indexname))::regclass
              )
            """,
            [table],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)


@contextmanager
def _load_mode():
    """PostgreSQL: no foreign-key triggers while loading (the generator builds every
    reference itself, and a test checks them), and no wait for the disk at commit.
    Needs a superuser; without one the load is slower but the same."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        try:
            with transaction.atomic():
                cursor.execute("SET session_replication_role = replica")
        except DatabaseError:
            pass
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET session_replication_role")
            cursor.execute("RESET synchronous_commit")


# --- Identifiers and names -------------------------------------------------------------


def _key(prefix: str) -> str:
    """The digit that makes prefix + digit pass the Luhn check."""
    from affiliations.identifiers import luhn_valid

    for digit in "0123456789":
        if luhn_valid(prefix + digit):
            return digit
    raise AssertionError("unreachable")


class Identifiers:
    """Distinct, valid identifiers: SIREN from a bijection of the index (8 digits + key)."""

    def __init__(self, rng: random.Random):
        self.multiplier = rng.choice([48271, 69621, 16807, 39373])  # odd, not a multiple of 5
        self.offset = rng.randrange(10**8)

    def siret(self, index: int, rng: random.Random) -> str:
        base = f"{(index * self.multiplier + self.offset) % 10**8:08d}"
        if base.startswith("356000"):
            base = "9" + base[1:]  # keep clear of La Poste's SIREN and its own key rule
        siren = base + _key(base)
        nic = f"{rng.randrange(1, 100):04d}"
        return siren + nic + _key(siren + nic)

    def other(self, index: int, kind: str) -> str:
        if kind == "UE_HORS_FRANCE":
            return f"{['DE', 'BE', 'IT', 'ES', 'NL', 'LU'][index % 6]}{index:011d}"
        if kind == "HORS_UE":
            return f"CHE-{index // 10**6:03d}.{index // 1000 % 1000:03d}.{index % 1000:03d}"
        if kind == "RIDET":
            return f"{index % 10**7:07d}.{index // 10**7 % 1000:03d}"
        return f"T{index % 10**5:05d}{index // 10**5 % 1000:03d}"  # TAHITI


def _fold_ascii(text: str) -> str:
    from affiliations.search import fold

    return "".join(c if c.isalnum() else "-" for c in fold(text)).strip("-")


def _company(rng: random.Random) -> tuple[str, bool]:
    city, _ = rng.choice(names.COMMUNES)
    words = {
        "last": rng.choice(names.LAST_NAMES),
        "last2": rng.choice(names.LAST_NAMES),
        "trade": rng.choice(names.TRADES),
        "region": rng.choice(names.REGIONS),
        "city": city,
    }
    if rng.random() < 0.1:
        return rng.choice(names.PUBLIC_SHAPES).format(**words), True
    name = rng.choice(names.COMPANY_SHAPES).format(**words)
    form = rng.choice(names.LEGAL_FORMS)
    return (f"{name} {form}" if form else name), False


def _address(rng: random.Random) -> tuple[str, str, str]:
    city, postal = rng.choice(names.COMMUNES)
    street = (
        f"{rng.randrange(1, 200)} {rng.choice(names.STREET_KINDS)} {rng.choice(names.STREET_NAMES)}"
    )
    return street, postal, city


# --- The plan ------------------------------------------------------------------------------


@dataclass
class Plan:
    """Ids of everything, decided before any row is written."""

    size: Size
    user0: int
    structure0: int
    service0: int
    affiliation0: int
    users: int  # generated users (personas come after them)
    structures: int
    managed: int  # structures 1..managed get generated user i as main manager
    with_services: int  # public structures 1..with_services (of the managed) have services
    services_each: int

    def user_id(self, index: int) -> int:  # index from 0
        return self.user0 + 1 + index

    def structure_id(self, index: int) -> int:
        return self.structure0 + 1 + index

    @property
    def persona0(self) -> int:
        return self.user0 + self.users

    def persona_id(self, key: str) -> int:
        return self.persona0 + 1 + list(PERSONAS).index(key)

    @property
    def extra0(self) -> int:
        """Just before the personas' structures: `many` for managermany, then two."""
        return self.structure0 + self.structures

    @property
    def many_ids(self) -> range:
        return range(self.extra0 + 1, self.extra0 + self.size.many + 1)

    @property
    def m10_id(self) -> int:
        return self.extra0 + self.size.many + 1

    @property
    def m1000_id(self) -> int:
        return self.extra0 + self.size.many + 2


def _max_id(model) -> int:
    return model.objects.aggregate(top=models.Max("pk"))["top"] or 0


def make_plan(size: Size) -> Plan:
    from accounts.models import User
    from affiliations.models import Affiliation, Service, Structure

    personas = len(PERSONAS)
    users = max(size.users - personas, 10)
    structures = size.structures
    managed = min(int(structures * 0.9), users)
    generated_services = max(size.services - size.big_services - 20, 0)
    services_each = 10
    with_services = min(generated_services // services_each, managed)
    return Plan(
        size=size,
        user0=_max_id(User),
        structure0=_max_id(Structure),
        service0=_max_id(Service),
        affiliation0=_max_id(Affiliation),
        users=users,
        structures=structures,
        managed=managed,
        with_services=with_services,
        services_each=services_each,
    )


# --- Generation ------------------------------------------------------------------------------


def _rng(seed: int, table: str) -> random.Random:
    # One stream per table: changing one table's rows does not shift the others.
    return random.Random(f"{seed}:{table}")


def _spread(rng: random.Random, end: datetime, days: int) -> datetime:
    return end - timedelta(seconds=rng.randrange(days * 86400))


def generate(
    size: Size, seed: int = 13, *, log: Callable[[str], None] = print, password_hash: str = ""
) -> dict[str, int]:
    from django.contrib.auth.hashers import make_password

    plan = make_plan(size)
    writer = RowWriter()
    end = writer.now.replace(hour=0, minute=0, second=0, microsecond=0)
    password_hash = password_hash or make_password(PASSWORD)
    steps = [
        ("structures", lambda: _structures(plan, seed, writer)),
        ("services", lambda: _services(plan, seed, writer)),
        ("users", lambda: _users(plan, seed, writer, end, password_hash)),
        ("affiliations and profiles", lambda: _affiliations(plan, seed, writer, end)),
        ("requests", lambda: _requests(plan, seed, writer, end)),
        ("activity log", lambda: _log(plan, seed, writer, end)),
    ]
    with _load_mode():
        for label, step in steps:
            started = time.perf_counter()
            with transaction.atomic():
                step()
            log(f"{label}: {time.perf_counter() - started:.1f} s")
    _reset_sequences()
    if connection.vendor == "postgresql":
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        log(f"analyze: {time.perf_counter() - started:.1f} s")
    return writer.counts


def _reset_sequences() -> None:
    from django.apps import apps

    statements = connection.ops.sequence_reset_sql(no_style(), apps.get_models())
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _structure_rows(plan: Plan, seed: int) -> Iterator[tuple]:
    from affiliations.models import structure_search_text

    rng = _rng(seed, "structures")
    ids = Identifiers(rng)
    kinds = ["UE_HORS_FRANCE", "HORS_UE", "RIDET", "TAHITI"]
    for index in range(plan.structures):
        sid = plan.structure_id(index)
        name, public = _company(rng)
        # Structures with services are public administrations.
        if index < plan.with_services:
            name = rng.choice(names.PUBLIC_SHAPES).format(
                city=rng.choice(names.COMMUNES)[0],
                last=rng.choice(names.LAST_NAMES),
                region=rng.choice(names.REGIONS),
            )
            public = True
        if rng.random() < 0.97:
            id_type, identifier = "SIRET", ids.siret(sid, rng)
        else:
            id_type = kinds[index % 4]
            identifier = ids.other(sid, id_type)
        street, postal, city = _address(rng)
        yield (
            sid,
            id_type,
            identifier,
            name,
            "public" if public else "private",
            "active" if rng.random() < 0.98 else "inactive",
            street,
            postal,
            city,
            public and rng.random() < 0.5,
            structure_search_text(identifier, name),
        )
    # The personas' structures.
    for number, sid in enumerate(plan.many_ids, start=1):
        identifier = ids.siret(sid, rng)
        name = f"{rng.choice(names.TRADES)} {rng.choice(names.LAST_NAMES)} {number} SAS"
        yield (
            sid,
            "SIRET",
            identifier,
            name,
            "private",
            "active",
            "1 rue de la Paix",
            "75002",
            "Paris",
            False,
            structure_search_text(identifier, name),
        )
    for sid, name in (
        (plan.m10_id, "Ateliers du Banc d'Essai SARL"),
        (plan.m1000_id, "Ministère des Mesures et de la Charge"),
    ):
        identifier = ids.siret(sid, rng)
        public = sid == plan.m1000_id
        yield (
            sid,
            "SIRET",
            identifier,
            name,
            "public" if public else "private",
            "active",
            "110 rue de Bercy",
            "75012",
            "Paris",
            public,
            structure_search_text(identifier, name),
        )


def _structures(plan: Plan, seed: int, writer: RowWriter) -> None:
    from affiliations.models import Structure

    writer.write(
        Structure,
        [
            "id",
            "identifier_type",
            "identifier",
            "company_name",
            "kind",
            "status",
            "street",
            "postal_code",
            "city",
            "service_code_required",
            "search_text",
        ],
        _structure_rows(plan, seed),
    )


def _service_rows(plan: Plan, seed: int) -> Iterator[tuple]:
    from affiliations.models import service_search_text

    rng = _rng(seed, "services")
    sid = plan.service0
    for index in range(plan.with_services):
        structure = plan.structure_id(index)
        for number in range(1, plan.services_each + 1):
            sid += 1
            name = names.SERVICE_NAMES[(index + number) % len(names.SERVICE_NAMES)]
            code = f"SE{number:03d}"
            yield (
                sid,
                structure,
                code,
                name,
                f"Service {name.lower()}",
                rng.random() < 0.97,
                service_search_text(code, name),
            )
    for structure, count in ((plan.m10_id, 20), (plan.m1000_id, plan.size.big_services)):
        for number in range(1, count + 1):
            sid += 1
            name = f"{names.SERVICE_NAMES[number % len(names.SERVICE_NAMES)]} {number}"
            code = f"S{number:05d}"
            yield (sid, structure, code, name, "", True, service_search_text(code, name))


def _services(plan: Plan, seed: int, writer: RowWriter) -> None:
    from affiliations.models import Service

    writer.write(
        Service,
        ["id", "structure_id", "code", "name", "description", "active", "search_text"],
        _service_rows(plan, seed),
    )


def _people(plan: Plan, seed: int, end: datetime) -> Iterator[tuple]:
    """(id, email, first, last, phone, street, postal, city, joined, active, staff)."""
    rng = _rng(seed, "users")
    for index in range(plan.users):
        uid = plan.user_id(index)
        first = rng.choice(names.FIRST_NAMES)
        last = rng.choice(names.LAST_NAMES)
        email = f"{_fold_ascii(first)}.{_fold_ascii(last)}.{uid}@{rng.choice(names.MAIL_DOMAINS)}"
        street, postal, city = _address(rng)
        phone = f"+33{rng.choice('1234569')}{rng.randrange(10**8):08d}"
        yield (
            uid,
            email,
            first,
            last,
            phone,
            street,
            postal,
            city,
            _spread(rng, end, 3000),
            rng.random() < 0.99,
            False,
        )
    for key in PERSONAS:
        first, last = key.capitalize(), "Banc"
        yield (
            plan.persona_id(key),
            persona_email(key),
            first,
            last,
            "+33100000000",
            "1 rue de la Paix",
            "75002",
            "Paris",
            end - timedelta(days=400),
            True,
            key == "staff",
        )


def _users(plan: Plan, seed: int, writer: RowWriter, end: datetime, password_hash: str) -> None:
    from allauth.account.models import EmailAddress

    from accounts.models import User
    from mfa.models import EmailDevice

    writer.write(
        User,
        [
            "id",
            "password",
            "email",
            "first_name",
            "last_name",
            "phone",
            "street",
            "postal_code",
            "city",
            "date_joined",
            "is_active",
            "is_staff",
            "is_superuser",
        ],
        ((p[0], password_hash, *p[1:], p[10]) for p in _people(plan, seed, end)),
    )
    email0, device0 = _max_id(EmailAddress), _max_id(EmailDevice)
    writer.write(
        EmailAddress,
        ["id", "user_id", "email", "verified", "primary"],
        ((email0 + n, p[0], p[1], True, True) for n, p in enumerate(_people(plan, seed, end), 1)),
    )
    writer.write(
        EmailDevice,
        ["id", "user_id", "name", "confirmed"],
        ((device0 + n, p[0], "email", True) for n, p in enumerate(_people(plan, seed, end), 1)),
    )


def _affiliation_rows(plan: Plan, seed: int, end: datetime) -> Iterator[tuple]:
    """(id, user, structure, whole, role, status, created) — and service scopes aside."""
    rng = _rng(seed, "affiliations")
    aid = plan.affiliation0
    for index in range(plan.managed):
        aid += 1
        yield (
            aid,
            plan.user_id(index),
            plan.structure_id(index),
            True,
            "main_manager",
            "active",
            _spread(rng, end, 2500),
        )
    # Every other generated user works in one structure: most in those with services.
    for index in range(plan.managed, plan.users):
        aid += 1
        if plan.with_services and rng.random() < 0.8:
            structure = plan.structure_id(rng.randrange(plan.with_services))
        else:
            structure = plan.structure_id(rng.randrange(plan.structures))
        status = "active" if rng.random() < 0.95 else rng.choice(["deleted", "deactivated"])
        yield (aid, plan.user_id(index), structure, True, "user", status, _spread(rng, end, 2500))
    # Personas.
    many = list(plan.many_ids)
    for sid in many:
        aid += 1
        yield (
            aid,
            plan.persona_id("managermany"),
            sid,
            True,
            "main_manager",
            "active",
            end - timedelta(days=300),
        )
    for key, count in (("rows10", 10), ("rows1000", plan.size.many)):
        for sid in many[:count]:
            aid += 1
            yield (
                aid,
                plan.persona_id(key),
                sid,
                True,
                "user",
                "active",
                end - timedelta(days=200),
            )
    for key, sid, members in (
        ("manager10", plan.m10_id, 10),
        ("manager1000", plan.m1000_id, plan.size.many),
    ):
        aid += 1
        yield (
            aid,
            plan.persona_id(key),
            sid,
            True,
            "main_manager",
            "active",
            end - timedelta(days=300),
        )
        # Members: generated users without a structure of their own (beyond `managed`).
        pool = range(plan.managed, plan.users)
        for index in rng.sample(pool, min(members, len(pool))):
            aid += 1
            yield (aid, plan.user_id(index), sid, True, "user", "active", end - timedelta(days=100))


def _affiliations(plan: Plan, seed: int, writer: RowWriter, end: datetime) -> None:
    from affiliations.models import Affiliation
    from authorizations.models import Authorization

    writer.write(
        Affiliation,
        [
            "id",
            "user_id",
            "structure_id",
            "whole_structure",
            "role",
            "status",
            "created_at",
            "updated_at",
        ],
        ((*row, row[-1]) for row in _affiliation_rows(plan, seed, end)),
    )
    # Two profiles per affiliation, as a new affiliation receives them.
    profile0 = _max_id(Authorization)

    def profiles():
        number = profile0
        for row in _affiliation_rows(plan, seed, end):
            if row[5] == "deleted":
                continue
            for application in ("issued_requests", "received_requests"):
                number += 1
                yield (number, row[1], row[2], application, "modification", row[6], row[6])

    writer.write(
        Authorization,
        ["id", "user_id", "structure_id", "application", "level", "created_at", "updated_at"],
        profiles(),
    )


def _requests(plan: Plan, seed: int, writer: RowWriter, end: datetime) -> None:
    from affiliations.models import Request
    from authorizations.models import AuthorizationRequestLine

    rng = _rng(seed, "requests")
    request0 = _max_id(Request)
    rows: list[tuple] = []
    lines: list[tuple] = []
    statuses = ["approved"] * 65 + ["refused"] * 15 + ["pending"] * 10 + ["cancelled"] * 5
    statuses += ["expired"] * 5

    def add(requester, structure, status, manager, created):
        rid = request0 + len(rows) + 1
        kind = "authorization" if rng.random() < 0.15 else "affiliation"
        decided = status in ("approved", "refused")
        rows.append(
            (
                rid,
                kind,
                requester,
                structure,
                True,
                "Merci de valider mon rattachement.",
                f"gen{rid}",
                status,
                created,
                manager if decided else None,
                created + timedelta(days=rng.randrange(1, 10)) if decided else None,
                "Vous ne travaillez pas dans cette structure." if status == "refused" else "",
            )
        )
        if kind == "authorization":
            lines.append((rid, "commitments", "consultation"))

    for _ in range(plan.size.requests):
        index = rng.randrange(plan.managed)
        status = rng.choice(statuses)
        created = _spread(rng, end, 80 if status == "pending" else 700)
        add(
            plan.user_id(rng.randrange(plan.users)),
            plan.structure_id(index),
            status,
            plan.user_id(index),
            created,
        )
    many = list(plan.many_ids)
    for key, count in (("rows10", 10), ("rows1000", plan.size.many)):
        for number, sid in enumerate(many[:count]):
            status = statuses[(number * 7) % len(statuses)]
            add(
                plan.persona_id(key),
                sid,
                status,
                plan.persona_id("managermany"),
                end - timedelta(days=1 + number % 80),
            )
    for key, sid, count in (
        ("manager10", plan.m10_id, 10),
        ("manager1000", plan.m1000_id, plan.size.many),
    ):
        for _ in range(count):
            add(
                plan.user_id(rng.randrange(plan.users)),
                sid,
                "pending",
                plan.persona_id(key),
                end - timedelta(days=rng.randrange(1, 80)),
            )
    writer.write(
        Request,
        [
            "id",
            "kind",
            "requester_id",
            "structure_id",
            "whole_structure",
            "comment",
            "fingerprint",
            "status",
            "created_at",
            "decided_by_id",
            "decided_at",
            "refusal_reason",
        ],
        rows,
    )
    line0 = _max_id(AuthorizationRequestLine)
    writer.write(
        AuthorizationRequestLine,
        ["id", "request_id", "application", "level"],
        ((line0 + n, *line) for n, line in enumerate(lines, 1)),
    )


LOG_ACTIONS = (
    ["login.succeeded"] * 30
    + ["factor.code_sent"] * 25
    + ["factor.succeeded"] * 25
    + ["login.failed"] * 6
    + ["logout"] * 5
    + ["account.updated"] * 3
    + ["request.submitted"] * 3
    + ["request.approved"] * 2
    + ["profile.granted"]
)


def _log(plan: Plan, seed: int, writer: RowWriter, end: datetime) -> None:
    from activity.models import ActivityLog

    rng = _rng(seed, "log")
    log0 = _max_id(ActivityLog)
    total = plan.size.log
    span = 700 * 86400
    start = end - timedelta(seconds=span)

    def rows():
        for number in range(1, total + 1):
            # Ids grow with time, as they do in production.
            created = start + timedelta(seconds=span * number / (total + 1))
            user = plan.user_id(rng.randrange(plan.users))
            action = rng.choice(LOG_ACTIONS)
            structure = None
            if action.startswith(("request", "profile")):
                structure = plan.structure_id(rng.randrange(plan.structures))
            ip = (
                f"{rng.choice([10, 172, 192])}.{rng.randrange(256)}.{rng.randrange(256)}."
                f"{rng.randrange(1, 255)}"
            )
            yield (log0 + number, created, user, user, structure, action, ip, {})

    writer.write(
        ActivityLog,
        ["id", "created_at", "actor_id", "subject_id", "structure_id", "action", "ip", "detail"],
        rows(),
    )
