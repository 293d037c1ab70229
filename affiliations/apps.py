from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AffiliationsConfig(AppConfig):
    name = "affiliations"
    verbose_name = _("Structures and affiliations")

    def ready(self):
        from . import workflow
        from .models import RequestKind
        from .services import apply_affiliation_request, apply_reactivation_request

        workflow.register_kind(RequestKind.AFFILIATION, apply=apply_affiliation_request)
        workflow.register_kind(RequestKind.REACTIVATION, apply=apply_reactivation_request)

        from accounts import hooks

        from . import selectors, services

        hooks.register_deactivation_blocker(services.main_manager_blockers)
        hooks.register_on_deactivate(services.on_user_deactivated)
        hooks.register_on_reactivate(services.on_user_reactivated)
        hooks.register_photo_audience(selectors.colleagues_condition)

        from . import page_refresh

        page_refresh.connect()
