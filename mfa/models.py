"""Second-factor devices.

The e-mail device is a django-otp device (throttling with an increasing delay,
timestamps). Its codes are never stored: each login attempt has its own row
holding a keyed digest of the code *and of that attempt*, so a code mailed to
one login attempt cannot complete another, and a new attempt (someone else's
password step) never cancels the code of the attempt in progress.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin


class EmailDevice(TimestampMixin, ThrottlingMixin, Device):
    locked_at = models.DateTimeField(
        _("locked at"),
        null=True,
        blank=True,
        help_text=_("Set when too many wrong codes in a row lock the factor."),
    )
    locked_until = models.DateTimeField(
        _("locked until"),
        null=True,
        blank=True,
        help_text=_(
            "The lock lifts by itself at this time. Empty while locked: locked until a "
            "password reset or staff unlock it."
        ),
    )

    class Meta:
        verbose_name = _("e-mail code device")
        verbose_name_plural = _("e-mail code devices")
        constraints = [
            models.UniqueConstraint(fields=["user"], name="mfa_one_email_device_per_user"),
        ]

    def get_throttle_factor(self):
        from django.conf import settings

        return settings.MFA_THROTTLE_FACTOR

    def verify_is_allowed(self):
        """django-otp's doubling delay after each failure, capped (its own cap is
        a century: with failures that never reset, that would be a lock for good)."""
        from datetime import timedelta

        from django.conf import settings
        from django.utils import timezone

        count = self.throttling_failure_count
        if self.throttling_enabled and count > 0 and self.throttling_failure_timestamp:
            delay = min(
                self.get_throttle_factor() * (2 ** min(count - 1, 30)),
                settings.MFA_THROTTLE_MAX_DELAY,
            )
            until = self.throttling_failure_timestamp + timedelta(seconds=delay)
            if timezone.now() < until:
                return False, {"failure_count": count, "locked_until": until}
        return True, None

    def lock_state(self, now):
        """None when usable; otherwise the time the lock lifts (None: until a reset)."""
        if self.locked_at is None:
            return None
        if self.locked_until is None:
            return "reset"
        if now < self.locked_until:
            return self.locked_until
        return None

    def verify_token(self, token):
        # A code is only valid together with its login attempt: see
        # mfa.services.verify_email_code. Nothing verifies without it.
        return False


class EmailCode(models.Model):
    """The code mailed to one login attempt: digests only, single use."""

    device = models.ForeignKey(EmailDevice, on_delete=models.CASCADE, related_name="codes")
    # SHA-256 of the login attempt's random id (the id itself lives in the session).
    attempt = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)
    sent_at = models.DateTimeField()
    valid_until = models.DateTimeField()

    class Meta:
        verbose_name = _("e-mail code")
        verbose_name_plural = _("e-mail codes")
        constraints = [
            models.UniqueConstraint(fields=["device", "attempt"], name="mfa_one_code_per_attempt"),
        ]

    def __str__(self):
        return f"{self.device} ({self.sent_at:%Y-%m-%d %H:%M})"


class LoginMode(models.TextChoices):
    """The ways to pass the second factor; e-mail is always available."""

    EMAIL = "email", _("E-mail code")
    APP = "app", _("Authenticator application")
    KEY = "key", _("Security key")


class FactorPreference(models.Model):
    """The person's default connection mode, chosen on My multi-factor authentication."""

    user = models.OneToOneField(
        "accounts.User",
        on_delete=models.CASCADE,
        related_name="factor_preference",
        verbose_name=_("user"),
    )
    default_mode = models.CharField(
        _("default connection mode"),
        max_length=8,
        choices=LoginMode.choices,
        default=LoginMode.EMAIL,
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("connection mode preference")
        verbose_name_plural = _("connection mode preferences")

    def __str__(self):
        return f"{self.user_id}: {self.default_mode}"


class AppLock(models.Model):
    """An authenticator application locked after wrong codes: the e-mail factor's rules
    (every MFA_MAX_FAILURES failures a lock that doubles, until a password reset past
    MFA_HARD_CAP). Its failure count and delays are the device's own throttling fields."""

    device = models.OneToOneField(
        "otp_totp.TOTPDevice",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="portal_lock",
        verbose_name=_("authenticator application"),
    )
    locked_at = models.DateTimeField(_("locked at"))
    locked_until = models.DateTimeField(
        _("locked until"),
        null=True,
        blank=True,
        help_text=_("Empty: locked until a password reset or staff reset the application."),
    )

    class Meta:
        verbose_name = _("authenticator application lock")
        verbose_name_plural = _("authenticator application locks")

    def __str__(self):
        return f"{self.device_id}: {self.locked_until or 'reset'}"

    def lock_state(self, now):
        """None when usable; otherwise the time the lock lifts ("reset": until a reset)."""
        if self.locked_until is None:
            return "reset"
        if now < self.locked_until:
            return self.locked_until
        return None
