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


from .models import Affiliation, Request  # noqa: E402


@admin.register(Affiliation)
class AffiliationAdmin(admin.ModelAdmin):
    list_display = ("user", "structure", "role", "status", "whole_structure", "created_at")
    list_filter = ("role", "status", "whole_structure")
    search_fields = (
        "user__email",
        "user__last_name",
        "structure__company_name",
        "structure__identifier",
    )
    list_select_related = ("user", "structure")
    raw_id_fields = ("user", "structure")
    filter_horizontal = ()
    autocomplete_fields = ()

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "services":
            from django.contrib.admin.widgets import ManyToManyRawIdWidget

            kwargs["widget"] = ManyToManyRawIdWidget(db_field.remote_field, self.admin_site)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Request)
class RequestAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "requester", "structure", "status", "created_at", "decided_by")
    list_filter = ("kind", "status")
    search_fields = ("requester__email", "structure__company_name", "structure__identifier")
    list_select_related = ("requester", "structure", "decided_by")
    readonly_fields = (
        "kind",
        "requester",
        "structure",
        "whole_structure",
        "services",
        "comment",
        "status",
        "created_at",
        "decided_by",
        "decided_at",
        "refusal_reason",
    )
    exclude = ("fingerprint",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AffiliationInline(admin.TabularInline):
    """The user's affiliations, on the user's admin page."""

    model = Affiliation
    fk_name = "user"
    extra = 0
    fields = ("structure", "role", "status", "whole_structure", "created_at")
    readonly_fields = ("created_at",)
    raw_id_fields = ("structure",)
    show_change_link = True


def _attach_user_inlines():
    from accounts.admin import UserAdmin

    if AffiliationInline not in UserAdmin.inlines:
        UserAdmin.inlines = [*UserAdmin.inlines, AffiliationInline]


_attach_user_inlines()
