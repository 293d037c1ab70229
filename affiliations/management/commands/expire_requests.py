"""Expire the requests left pending too long (run daily, e.g. from cron)."""

from django.core.management.base import BaseCommand

from affiliations.workflow import expire_stale


class Command(BaseCommand):
    help = (
        "Mark as expired the requests still pending after --days days (default 90), and "
        "those of kinds with a shorter lifetime (a change of login address: 24 hours)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=90)

    def handle(self, *args, days, **options):
        if days < 1:
            self.stderr.write("--days must be at least 1.")
            return
        count = expire_stale(older_than_days=days)
        self.stdout.write(f"{count} request{'' if count == 1 else 's'} expired.")
