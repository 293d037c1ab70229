"""Inlines that stay usable when their parent has thousands of rows."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _


class LatestRowsInlineMixin:
    """Shows the parent's `shown` latest rows (by id) and links to all of them.

    A user with 1,000 affiliations and 2,000 profiles made a page of 3,000 forms: tens of
    seconds to draw, and a save refused for its number of fields. The rows left out are
    untouched by a save; they are reached from the link, in their own list."""

    shown = 20

    def get_formset(self, request, obj=None, **kwargs):
        self._parent = obj
        return super().get_formset(request, obj, **kwargs)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        parent = getattr(self, "_parent", None)
        if parent is None or parent.pk is None:
            return queryset
        own = queryset.filter(**{self.fk_name: parent})
        latest = list(own.order_by("-pk").values_list("pk", flat=True)[: self.shown + 1])
        self._more = len(latest) > self.shown
        return queryset.filter(pk__in=latest[: self.shown])

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
