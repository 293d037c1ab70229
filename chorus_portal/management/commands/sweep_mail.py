"""Finish what a lost worker left behind, send due mails without a worker, prune."""

from django.core.management.base import BaseCommand

from chorus_portal.mail import sweep


class Command(BaseCommand):
    help = (
        "Mail queue upkeep (run every 10 minutes): requeue the mails of a delivery task "
        "whose worker was lost, give up mails interrupted while being sent, send due "
        "mails when tasks run in-process, and delete finished mails after 30 days."
    )

    def handle(self, *args, **options):
        done = sweep()
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in done.items()))
