from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser", "language")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name", "phone", "photo", "biography")}),
        (
            _("Work address"),
            {"fields": ("street", "address_complement", "postal_code", "city", "country")},
        ),
        (_("Preferences"), {"fields": ("language", "accessibility_enabled", "survey_consent")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ("last_login", "date_joined", "photo")
    actions = ["reactivate_accounts", "end_sessions"]

    @admin.action(description=_("Reactivate the selected accounts"))
    def reactivate_accounts(self, request, queryset):
        from .services import reactivate

        count = sum(
            1 for user in queryset if reactivate(user=user, by=request.user, http_request=request)
        )
        messages.success(request, _("%(count)d account(s) reactivated.") % {"count": count})

    @admin.action(description=_("End the selected users' sessions"))
    def end_sessions(self, request, queryset):
        from .services import end_all_sessions

        for user in queryset:
            end_all_sessions(user)
        messages.success(request, _("Their sessions have ended."))
