from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from chorus_portal.admin_paginator import LargeTablePaginator

from . import emails
from .models import User, UserSession


class UserSessionInline(admin.TabularInline):
    """The user's active sessions, read-only; "End the selected users' sessions" ends them."""

    model = UserSession
    fields = ("browser", "ip", "created_at", "last_seen_at")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = _("session")
    verbose_name_plural = _("sessions")

    @admin.display(description=_("Browser"))
    def browser(self, obj):
        from .notices import describe_browser

        return describe_browser(obj.user_agent)

    def get_queryset(self, request):
        from django.utils import timezone

        return super().get_queryset(request).filter(session__expire_date__gt=timezone.now())

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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
    paginator = LargeTablePaginator  # no COUNT(*) of millions of rows
    form = PortalUserChangeForm
    add_form = PortalUserCreationForm
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser", "language")
    search_fields = ("email",)
    search_help_text = _("A login address (exact), or the start of a first or last name.")
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
    # Activation changes only through the actions (the services: log, mails, sessions).
    readonly_fields = ("last_login", "date_joined", "photo", "is_active")
    show_full_result_count = False
    inlines = [UserSessionInline]

    def get_inlines(self, request, obj):
        # Affiliations, profiles and devices belong to an existing account.
        return super().get_inlines(request, obj) if obj is not None else []

    def get_search_results(self, request, queryset, search_term):
        # 1.1 million accounts: an address is looked up exactly (its normal form, by the
        # unique index); otherwise names are matched from their start.
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" in term:
            email = emails.lookup_key(term)
            return (queryset.filter(email=email) if email else queryset.none()), False
        condition = Q()
        for word in term.split()[:4]:
            condition &= Q(last_name__istartswith=word) | Q(first_name__istartswith=word)
        return queryset.filter(condition), False

    actions = ["deactivate_accounts", "reactivate_accounts", "end_sessions", "unlock_accounts"]

    @admin.action(description=_("Deactivate the selected accounts"), permissions=["change"])
    def deactivate_accounts(self, request, queryset):
        from .services import DeactivationBlocked, deactivate

        done = 0
        for user in queryset:
            if user.pk == request.user.pk:
                messages.error(request, _("You cannot deactivate your own account here."))
                continue
            if not user.is_active:
                continue
            try:
                deactivate(user=user, by=request.user, http_request=request)
            except DeactivationBlocked:
                messages.error(
                    request,
                    _(
                        "%(name)s is the main manager of a structure: hand the role on first "
                        "(Affiliations, action “Make the selected user the main manager of "
                        "their structure”)."
                    )
                    % {"name": user},
                )
                continue
            done += 1
        if done:
            messages.success(
                request,
                ngettext("%(count)d account deactivated.", "%(count)d accounts deactivated.", done)
                % {"count": done},
            )

    @admin.action(description=_("Reactivate the selected accounts"), permissions=["change"])
    def reactivate_accounts(self, request, queryset):
        from .services import reactivate

        count = sum(
            1 for user in queryset if reactivate(user=user, by=request.user, http_request=request)
        )
        messages.success(
            request,
            ngettext("%(count)d account reactivated.", "%(count)d accounts reactivated.", count)
            % {"count": count},
        )

    @admin.action(description=_("End the selected users' sessions"), permissions=["change"])
    def end_sessions(self, request, queryset):
        from .services import end_sessions_by_staff

        for user in queryset:
            end_sessions_by_staff(user=user, by=request.user, http_request=request)
        messages.success(request, _("Their sessions have ended."))

    @admin.action(
        description=_("Unlock the selected accounts (password, e-mail code, application)"),
        permissions=["change"],
    )
    def unlock_accounts(self, request, queryset):
        from .services import unlock_by_staff

        count = sum(
            1
            for user in queryset
            if unlock_by_staff(user=user, by=request.user, http_request=request)
        )
        if count:
            messages.success(
                request,
                ngettext("%(count)d account unlocked.", "%(count)d accounts unlocked.", count)
                % {"count": count},
            )
        else:
            messages.info(request, _("None of the selected accounts was locked."))
