"""Delete the personal data past its retention period (run daily, e.g. from cron)."""

from django.core.management.base import BaseCommand

from chorus_portal.retention import purge_expired


class Command(BaseCommand):
    help = (
        "Delete activity-log entries older than a year, ended sessions, expired e-mail "
        "codes, sent mails of the task queue older than a week and expired rate-limit "
        "counters (see the personal-data page)."
    )

    def handle(self, *args, **options):
        result = purge_expired()
        for name, count in result.as_dict().items():
            self.stdout.write(f"{name.replace('_', ' ')}: {count} deleted")
