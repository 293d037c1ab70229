from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chorus_portal.admin_paginator import LargeTablePaginator

from .models import ActivityLog


@admin.register(ActivityLog)
class ActivityLogAdmin(admin.ModelAdmin):
    paginator = LargeTablePaginator  # no COUNT(*) of millions of rows
    list_display = ("created_at", "action", "actor", "subject", "structure_id", "ip")
    list_filter = ("action",)
    search_fields = ("ip",)
    search_help_text = _("A login address (exact, who acted or was concerned) or an IP address.")
    # Millions of rows: no full count, and exact matches only.
    show_full_result_count = False
    date_hierarchy = "created_at"
    list_select_related = ("actor", "subject")
    readonly_fields = ("created_at", "actor", "subject", "structure_id", "action", "ip", "detail")

    def get_search_results(self, request, queryset, search_term):
        from accounts.emails import lookup_key

        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            validate_ipv46_address(term)
        except ValidationError:
            from accounts.models import User

            email = lookup_key(term)
            user = User.objects.filter(email=email).values_list("pk", flat=True).first()
            if email is None or user is None:
                return queryset.none(), False
            # By id, on the log's own indexed columns: a join on either side of an OR
            # made PostgreSQL read the whole log.
            return queryset.filter(Q(actor_id=user) | Q(subject_id=user)), False
        return queryset.filter(ip=term), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
