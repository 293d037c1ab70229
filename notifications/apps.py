from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from affiliations import permissions, workflow
        from authorizations.services import organisation_holders_source

        from . import managers

        permissions.register_structure_managers_source(organisation_holders_source)
        workflow.register_on_submit(managers.request_arrived)
