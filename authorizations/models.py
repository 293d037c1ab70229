"""The catalogue of applications and levels, and the profiles users hold."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from affiliations.models import Request, Service, Structure


class Application(models.TextChoices):
    ISSUED_INVOICES = "issued_invoices", _("Issued invoices")
    RECEIVED_INVOICES = "received_invoices", _("Received invoices")
    WORKS_INVOICES = "works_invoices", _("Works invoices")
    INVOICES_TO_VALIDATE = "invoices_to_validate", _("Invoices to validate")
    JUSTICE_EXPENSES = "justice_expenses", _("Justice expense statements")
    ISSUED_REQUESTS = "issued_requests", _("Issued requests")
    RECEIVED_REQUESTS = "received_requests", _("Received requests")
    COMMITMENTS = "commitments", _("Commitments")
    TRANSFERABILITY = "transferability", _("Certificates of transferability")
    ORGANISATION = "organisation", _("Organisation")
    CONNECTIONS = "connections", _("Connections")


class Level(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    MODIFICATION = "modification", _("Modification")


LEVEL_RANK = {Level.CONSULTATION: 1, Level.MODIFICATION: 2}


def profile_label(application: str, level: str) -> str:
    return f"{Application(application).label} – {Level(level).label}"


class Authorization(models.Model):
    """A profile: `user` may use `application` at `level` on a structure or one service."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="authorizations",
    )
    structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure"),
        on_delete=models.CASCADE,
        related_name="authorizations",
    )
    service = models.ForeignKey(
        Service,
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="authorizations",
    )
    application = models.CharField(_("application"), max_length=30, choices=Application.choices)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("authorization")
        verbose_name_plural = _("authorizations")
        ordering = ["structure__company_name", "service__code", "application"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "structure", "application"],
                condition=models.Q(service__isnull=True),
                name="one_structure_profile_per_application",
                violation_error_message=_(
                    "This person already has a profile for this application here: change it "
                    "instead."
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "structure", "service", "application"],
                condition=models.Q(service__isnull=False),
                name="one_service_profile_per_application",
                violation_error_message=_(
                    "This person already has a profile for this application here: change it "
                    "instead."
                ),
            ),
        ]
        indexes = [models.Index(fields=["user", "structure"])]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return profile_label(self.application, self.level)


class AuthorizationRequestLine(models.Model):
    """One profile asked for in an authorization request."""

    request = models.ForeignKey(
        Request, on_delete=models.CASCADE, related_name="authorization_lines"
    )
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.CASCADE)
    application = models.CharField(_("application"), max_length=30, choices=Application.choices)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)

    class Meta:
        verbose_name = _("requested profile")
        verbose_name_plural = _("requested profiles")
        ordering = ["id"]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return profile_label(self.application, self.level)
