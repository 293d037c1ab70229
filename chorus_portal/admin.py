"""Third-party models in the portal's admin: labels in both languages, and no
change that would bypass the portal's own flows."""

from __future__ import annotations

from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from accounts import emails

from .admin_paginator import LargeTablePaginator
from .models import OutgoingMail


class PortalEmailAddressAdmin(EmailAddressAdmin):
    """allauth's copy of each login address, shown read-only: the login address
    changes through the portal's own flow (confirmation link, mails, log), which keeps
    this copy and the account's address equal."""

    paginator = LargeTablePaginator  # no COUNT(*) of millions of rows

    actions = []
    show_full_result_count = False
    search_help_text = _("A login address (exact).")

    def get_search_fields(self, request):
        return ["email"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        email = emails.lookup_key(term)
        return (queryset.filter(email=email) if email else queryset.none()), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PortalTaskResultAdmin(DBTaskResultAdmin):
    """The background tasks' results (mails, imports), with translated column names."""

    paginator = LargeTablePaginator  # no COUNT(*) of millions of rows

    list_display = (
        "id",
        "task",
        "status",
        "enqueued_at",
        "started_at",
        "finished_at",
        "priority",
        "queue_name",
    )
    show_full_result_count = False

    @admin.display(description=_("task"))
    def task(self, obj):
        return obj.task_name

    @admin.display(description=_("traceback"))
    def formatted_traceback(self, obj):
        return super().formatted_traceback(obj)

    @admin.display(description=_("run after"))
    def display_run_after(self, obj):
        return super().display_run_after(obj)


class PortalTOTPDeviceAdmin(TOTPDeviceAdmin):
    """Authenticator applications, read-only and never their secret: a person adds
    theirs from My multi-factor authentication (mailed, logged); staff remove them with
    the users' action "Reset the authenticator application and security keys"."""

    paginator = LargeTablePaginator  # one per person who adds an app: up to millions
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    show_full_result_count = False
    search_fields = ("user__email",)
    search_help_text = _("A login address (exact).")

    def get_list_display(self, request):
        return self.list_display

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        email = emails.lookup_key(term)
        return (queryset.filter(user__email=email) if email else queryset.none()), False

    def get_fieldsets(self, request, obj=None):
        return [
            (_("Identity"), {"fields": ["user", "name", "confirmed"]}),
            (_("Dates"), {"fields": ["created_at", "last_used_at"]}),
            (
                _("State"),
                {"fields": ["throttling_failure_timestamp", "throttling_failure_count"]},
            ),
        ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for _model, _admin_class in (
    (EmailAddress, PortalEmailAddressAdmin),
    (DBTaskResult, PortalTaskResultAdmin),
    (TOTPDevice, PortalTOTPDeviceAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin_class)


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    """The mail queue, read-only: what left, what waits, what was given up and why.

    A mail's text is never shown (it may hold a login code or a link)."""

    paginator = LargeTablePaginator  # no COUNT(*) of millions of rows
    list_display = [
        "created_at",
        "recipient_list",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "created_at"]
    search_fields = ["to", "subject"]
    search_help_text = _("A recipient or words of the subject.")
    show_full_result_count = False
    fields = [
        "recipient_list",
        "subject",
        "template",
        "language",
        "priority",
        "status",
        "attempts",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "give_up_at",
        "sent_at",
        "last_error",
    ]
    readonly_fields = fields

    @admin.display(description=_("recipients"))
    def recipient_list(self, obj):
        return ", ".join(obj.recipients)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
