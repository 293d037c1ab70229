from django.apps import AppConfig, apps
from django.contrib.admin import apps as admin_apps
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class PortalAdminConfig(admin_apps.AdminConfig):
    """The Django admin, served by a site that demands the second factor."""

    default = False
    default_site = "chorus_portal.admin_site.PortalAdminSite"


# The admin's sections for third-party apps, in both languages (their own names are
# English-only or French-only). allauth's "account" is named like the portal's
# "accounts": the admin shows the two as one section (see PortalAdminSite).
THIRD_PARTY_APP_NAMES = {
    "account": _("Accounts"),
    "auth": _("Staff groups and permissions"),
    "dsfr": _("Design system (DSFR)"),
    "django_tasks_database": _("Background tasks"),
    "otp_totp": _("Authenticator applications"),
    "otp_static": _("Backup codes"),
    "otp_email": _("E-mail codes"),
    "otp_webauthn": _("Security keys"),
}


def translate_third_party_labels() -> None:
    """Give third-party apps translated section names, and make the field labels and
    help texts they wrote as plain strings (django-otp's devices) translatable.

    Only the labels change: a field's migration state reads the name given to its
    constructor, so no migration follows."""
    for label, name in THIRD_PARTY_APP_NAMES.items():
        try:
            apps.get_app_config(label).verbose_name = name
        except LookupError:
            continue
    for model in apps.get_models():
        opts = model._meta
        if isinstance(opts.verbose_name, str) and not isinstance(opts.verbose_name, Promise):
            if "verbose_name_plural" not in opts.original_attrs:
                # Django's own plural ("… devices") is built from the untranslated name.
                opts.verbose_name_plural = _(str(opts.verbose_name_plural))
            opts.verbose_name = _(opts.verbose_name)
        elif not isinstance(opts.verbose_name_plural, Promise):
            opts.verbose_name_plural = _(opts.verbose_name_plural)
        for field in opts.get_fields():
            if isinstance(getattr(field, "verbose_name", None), str) and not isinstance(
                field.verbose_name, Promise
            ):
                field.verbose_name = _(field.verbose_name)
            help_text = getattr(field, "help_text", "")
            if help_text and isinstance(help_text, str):
                field.help_text = _(help_text)


class ChorusPortalConfig(AppConfig):
    name = "chorus_portal"
    verbose_name = "Chorus Pro"

    def ready(self):
        # A deployment without `make` still serves French (see chorus_portal.catalogues).
        from django.conf import settings

        from .catalogues import compile_stale_catalogues, forget_loaded_translations

        if compile_stale_catalogues(settings.LOCALE_PATHS):
            forget_loaded_translations()
        translate_third_party_labels()

        # Whatever staff add, change or delete in the admin (a structure's name, a
        # service, a site-wide setting) may show on any page: every kept page goes.
        from django.contrib.admin.models import LogEntry
        from django.db.models.signals import post_save

        post_save.connect(_staff_changed_something, sender=LogEntry, dispatch_uid="pages.admin")


def _staff_changed_something(sender, raw=False, **kwargs):
    from . import page_cache

    if not raw:
        page_cache.refresh_everyone()
