"""Import structures from a CSV file: the same reader and checks as the admin page."""

from __future__ import annotations

import codecs
import os
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from activity.models import Action
from activity.services import log_event
from affiliations import structure_import


class Command(BaseCommand):
    help = (
        "Create the structures of a CSV file (columns: identifier_type, identifier, "
        "company_name, kind, and optionally status, street, postal_code, city, country, "
        "service_code_required, engagement_number_required). Refused lines are listed "
        "with their number; --dry-run checks everything and creates nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--dry-run", action="store_true", help="check only, create nothing")
        parser.add_argument("--batch-size", type=int, default=structure_import.BATCH_SIZE)
        parser.add_argument(
            "--encoding",
            help="force the encoding (default: UTF-8, with or without BOM, else Windows-1252)",
        )
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            choices=["fr", "en"],
            help="language of the messages",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, path, dry_run, batch_size, encoding, language, no_progress, **opts):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if encoding:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise CommandError(f"Unknown encoding: {encoding}") from None
        try:
            size = os.path.getsize(path)
            binary = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from None
        show_progress = not no_progress and opts["verbosity"] > 0
        started = time.monotonic()

        def progress(report, done: int) -> None:
            if not show_progress:
                return
            share = done / size if size else 1
            filled = int(share * 30)
            elapsed = time.monotonic() - started
            self.stderr.write(
                f"\r[{'#' * filled}{'.' * (30 - filled)}] {share:6.1%}  "
                f"{report.lines:,} lines  {elapsed:5.1f} s",
                ending="",
            )
            self.stderr.flush()

        def on_error(line: int, messages: list[str]) -> None:
            if show_progress:
                self.stderr.write("\r" + " " * 70 + "\r", ending="")
            self.stdout.write(f"line {line}: " + " ".join(messages))

        with translation.override(language), binary:
            try:
                report = structure_import.run(
                    binary,
                    dry_run=dry_run,
                    batch_size=batch_size,
                    encoding=encoding,
                    progress=progress,
                    on_error=on_error,
                )
            except structure_import.ImportFileError as error:
                raise CommandError(str(error)) from None
        if show_progress:
            self.stderr.write("")
        elapsed = time.monotonic() - started
        verb = "would be created" if dry_run else "created"
        count = report.valid if dry_run else report.created
        self.stdout.write(
            f"{report.lines:,} lines read ({report.encoding}, separator "
            f"{report.delimiter!r}): {count:,} structures {verb}, "
            f"{report.error_count:,} lines refused, in {elapsed:.1f} s."
        )
        if not dry_run:
            log_event(
                Action.STRUCTURES_IMPORTED,
                source="command",
                file=os.path.basename(path),
                created=report.created,
                refused=report.error_count,
            )
