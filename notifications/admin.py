from django.contrib import admin

from .models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Published notifications, read-only (publish with `publish_event`)."""

    list_display = [
        "published_at",
        "application",
        "structure",
        "service",
        "kind",
        "title",
        "recipients",
    ]
    list_filter = ["application", "published_at"]
    search_fields = ["title", "kind", "structure__company_name", "structure__identifier"]
    list_select_related = ["structure", "service"]
    raw_id_fields = ["structure", "service", "published_by"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
