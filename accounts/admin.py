from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from . import emails
from .models import User


class _NormalisedEmailMixin:
    """Staff type addresses too: the same normal form as every other entry."""

    def clean_email(self):
        try:
            return emails.clean_email(self.cleaned_data.get("email"))
        except forms.ValidationError as error:
            raise forms.ValidationError(error.messages[0], code=error.code) from None


class PortalUserCreationForm(_NormalisedEmailMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class PortalUserChangeForm(_NormalisedEmailMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = PortalUserChangeForm
    add_form = PortalUserCreationForm
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

    def get_inlines(self, request, obj):
        # Affiliations, profiles and devices belong to an existing account.
        return super().get_inlines(request, obj) if obj is not None else []

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
