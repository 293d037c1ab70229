from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from chorus_portal.admin_forms import ConstraintCheckingInlineFormSet
from chorus_portal.admin_inlines import LatestRowsInlineMixin
from chorus_portal.admin_paginator import LargeTablePaginator

from .models import Authorization, AuthorizationRequestLine


@admin.register(Authorization)
class AuthorizationAdmin(admin.ModelAdmin):
    paginator = LargeTablePaginator  # no COUNT(*) of millions of rows
    list_display = ("user", "structure", "service", "application", "level", "updated_at")
    list_filter = ("application", "level")
    search_fields = ("user__email",)
    search_help_text = _("A login address (exact) or a structure's identifier (exact).")
    list_select_related = ("user", "structure", "service")
    show_full_result_count = False
    # Newest first, by the primary key: the model's order (structure name, service code)
    # joined and sorted 2.2 million rows.
    ordering = ("-pk",)

    def get_search_results(self, request, queryset, search_term):
        from affiliations.admin import _person_or_structure

        return queryset.filter(_person_or_structure(search_term)), False

    raw_id_fields = ("user", "structure", "service", "granted_by")


class AuthorizationInline(LatestRowsInlineMixin, admin.TabularInline):
    """The user's latest profiles, on the user's admin page."""

    model = Authorization
    fk_name = "user"
    formset = ConstraintCheckingInlineFormSet
    extra = 0
    fields = ("structure", "service", "application", "level")
    raw_id_fields = ("structure", "service")


class RequestLineInline(admin.TabularInline):
    model = AuthorizationRequestLine
    extra = 0
    fields = ("service", "application", "level")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


def _attach_inlines():
    from accounts.admin import UserAdmin
    from affiliations.admin import RequestAdmin

    if AuthorizationInline not in UserAdmin.inlines:
        UserAdmin.inlines = [*UserAdmin.inlines, AuthorizationInline]
    if RequestLineInline not in RequestAdmin.inlines:
        RequestAdmin.inlines = [*RequestAdmin.inlines, RequestLineInline]


_attach_inlines()
