from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

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


from .models import Affiliation, AffiliationStatus, Request, Role  # noqa: E402


class AffiliationAdminForm(forms.ModelForm):
    """The role is read-only in the admin: the action below hands it on, through the
    same service as the Users area (log, mails). Nothing else here may make a second
    main manager, nor take the main manager away from their structure."""

    class Meta:
        model = Affiliation
        fields = ("user", "structure", "whole_structure", "services", "status")

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        if instance.pk is None or instance.role != Role.MAIN_MANAGER:
            return cleaned
        # The instance still holds the saved values: the form's are copied onto it later.
        active = AffiliationStatus.ACTIVE
        old_status = instance.status
        new_status = cleaned.get("status", old_status)
        moved = any(
            name in cleaned
            and getattr(cleaned[name], "pk", None) != getattr(instance, f"{name}_id")
            for name in ("user", "structure")
        )
        if moved or (old_status != new_status and active in (old_status, new_status)):
            raise forms.ValidationError(
                _(
                    "This is the main manager's affiliation: its user, structure and status "
                    "cannot change here. Hand the role on first with the action “Make the "
                    "selected user the main manager of their structure”."
                )
            )
        return cleaned


class AffiliationInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form) and form.instance.pk:
                if form.instance.role == Role.MAIN_MANAGER:
                    raise forms.ValidationError(
                        _(
                            "The main manager's affiliation cannot be deleted: hand the role "
                            "on first."
                        )
                    )


@admin.register(Affiliation)
class AffiliationAdmin(admin.ModelAdmin):
    form = AffiliationAdminForm
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
    readonly_fields = ("role",)
    filter_horizontal = ()
    autocomplete_fields = ()
    actions = ["make_main_manager"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "services":
            from django.contrib.admin.widgets import ManyToManyRawIdWidget

            kwargs["widget"] = ManyToManyRawIdWidget(db_field.remote_field, self.admin_site)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.role == Role.MAIN_MANAGER:
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        # The bulk delete action: never the main manager's affiliation.
        kept = queryset.filter(role=Role.MAIN_MANAGER).count()
        if kept:
            messages.warning(
                request,
                _("%(count)d main manager affiliation(s) kept: hand the role on first.")
                % {"count": kept},
            )
        super().delete_queryset(request, queryset.exclude(role=Role.MAIN_MANAGER))

    @admin.action(description=_("Make the selected user the main manager of their structure"))
    def make_main_manager(self, request, queryset):
        from .services import AffiliationError, transfer_main_manager

        chosen = list(queryset.select_related("user", "structure")[:2])
        if len(chosen) != 1:
            messages.error(
                request, _("Select exactly one affiliation: a structure has one main manager.")
            )
            return
        affiliation = chosen[0]
        try:
            transfer_main_manager(
                structure=affiliation.structure,
                to_user=affiliation.user,
                by=request.user,
                http_request=request,
                as_staff=True,
            )
        except AffiliationError:
            messages.error(
                request,
                _(
                    "Only an active affiliation of someone who is not the main manager can receive "
                    "the role."
                ),
            )
            return
        messages.success(
            request,
            _("%(name)s is now the main manager of %(structure)s.")
            % {"name": affiliation.user, "structure": affiliation.structure.company_name},
        )


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
    form = AffiliationAdminForm
    formset = AffiliationInlineFormSet
    fields = ("structure", "role", "status", "whole_structure", "created_at")
    readonly_fields = ("role", "created_at")
    raw_id_fields = ("structure",)
    show_change_link = True


def _attach_user_inlines():
    from accounts.admin import UserAdmin

    if AffiliationInline not in UserAdmin.inlines:
        UserAdmin.inlines = [*UserAdmin.inlines, AffiliationInline]


_attach_user_inlines()
