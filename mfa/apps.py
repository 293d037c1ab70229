from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MfaConfig(AppConfig):
    name = "mfa"
    verbose_name = _("Multi-factor authentication")

    def ready(self):
        from accounts import hooks

        from .services import lift_locks_after_password_reset, start_login_attempt, void_codes

        # After the password step, open a factor step and mail its first code.
        hooks.register_after_password_login(start_login_attempt)
        hooks.register_on_deactivate(void_codes)
        hooks.register_on_password_reset(lift_locks_after_password_reset)
