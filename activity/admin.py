from django.contrib import admin

from .models import ActivityLog


@admin.register(ActivityLog)
class ActivityLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "action", "actor", "subject", "structure_id", "ip")
    list_filter = ("action",)
    search_fields = ("actor__email", "subject__email", "ip")
    date_hierarchy = "created_at"
    list_select_related = ("actor", "subject")
    readonly_fields = ("created_at", "actor", "subject", "structure_id", "action", "ip", "detail")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
