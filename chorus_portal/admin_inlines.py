"""Inlines that stay usable when their parent has thousands of rows."""

from __future__ import annotations

from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _


class KnownRowsRawIdWidget(ForeignKeyRawIdWidget):
    """The raw-id box, its label taken from rows read once for the whole formset.

    Django's widget reads its row again for each form (20 profiles: 40 queries for
    their structures and services). `known` maps a value to its row; it is shared by
    the copies the formset's forms make. A value not in it is read as Django does."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.known = {}

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy.known = self.known
        return copy

    def label_and_url_for_value(self, value):
        obj = self.known.get(str(value))
        if obj is None:
            return super().label_and_url_for_value(value)
        opts = obj._meta
        try:
            url = reverse(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                args=(obj.pk,),
            )
        except NoReverseMatch:
            url = ""
        return Truncator(obj).words(14), url


class LatestRowsInlineMixin:
    """Shows the parent's `shown` latest rows (by id) and links to all of them.

    A user with 1,000 affiliations and 2,000 profiles made a page of 3,000 forms: tens of
    seconds to draw, and a save refused for its number of fields. The rows left out are
    untouched by a save; they are reached from the link, in their own list. The rows
    shown are read with the rows they point to (one query, not one per form and field)."""

    shown = 20

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.raw_id_fields:
            kwargs["widget"] = KnownRowsRawIdWidget(
                db_field.remote_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _related(self) -> list[str]:
        return [
            field.name
            for field in self.model._meta.concrete_fields
            if field.is_relation
            and (field.name in self.raw_id_fields or field.name == self.fk_name)
        ]

    def get_formset(self, request, obj=None, **kwargs):
        self._parent = obj
        self._latest = None
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None and obj.pk is not None:
            rows = list(self._latest_rows(request))
            for name in self.raw_id_fields:
                field = formset.form.base_fields.get(name)
                if field is not None and isinstance(field.widget, KnownRowsRawIdWidget):
                    field.widget.known.update(
                        (str(getattr(row, f"{name}_id")), getattr(row, name))
                        for row in rows
                        if getattr(row, f"{name}_id") is not None
                    )
        return formset

    def _latest_rows(self, request):
        if getattr(self, "_latest", None) is None:
            own = super().get_queryset(request).filter(**{self.fk_name: self._parent})
            latest = list(own.order_by("-pk").values_list("pk", flat=True)[: self.shown + 1])
            self._more = len(latest) > self.shown
            self._latest = latest[: self.shown]
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=self._latest)
            .select_related(*self._related())
        )

    def get_queryset(self, request):
        parent = getattr(self, "_parent", None)
        if parent is None or parent.pk is None:
            return super().get_queryset(request)
        return self._latest_rows(request)

    @property
    def latest_rows_note(self):
        parent = getattr(self, "_parent", None)
        if parent is None or not getattr(self, "_more", False):
            return ""
        opts = self.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        return format_html(
            '{} <a href="{}?{}__id__exact={}">{}</a>',
            _("Only the %(shown)d latest are shown here.") % {"shown": self.shown},
            url,
            self.fk_name,
            parent.pk,
            _("See all of them"),
        )
