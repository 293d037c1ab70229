from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _


class AddressChange(models.Model):
    """What a change of login address needs beyond its request: the new address and
    the hash of the link's token. The state (pending, approved by the person's own
    confirmation, cancelled, expired, refused) is the request's."""

    request = models.OneToOneField(
        "affiliations.Request",
        verbose_name=_("request"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="login_address_change",
    )
    new_email = models.EmailField(_("new login address"), max_length=254)
    # Filled when the change completes, for the history and the admin.
    old_email = models.EmailField(_("former login address"), max_length=254, blank=True)
    # SHA-256 of the random token carried by the link; the token itself is never stored.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        verbose_name = _("change of login address")
        verbose_name_plural = _("changes of login address")

    def __str__(self):
        return f"{self.request_id} → {self.new_email}"

    @property
    def expires_at(self) -> datetime:
        from .services import LIFETIME

        return self.request.created_at + LIFETIME
