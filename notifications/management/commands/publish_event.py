"""Publish one notification event, as the other Chorus Pro applications do."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from affiliations.models import Service, Structure
from notifications.models import NotificationApplication
from notifications.services import publish_event


class Command(BaseCommand):
    help = (
        "Publish an event of an application on a structure (or one of its services): "
        "its subscribers holding the application's profile there are mailed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--application", required=True, choices=NotificationApplication.values)
        parser.add_argument(
            "--structure", required=True, help="the structure's id or its identifier (SIRET…)"
        )
        parser.add_argument("--service", default="", help="a service code of that structure")
        parser.add_argument("--kind", required=True, help="a short slug, e.g. invoice-paid")
        parser.add_argument("--title", required=True)
        parser.add_argument("--link", required=True, help="an http(s) address")

    def handle(self, *args, **options):
        structure = self._structure(options["structure"])
        service = None
        if options["service"]:
            service = Service.objects.filter(structure=structure, code=options["service"]).first()
            if service is None:
                raise CommandError("No service with this code in the structure.")
        try:
            event = publish_event(
                options["application"],
                structure,
                options["kind"],
                options["title"],
                options["link"],
                service=service,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"Event {event.pk} published: {event.recipients} recipient(s).")

    @staticmethod
    def _structure(value: str) -> Structure:
        matches = list(Structure.objects.filter(identifier=value.replace(" ", ""))[:2])
        if not matches and value.isdigit() and len(value) <= 18:
            matches = list(Structure.objects.filter(pk=int(value)))
        if len(matches) != 1:
            raise CommandError("Give one structure: its id or an identifier that is unique.")
        return matches[0]
