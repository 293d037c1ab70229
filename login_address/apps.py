from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoginAddressConfig(AppConfig):
    name = "login_address"
    verbose_name = _("Change of login address")

    def ready(self):
        from accounts.notices import register_event
        from affiliations import selectors, workflow
        from affiliations.models import RequestKind

        from . import services

        # The login-address kind of the one workflow: decided by the person's own
        # confirmation (the link), lapses after 24 hours, and its own mails say
        # what happened (no "request approved" mail).
        workflow.register_kind(
            RequestKind.LOGIN_ADDRESS,
            apply=services.apply_change,
            lifetime=services.LIFETIME,
            mail_decision=False,
        )
        selectors.register_request_join("login_address_change")
        for name, event in services.EVENTS.items():
            register_event(name, event)
