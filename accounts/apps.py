from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from allauth.account.signals import password_reset

        password_reset.connect(_password_reset_done, dispatch_uid="accounts.password_reset")

        from django.db.models.signals import post_delete, post_save

        from .models import User, UserSession

        post_save.connect(_user_saved, sender=User, dispatch_uid="accounts.pages.user")
        post_save.connect(_session_changed, sender=UserSession, dispatch_uid="accounts.pages.s")
        post_delete.connect(_session_changed, sender=UserSession, dispatch_uid="accounts.pages.sd")


# Columns nobody else is shown (a person's own pages key on their whole row anyway).
_UNSEEN_COLUMNS = frozenset(
    {"last_login", "password", "login_failure_count", "login_failure_at", "session_generation"}
)


def _user_saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    """A person's name, address or state shows on their managers' pages."""
    from chorus_portal import page_cache

    if created or raw or (update_fields is not None and set(update_fields) <= _UNSEEN_COLUMNS):
        return
    page_cache.refresh(users=[instance.pk])


def _session_changed(sender, instance, raw=False, **kwargs):
    """My account lists the person's active sessions."""
    from chorus_portal import page_cache

    if not raw:
        page_cache.refresh(users=[instance.user_id], viewers=False)


def _password_reset_done(sender, request, user, **kwargs):
    """A completed reset proves the owner: every lock on the account lifts."""
    from . import hooks, lockout

    lockout.lift_after_password_reset(user)
    hooks.on_password_reset(user=user, request=request)
