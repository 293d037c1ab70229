from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from allauth.account.signals import password_reset

        password_reset.connect(_password_reset_done, dispatch_uid="accounts.password_reset")


def _password_reset_done(sender, request, user, **kwargs):
    """A completed reset proves the owner: every lock on the account lifts."""
    from . import hooks, lockout

    lockout.lift_after_password_reset(user)
    hooks.on_password_reset(user=user, request=request)
