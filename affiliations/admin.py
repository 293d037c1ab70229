from django.contrib import admin

from .models import Service, Structure


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0
    fields = ("code", "name", "active", "valid_from", "valid_until", "engagement_number_required")
    show_change_link = True


@admin.register(Structure)
class StructureAdmin(admin.ModelAdmin):
    list_display = ("company_name", "identifier_type", "identifier", "kind", "status")
    list_filter = ("kind", "status", "identifier_type")
    search_fields = ("identifier", "company_name")
    inlines = [ServiceInline]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "structure", "active")
    list_filter = ("active",)
    search_fields = ("code", "name", "structure__company_name", "structure__identifier")
    list_select_related = ("structure",)
    raw_id_fields = ("structure",)
