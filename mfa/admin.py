from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import EmailDevice
from .services import unlock_email_device


@admin.register(EmailDevice)
class EmailDeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "confirmed", "throttling_failure_count", "locked_at", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
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


def _attach_user_inline():
    from accounts.admin import UserAdmin

    if EmailDeviceInline not in UserAdmin.inlines:
        UserAdmin.inlines = [*UserAdmin.inlines, EmailDeviceInline]


_attach_user_inline()
