"""Background work of the structure CSV import: the check (dry run) and the import."""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from activity.models import Action
from activity.services import log_event

from . import structure_import
from .models import ImportStatus, StructureImport


@task()
def check_structure_import(import_id: int) -> None:
    _process(import_id, dry_run=True)


@task()
def run_structure_import(import_id: int) -> None:
    _process(import_id, dry_run=False)


def _process(import_id: int, *, dry_run: bool) -> None:
    job = StructureImport.objects.select_related("uploaded_by").get(pk=import_id)
    rows = StructureImport.objects.filter(pk=job.pk)

    def progress(report, done: int) -> None:
        rows.update(
            processed_bytes=done,
            lines=report.lines,
            valid=report.valid,
            error_count=report.error_count,
            created=report.created,
        )

    with translation.override(job.language):
        try:
            with job.file.open("rb") as binary:
                report = structure_import.run(binary, dry_run=dry_run, progress=progress)
        except structure_import.ImportFileError as error:
            rows.update(status=ImportStatus.FAILED, failure=str(error))
            return
        except (OSError, ValueError):
            rows.update(status=ImportStatus.FAILED, failure=_("The file could not be read."))
            raise
    done = {
        "lines": report.lines,
        "valid": report.valid,
        "error_count": report.error_count,
        "created": report.created,
        "errors": [[line, messages] for line, messages in report.errors],
        "processed_bytes": job.total_bytes,
    }
    if dry_run:
        rows.update(status=ImportStatus.CHECKED, **done)
        return
    rows.update(status=ImportStatus.IMPORTED, imported_at=timezone.now(), **done)
    log_event(
        Action.STRUCTURES_IMPORTED,
        actor=job.uploaded_by,
        import_id=job.pk,
        file=job.file_name,
        created=report.created,
        refused=report.error_count,
    )
    # The report stays; the uploaded file is not kept once imported.
    job.file.delete(save=False)
    rows.update(file="")
