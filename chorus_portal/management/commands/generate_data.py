"""Fill a scratch database with Chorus Pro's real size (or a small one), for benchmarks."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from chorus_portal import datagen


class Command(BaseCommand):
    help = (
        "Generate users, structures, services, affiliations, profiles, requests and log rows "
        "(COPY on PostgreSQL). Sizes: big (1.1 M users, 1 M structures), medium (a tenth), "
        "small (a thousandth, for SQLite). Meant for a throw-away database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(datagen.SIZES), default="small")
        parser.add_argument("--seed", type=int, default=13)
        parser.add_argument(
            "--force",
            action="store_true",
            help="Add the rows even if the database already holds users.",
        )

    def handle(self, *args, size, seed, force, **options):
        from accounts.models import User

        existing = User.objects.count()
        if existing > 100 and not force:
            raise CommandError(
                f"The database already holds {existing:,} users: use a scratch database "
                "(or --force)."
            )
        if size == "big" and connection.vendor != "postgresql":
            raise CommandError("The big size needs PostgreSQL (COPY).")
        started = time.perf_counter()
        counts = datagen.generate(datagen.SIZES[size], seed, log=self.stdout.write)
        for label, count in counts.items():
            self.stdout.write(f"  {label}: {count:,} rows")
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated the {size} size (seed {seed}) in {time.perf_counter() - started:.0f} s."
                f" Personas (password {datagen.PASSWORD}): "
                + ", ".join(datagen.persona_email(key) for key in datagen.PERSONAS)
            )
        )
