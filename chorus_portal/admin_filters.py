"""Admin list filters that suit tables of a million rows.

A choice list of every structure cannot be shown; an input filter takes an
identifier typed by staff and filters on an indexed column instead.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR


class InputFilter(admin.SimpleListFilter):
    """A filter whose value is typed, not picked: one text box in the filter panel."""

    template = "admin/portal/input_filter.html"
    input_label = ""

    def lookups(self, request, model_admin):
        return ()

    def has_output(self):
        return True

    def choices(self, changelist):
        hidden = [
            (name, value)
            for name, values in changelist.filter_params.items()
            if name not in (self.parameter_name, PAGE_VAR)
            for value in values
        ]
        yield {
            "parameter": self.parameter_name,
            "value": self.value() or "",
            "label": self.input_label or self.title,
            "hidden": hidden,
            "reset_url": changelist.get_query_string(remove=[self.parameter_name]),
            "selected": bool(self.value()),
        }
