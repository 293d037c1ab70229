from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MfaConfig(AppConfig):
    name = "mfa"
    verbose_name = _("Multi-factor authentication")

    def ready(self):
        from accounts import hooks

        from .factors import register_events
        from .login_modes import after_password_login, lift_app_lock_after_password_reset
        from .services import lift_locks_after_password_reset, unlock_by_staff, void_codes

        register_events()

        # After the password step, open the factor step in the person's default
        # mode (the first e-mail code is mailed only in e-mail mode).
        hooks.register_after_password_login(after_password_login)
        hooks.register_on_deactivate(void_codes)
        hooks.register_on_password_reset(lift_locks_after_password_reset)
        hooks.register_on_password_reset(lift_app_lock_after_password_reset)
        hooks.register_on_unlock(unlock_by_staff)
