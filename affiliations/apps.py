from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AffiliationsConfig(AppConfig):
    name = "affiliations"
    verbose_name = _("Structures and affiliations")

    def ready(self):
        from . import workflow
        from .models import RequestKind
        from .services import apply_affiliation_request

        workflow.register_kind(RequestKind.AFFILIATION, apply=apply_affiliation_request)
