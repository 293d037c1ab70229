"""Delete the personal data past its retention period (run daily, e.g. from cron)."""

from django.core.management.base import BaseCommand

from chorus_portal.retention import purge_expired


class Command(BaseCommand):
    help = (
        "Delete activity-log and admin-history entries and weekly-summary markers older "
        "than a year, expired e-mail codes and expired rate-limit counters (see the "
        "personal-data page)."
    )

    def handle(self, *args, **options):
        result = purge_expired()
        for name, count in result.as_dict().items():
            self.stdout.write(f"{name.replace('_', ' ')}: {count} deleted")
