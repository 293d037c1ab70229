"""Queue last week's summary for every subscriber (run weekly; safe to run again)."""

from __future__ import annotations

import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from notifications.summary import send_weekly_summaries, send_weekly_summaries_task


class Command(BaseCommand):
    help = (
        "Mail each subscriber last week's movements on their structures. Idempotent: "
        "who already had the week's summary is skipped, even after a crash half-way."
    )

    def add_arguments(self, parser):
        parser.add_argument("--week", help="Monday of the week to summarise (YYYY-MM-DD)")
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument(
            "--enqueue", action="store_true", help="hand the work to the task worker instead"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, week=None, batch_size=None, enqueue=False, no_progress=False, **o):
        monday = None
        if week:
            try:
                monday = date.fromisoformat(week)
            except ValueError:
                raise CommandError("--week takes a date, YYYY-MM-DD.") from None
            if monday.weekday() != 0:
                raise CommandError("--week must be a Monday.")
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if enqueue:
            send_weekly_summaries_task.enqueue(week=monday.isoformat() if monday else None)
            self.stdout.write("Weekly summary queued for the task worker.")
            return
        show = not no_progress and sys.stderr.isatty()
        run = send_weekly_summaries(
            week=monday, batch_size=batch_size, progress=self._bar if show else None
        )
        if show:
            sys.stderr.write("\n")
        self.stdout.write(
            f"Week of {run.week.isoformat()}: {run.mailed} summaries queued "
            f"({run.people} subscribers read in {run.batches} batches)."
        )

    @staticmethod
    def _bar(done: int, total: int) -> None:
        width = 40
        share = done / total if total else 1
        filled = int(width * min(share, 1))
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {share:6.1%}  {done:,}/{total:,}"
        )
        sys.stderr.flush()
