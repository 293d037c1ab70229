"""The weekly summary for 100,000 subscribers: time and peak memory of the command.

Usage: python benchmarks/weekly_summary.py [--users 100000] [--structures 2000]
Runs on a throw-away SQLite database, or on DATABASE_URL when it is set (the
database named there is emptied and filled: point it at a scratch database, e.g.
postgres://postgres@127.0.0.1:5432/chorus_bench_summary). It loads the users,
their affiliations and a week of activity, then runs `manage.py send_weekly_summary`
in a child process, whose wall time and peak resident memory are measured, then
runs it again (a second run in the same week sends nothing). Mails are only queued
(TASK_BACKEND=database): sending them is the worker's job. Prints numbers; it
never fails on a timing.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--structures", type=int, default=2_000)
    parser.add_argument("--events-per-structure", type=int, default=12)
    parser.add_argument(
        "--again", action="store_true", help="keep the loaded data, forget the summaries sent"
    )
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="chorus-bench-summary-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch}/bench.sqlite3")
    # Production settings: with DEBUG on, Django would keep the text of the last 9,000
    # queries (the batches' bulk inserts among them) and the memory figure would be theirs.
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "k" * 50)
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    os.environ["TASK_BACKEND"] = "database"
    os.environ["DJANGO_SETTINGS_MODULE"] = "chorus_portal.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}")
    if args.again:
        from django_tasks_db.models import DBTaskResult

        from chorus_portal.models import OutgoingMail
        from notifications.models import SummarySent
        from notifications.summary import last_week

        for model in (SummarySent, OutgoingMail, DBTaskResult):
            model.objects.all().delete()
        week = last_week()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
    else:
        call_command("flush", interactive=False, verbosity=0)
        week = load(args)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    connection.close()

    for label in ("first run", "second run (same week)"):
        seconds, peak_mb, output = run_command(week)
        print(f"\n== {label}: {seconds:.1f} s, peak memory {peak_mb:.0f} MB")
        print("   " + output.strip().splitlines()[-1])
    from chorus_portal.models import OutgoingMail
    from notifications.models import SummarySent

    print(f"\nqueued mails: {OutgoingMail.objects.count():,}")
    print(f"markers:      {SummarySent.objects.count():,}")
    sample = OutgoingMail.objects.order_by("pk").first()
    if sample is not None:
        print(f"\nfirst mail ({len(sample.body)} characters):\n{sample.subject}\n{sample.body}")


CHILD = """
import resource, sys
import django
django.setup()
from django.core.management import call_command
call_command("send_weekly_summary", "--week", sys.argv[1], "--no-progress")
# VmHWM: this process's own peak (ru_maxrss would carry the parent's over the fork).
peak = [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:")]
print(f"peak-rss-kb {peak[0] if peak else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")
"""


def run_command(week) -> tuple[float, float, str]:
    """The command in a child process: its wall time (start-up included) and its own
    peak resident memory (ru_maxrss)."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", CHILD, week.isoformat()],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - start
    lines = result.stdout.strip().splitlines()
    peak_kb = int(lines[-1].split()[-1])
    return seconds, peak_kb / 1024, "\n".join(lines[:-1])


def load(args):
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from activity.models import Action, ActivityLog
    from affiliations.identifiers import with_luhn_key
    from affiliations.models import Affiliation, Role, Structure, StructureKind
    from affiliations.search import fold
    from authorizations.models import Application, Level
    from notifications.summary import last_week

    rng = random.Random(42)
    week = last_week()
    in_week = datetime.combine(week, datetime.min.time(), tzinfo=timezone.get_current_timezone())
    start = time.perf_counter()
    password = make_password(None)  # unusable: nobody logs in here
    with transaction.atomic():
        structures = Structure.objects.bulk_create(
            Structure(
                identifier=with_luhn_key(f"{9_000_000_000_000 + i:013d}"),
                company_name=f"Structure {i} des Écoles",
                kind=StructureKind.PUBLIC if i % 2 else StructureKind.PRIVATE,
                search_text=fold(f"structure {i} des ecoles"),
            )
            for i in range(args.structures)
        )
        structure_ids = [s.pk for s in structures]
        batch = 10_000
        for first in range(0, args.users, batch):
            User.objects.bulk_create(
                User(
                    email=f"person{i}@bench.example",
                    first_name=f"Prénom{i}",
                    last_name=f"Nom{i}",
                    password=password,
                    language="en" if i % 4 == 0 else "fr",
                    notify_weekly_summary=True,
                    notify_invoicing=i % 3 == 0,
                )
                for i in range(first, min(first + batch, args.users))
            )
        user_ids = list(User.objects.order_by("pk").values_list("pk", flat=True))
        affiliations = []
        for index, user_id in enumerate(user_ids):
            home = structure_ids[index % len(structure_ids)]
            role = Role.MAIN_MANAGER if index < len(structure_ids) else Role.USER
            affiliations.append(Affiliation(user_id=user_id, structure_id=home, role=role))
            if index % 10 == 0:  # one in ten works for a second structure
                other = structure_ids[(index * 7 + 3) % len(structure_ids)]
                if other != home:
                    affiliations.append(Affiliation(user_id=user_id, structure_id=other))
        for first in range(0, len(affiliations), batch):
            Affiliation.objects.bulk_create(affiliations[first : first + batch])
        kinds = [
            (Action.AFFILIATION_GRANTED, {}),
            (Action.AFFILIATION_DETACHED, {"level": "structure"}),
            (
                Action.PROFILE_GRANTED,
                {"application": Application.ISSUED_INVOICES, "level": Level.MODIFICATION},
            ),
            (Action.REQUEST_APPROVED, {"request_id": 1, "kind": "affiliation"}),
            (Action.REQUEST_REFUSED, {"request_id": 2, "kind": "affiliation"}),
            (Action.NOTIFICATION_PUBLISHED, {"application": "invoicing", "title": "Paid"}),
        ]
        log = []
        for structure_id in structure_ids:
            for n in range(args.events_per_structure):
                action, detail = kinds[n % len(kinds)]
                log.append(
                    ActivityLog(
                        action=action,
                        structure_id=structure_id,
                        subject_id=rng.choice(user_ids),
                        actor_id=rng.choice(user_ids),
                        detail=detail,
                    )
                )
        for first in range(0, len(log), batch):
            ActivityLog.objects.bulk_create(log[first : first + batch])
    # auto_now_add stamped them now: move them into last week (one UPDATE, bypassing
    # the log's append-only guard, which protects the portal's code, not a benchmark).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE activity_activitylog SET created_at = %s",
            [in_week + timedelta(days=2, hours=10)],
        )
    print(
        f"loaded {len(user_ids):,} subscribers, {len(affiliations):,} affiliations, "
        f"{len(structure_ids):,} structures, {len(log):,} log entries "
        f"in {time.perf_counter() - start:.1f} s"
    )
    return week


if __name__ == "__main__":
    main()
