"""The append-only activity log: who did what, to whom, from where.

Rows are written once and never changed; the admin shows them read-only. The
only deletion is the daily purge of entries older than their retention period
(`purge_before`, see chorus_portal.retention). No secret (password, code, key,
token) is ever stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    LOGIN_SUCCEEDED = "login.succeeded", _("Login (password) succeeded")
    LOGIN_FAILED = "login.failed", _("Login failed")
    LOGIN_LOCKED = "login.locked", _("Login locked out")
    ACCOUNT_LOCKED = "login.account_locked", _("Account locked after too many failed logins")
    LOGOUT = "logout", _("Logout")
    SIGNUP = "signup", _("Account created")
    EMAIL_CONFIRMED = "email.confirmed", _("E-mail address confirmed")
    PASSWORD_RESET = "password.reset", _("Password reset")
    PASSWORD_RESET_WITHHELD = (
        "password.reset_withheld",
        _("Lost-password mail withheld (limit reached)"),
    )
    FACTOR_CODE_SENT = "factor.code_sent", _("Second-factor code sent")
    FACTOR_SUCCEEDED = "factor.succeeded", _("Second factor succeeded")
    FACTOR_FAILED = "factor.failed", _("Second factor failed")
    FACTOR_LOCKED = "factor.locked", _("Second factor locked out")
    FACTOR_UNLOCKED = "factor.unlocked", _("Second factor unlocked")
    REQUEST_SUBMITTED = "request.submitted", _("Request submitted")
    REQUEST_APPROVED = "request.approved", _("Request approved")
    REQUEST_REFUSED = "request.refused", _("Request refused")
    REQUEST_CANCELLED = "request.cancelled", _("Request cancelled")
    REQUEST_EXPIRED = "request.expired", _("Request expired")
    AFFILIATION_GRANTED = "affiliation.granted", _("Affiliation granted")
    AFFILIATION_DETACHED = "affiliation.detached", _("Detached from a structure or services")
    ROLE_TRANSFERRED = "affiliation.role_transferred", _("Main manager role transferred")
    ACCOUNT_UPDATED = "account.updated", _("Personal information changed")
    PHOTO_CHANGED = "account.photo_changed", _("Photo changed")
    PHOTO_REMOVED = "account.photo_removed", _("Photo removed")
    NOTIFICATIONS_CHANGED = "account.notifications", _("Notification preferences changed")
    PREFERENCES_CHANGED = "account.preferences", _("User preferences changed")
    ACCOUNT_DEACTIVATED = "account.deactivated", _("Account deactivated")
    ACCOUNT_REACTIVATED = "account.reactivated", _("Account reactivated")
    PROFILE_GRANTED = "profile.granted", _("Profile granted")
    PROFILE_CHANGED = "profile.changed", _("Profile changed")
    PROFILE_REMOVED = "profile.removed", _("Profile removed")
    PASSWORD_CHANGED = "password.changed", _("Password changed")
    PASSWORD_CHANGE_FAILED = "password.change_failed", _("Password change refused")
    APP_ADDED = "factor.app_added", _("Authenticator application added")
    APP_REMOVED = "factor.app_removed", _("Authenticator application removed")
    KEY_ADDED = "factor.key_added", _("Security key added")
    KEY_REMOVED = "factor.key_removed", _("Security key removed")
    DEFAULT_MODE_CHANGED = "factor.default_mode", _("Default connection mode changed")
    FACTORS_RESET = "factor.reset", _("Application and security keys reset by staff")
    SESSIONS_ENDED = "account.sessions_ended", _("Sessions ended by staff")
    ACCOUNT_UNLOCKED = "account.unlocked", _("Account unlocked by staff")
    STRUCTURES_IMPORTED = "structures.imported", _("Structures imported from a CSV file")
    NOTIFICATION_PUBLISHED = "notification.published", _("Notification published")
    SUMMARIES_QUEUED = "summary.queued", _("Weekly summaries queued")
    LOGIN_ADDRESS_CHANGED = "account.login_address", _("Login address changed")
    SESSION_ENDED = "session.ended", _("Session ended")
    OTHER_SESSIONS_ENDED = "session.ended_others", _("Other sessions ended")
    DATA_PURGED = "data.purged", _("Expired personal data deleted")


class AppendOnlyError(RuntimeError):
    pass


class ActivityLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The activity log is append-only.")

    def delete(self):
        raise AppendOnlyError("The activity log is append-only.")

    def purge_before(self, cutoff) -> int:
        """The one deletion the portal makes: entries past their retention period
        (chorus_portal.retention). Returns the number of entries deleted."""
        deleted, _ = models.QuerySet.delete(self.filter(created_at__lt=cutoff))
        return deleted


class ActivityLog(models.Model):
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("subject"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activity",
    )
    # A plain id, not a foreign key: the log sits below the structures in the
    # dependency order and must outlive what it mentions.
    structure_id = models.BigIntegerField(_("structure"), null=True, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = ActivityLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity log entry")
        verbose_name_plural = _("activity log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subject", "-created_at"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("The activity log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The activity log is append-only.")
