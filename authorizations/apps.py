from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuthorizationsConfig(AppConfig):
    name = "authorizations"
    verbose_name = _("Authorizations")

    def ready(self):
        from affiliations import permissions, selectors, services, workflow
        from affiliations.models import RequestKind

        from . import services as profile_services

        workflow.register_kind(
            RequestKind.AUTHORIZATION, apply=profile_services.apply_authorization_request
        )
        permissions.register_manager_source(profile_services.organisation_managers_source)
        permissions.register_manager_exists(profile_services.organisation_manager_exists)
        services.register_after_attach(profile_services.open_default_profiles)
        services.register_after_detach(profile_services.prune_after_detach)
        from .selectors import annotate_members

        selectors.register_member_annotator(annotate_members)
        selectors.register_request_prefetch("authorization_lines")

        from . import page_refresh

        page_refresh.connect()
