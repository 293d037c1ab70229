from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PortalAdminConfig(admin_apps.AdminConfig):
    """The Django admin, served by a site that demands the second factor."""

    default = False
    default_site = "chorus_portal.admin_site.PortalAdminSite"


class ChorusPortalConfig(AppConfig):
    name = "chorus_portal"
    verbose_name = "Chorus Pro"
