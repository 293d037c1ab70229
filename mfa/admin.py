from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.emails import lookup_key
from accounts.models import User
from chorus_portal.admin_paginator import LargeTablePaginator

from . import factors
from .models import EmailDevice, FactorPreference
from .services import unlock_email_device


@admin.register(EmailDevice)
class EmailDeviceAdmin(admin.ModelAdmin):
    paginator = LargeTablePaginator  # no COUNT(*) of millions of rows
    list_display = ("user", "confirmed", "throttling_failure_count", "locked_at", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__email",)
    search_help_text = _("A login address (exact).")
    list_select_related = ("user",)
    show_full_result_count = False
    fields = (
        "user",
        "name",
        "confirmed",
        "throttling_failure_count",
        "locked_at",
        "last_used_at",
        "created_at",
    )
    readonly_fields = fields
    actions = ["unlock"]

    def get_search_results(self, request, queryset, search_term):
        # 1.1 million devices: the address is looked up exactly (the unique index), not
        # matched anywhere in every address.
        term = search_term.strip()
        if not term:
            return queryset, False
        email = lookup_key(term)
        user = User.objects.filter(email=email).values_list("pk", flat=True).first()
        if email is None or user is None:
            return queryset.none(), False
        return queryset.filter(user_id=user), False

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Unlock the e-mail code factor"))
    def unlock(self, request, queryset):
        for device in queryset.select_related("user"):
            unlock_email_device(device=device, by=request.user, request=request)
        messages.success(request, _("The selected factors are unlocked."))


class EmailDeviceInline(admin.TabularInline):
    """The user's second-factor devices, on the user's admin page (unlock from the list)."""

    model = EmailDevice
    extra = 0
    fields = ("name", "confirmed", "throttling_failure_count", "locked_at", "last_used_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class AppDeviceInline(admin.TabularInline):
    """The authenticator application (never its secret)."""

    model = TOTPDevice
    extra = 0
    fields = ("name", "confirmed", "throttling_failure_count", "created_at", "last_used_at")
    readonly_fields = fields
    can_delete = False
    verbose_name = _("authenticator application")
    verbose_name_plural = _("authenticator application")

    def has_add_permission(self, request, obj=None):
        return False


class SecurityKeyInline(admin.TabularInline):
    model = WebAuthnCredential
    extra = 0
    fields = ("name", "confirmed", "sign_count", "created_at", "last_used_at")
    readonly_fields = fields
    can_delete = False
    verbose_name = _("security key")
    verbose_name_plural = _("security keys")

    def has_add_permission(self, request, obj=None):
        return False


class FactorPreferenceInline(admin.StackedInline):
    model = FactorPreference
    extra = 0
    fields = ("default_mode", "updated_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.action(description=_("Reset the authenticator application and security keys"))
def reset_factors(modeladmin, request, queryset):
    count = sum(
        1 for user in queryset if factors.reset_factors(user=user, by=request.user, request=request)
    )
    messages.success(
        request,
        ngettext(
            "Application and keys removed for %(count)d user; they were told by e-mail.",
            "Application and keys removed for %(count)d users; they were told by e-mail.",
            count,
        )
        % {"count": count},
    )


def _attach_user_inline():
    from accounts.admin import UserAdmin

    for inline in (EmailDeviceInline, FactorPreferenceInline, AppDeviceInline, SecurityKeyInline):
        if inline not in UserAdmin.inlines:
            UserAdmin.inlines = [*UserAdmin.inlines, inline]
    if reset_factors not in UserAdmin.actions:
        UserAdmin.actions = [*UserAdmin.actions, reset_factors]


_attach_user_inline()
