"""Structure search timings at the demo size and at 100,000 structures.

Usage: python benchmarks/run.py [--structures 100000] [--repeat 20]
Runs on a throw-away SQLite database, or on DATABASE_URL when it is set (the
database named there is used as is: point it at a scratch database). Prints
numbers; it never fails on a timing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES = ["finances publiques", "ecully", "SIRET", "structure 99 123", "73282932000074", "zzz"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--structures", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="chorus-bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch}/bench.sqlite3")
    os.environ.setdefault("DEBUG", "true")
    os.environ["DJANGO_SETTINGS_MODULE"] = "chorus_portal.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("demo_data", verbosity=0)
    print(f"database: {connection.vendor}")
    report("demo size", args.repeat)

    from affiliations.identifiers import with_luhn_key
    from affiliations.models import Structure, StructureKind
    from affiliations.search import fold

    existing = Structure.objects.count()
    batch = []
    start = time.perf_counter()
    for index in range(existing, args.structures):
        name = f"Structure {index // 1000} {index % 1000} Société Générale des Écoles"
        identifier = with_luhn_key(f"{index:013d}")
        batch.append(
            Structure(
                identifier=identifier,
                company_name=name,
                kind=StructureKind.PRIVATE if index % 3 else StructureKind.PUBLIC,
                search_text=fold(f"{identifier} {name} SIRET"),
            )
        )
        if len(batch) == 5000:
            Structure.objects.bulk_create(batch)
            batch.clear()
    Structure.objects.bulk_create(batch)
    print(f"loaded {Structure.objects.count():,} structures in {time.perf_counter() - start:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    report(f"{Structure.objects.count():,} structures", args.repeat)


def report(label: str, repeat: int) -> None:
    from affiliations.selectors import search_structures

    print(f"\n== {label}: search_structures, first page (median / p95 over {repeat} runs)")
    for query in QUERIES:
        timings = []
        for _ in range(repeat):
            start = time.perf_counter()
            page = search_structures(query, page=1)
            list(page.object_list)
            total = page.paginator.count
            timings.append((time.perf_counter() - start) * 1000)
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        print(
            f"  {query!r:24} {total:>8,} matches  median {statistics.median(timings):7.2f} ms"
            f"  p95 {p95:7.2f} ms"
        )


if __name__ == "__main__":
    main()
