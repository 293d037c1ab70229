"""Second-factor devices.

The e-mail device is a django-otp device (throttling with an increasing delay,
resend cooldown, timestamps). Its code is never stored: only a keyed digest of
the code *and of the login attempt that asked for it*, so a code mailed to one
login attempt cannot complete another.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import CooldownMixin, Device, ThrottlingMixin, TimestampMixin


class EmailDevice(TimestampMixin, ThrottlingMixin, CooldownMixin, Device):
    code_digest = models.CharField(max_length=128, blank=True, default="")
    code_valid_until = models.DateTimeField(null=True, blank=True)
    locked_at = models.DateTimeField(
        _("locked at"),
        null=True,
        blank=True,
        help_text=_("Set when the hard cap of failed codes is reached; staff unlock it."),
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

    def get_cooldown_duration(self):
        from django.conf import settings

        return settings.MFA_EMAIL_RESEND_COOLDOWN

    def verify_token(self, token):
        # A code is only valid together with its login attempt: see
        # mfa.services.verify_email_code. Nothing verifies without it.
        return False
