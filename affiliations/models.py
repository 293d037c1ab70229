from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .identifiers import IdentifierType, normalise_identifier, validate_identifier


class StructureKind(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")


class StructureStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")


class Structure(models.Model):
    """A company or an administration known to Chorus Pro."""

    identifier_type = models.CharField(
        _("identifier type"),
        max_length=20,
        choices=IdentifierType.choices,
        default=IdentifierType.SIRET,
    )
    identifier = models.CharField(_("identifier"), max_length=80)
    company_name = models.CharField(_("company name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=10, choices=StructureKind.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=StructureStatus.choices,
        default=StructureStatus.ACTIVE,
    )
    street = models.CharField(_("street"), max_length=255, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=128, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FR")
    service_code_required = models.BooleanField(_("service code required"), default=False)
    engagement_number_required = models.BooleanField(_("engagement number required"), default=False)

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["company_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["identifier_type", "identifier"], name="structure_identifier_unique"
            )
        ]

    def __str__(self):
        return f"{self.company_name} ({self.identifier})"

    def clean(self):
        super().clean()
        self.identifier = normalise_identifier(self.identifier_type, self.identifier)
        try:
            validate_identifier(self.identifier_type, self.identifier)
        except ValidationError as error:
            raise ValidationError({"identifier": error}) from None


class Service(models.Model):
    structure = models.ForeignKey(
        Structure, verbose_name=_("structure"), on_delete=models.CASCADE, related_name="services"
    )
    code = models.CharField(_("code"), max_length=100)
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    engagement_number_required = models.BooleanField(_("engagement number required"), default=False)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "code"], name="service_code_unique"),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="service_validity_order",
            ),
        ]

    def __str__(self):
        return f"{self.code} — {self.name}"

    def clean(self):
        super().clean()
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError(
                {"valid_until": _("The end of validity cannot precede its start.")}
            )
