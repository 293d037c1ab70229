"""The structure CSV import in the admin: upload → dry-run report per line → import."""

from __future__ import annotations

import os
import secrets

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from . import structure_import
from .models import ImportStatus, StructureImport
from .tasks import check_structure_import, run_structure_import

# About 370,000 lines; larger files go through `manage.py import_structures`. The reverse
# proxy lets this one path through with bodies up to MAX_REQUEST_BYTES (see the README).
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES + 64 * 1024
ERRORS_PER_PAGE = 100


class UploadLimit(FileUploadHandler):
    """First upload handler of the import page: stops the upload as soon as the file
    passes the limit, without reading the rest of the body nor keeping it."""

    def __init__(self, request=None, limit: int = MAX_UPLOAD_BYTES):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler builds the uploaded file


def _too_large():
    return _(
        "The file is larger than %(size)d MB: import it with the import_structures command."
    ) % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)}


def _declared_length(request) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class StructureImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8 (with or without BOM) or Windows-1252; columns separated by “;” or “,”; "
            "the first line names the columns."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_too_large())
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload


class StructureImportAdminMixin:
    """Added to the structures' admin: its pages live under /admin/…/structure/import/."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="affiliations_structure_import"),
            path(
                "import/<int:import_id>/",
                view(self.import_detail_view),
                name="affiliations_structure_import_detail",
            ),
            path(
                "import/<int:import_id>/run/",
                view(require_POST(self.import_run_view)),
                name="affiliations_structure_import_run",
            ),
            path(
                "import/<int:import_id>/progress/",
                view(self.import_progress_view),
                name="affiliations_structure_import_progress",
            ),
            *super().get_urls(),
        ]

    def _import_context(self, request, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "columns": structure_import.COLUMNS,
            **extra,
        }

    def _check_may_import(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied

    def _job(self, import_id: int) -> StructureImport:
        try:
            return StructureImport.objects.select_related("uploaded_by").get(pk=import_id)
        except StructureImport.DoesNotExist:
            raise Http404 from None

    def import_view(self, request):
        """The upload page. The body's size is checked before anything reads it (the
        view is exempt from the CSRF middleware, which would parse it first, and checks
        the token itself once the upload limit is in place)."""
        self._check_may_import(request)
        if request.method != "POST":
            return self._import_page(request, StructureImportForm())
        if _declared_length(request) > MAX_REQUEST_BYTES:
            form = StructureImportForm(data={})
            form.add_error("file", _too_large())
            return self._import_page(request, form, status=413)
        limit = UploadLimit(request)
        request.upload_handlers = [limit, *request.upload_handlers]
        request.POST  # noqa: B018 - the body is parsed here, through `limit`
        if limit.exceeded:
            # Nothing was kept or changed: answered before the token (which may come
            # after the file in the body) is checked.
            form = StructureImportForm(data={})
            form.add_error("file", _too_large())
            return self._import_page(request, form, status=413)
        return csrf_protect(self._import_upload)(request)

    import_view.csrf_exempt = True

    def _import_upload(self, request):
        form = StructureImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._import_page(request, form)
        upload = form.cleaned_data["file"]
        job = StructureImport(
            uploaded_by=request.user,
            file_name=os.path.basename(upload.name)[:255],
            language=get_language() or "fr",
            total_bytes=upload.size,
        )
        # A random stored name: the uploaded name is shown, never used as a path.
        job.file.save(f"{secrets.token_hex(16)}.csv", upload, save=False)
        job.save()
        check_structure_import.enqueue(job.pk)
        return HttpResponseRedirect(
            reverse("admin:affiliations_structure_import_detail", args=[job.pk])
        )

    def _import_page(self, request, form, status=200):
        return TemplateResponse(
            request,
            "admin/affiliations/structure/import.html",
            self._import_context(
                request,
                title=_("Import structures from a CSV file"),
                form=form,
                recent=StructureImport.objects.select_related("uploaded_by")[:10],
            ),
            status=status,
        )

    def import_detail_view(self, request, import_id: int):
        self._check_may_import(request)
        job = self._job(import_id)
        errors = Paginator(job.errors, ERRORS_PER_PAGE).get_page(request.GET.get("p"))
        return TemplateResponse(
            request,
            "admin/affiliations/structure/import_detail.html",
            self._import_context(
                request,
                title=_("Structure import: %(name)s") % {"name": job.file_name},
                job=job,
                errors=errors,
                errors_hidden=max(0, job.error_count - len(job.errors)),
                running=job.status in (ImportStatus.CHECKING, ImportStatus.IMPORTING),
            ),
        )

    def import_run_view(self, request, import_id: int):
        self._check_may_import(request)
        job = self._job(import_id)
        # Conditional: a second click (or a second tab) imports nothing twice.
        started = StructureImport.objects.filter(
            pk=job.pk, status=ImportStatus.CHECKED, valid__gt=0
        ).update(status=ImportStatus.IMPORTING, processed_bytes=0)
        if started:
            run_structure_import.enqueue(job.pk)
        else:
            messages.warning(
                request, _("This file has already been imported, or has nothing to import.")
            )
        return HttpResponseRedirect(
            reverse("admin:affiliations_structure_import_detail", args=[job.pk])
        )

    def import_progress_view(self, request, import_id: int):
        self._check_may_import(request)
        job = self._job(import_id)
        return JsonResponse(
            {
                "status": job.status,
                "percent": job.percent,
                "lines": job.lines,
                "running": job.status in (ImportStatus.CHECKING, ImportStatus.IMPORTING),
            }
        )
