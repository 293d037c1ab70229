from django.contrib import admin

from .models import AddressChange


class AddressChangeInline(admin.StackedInline):
    """On a login-address request's admin page: the addresses (never the token's hash)."""

    model = AddressChange
    fields = ("new_email", "old_email")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


def _attach_inline():
    from affiliations.admin import RequestAdmin

    if AddressChangeInline not in RequestAdmin.inlines:
        RequestAdmin.inlines = [*RequestAdmin.inlines, AddressChangeInline]


_attach_inline()
