from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chorus_portal.choices import ChoiceLabels

from .identifiers import IdentifierType, normalise_identifier, validate_identifier
from .search import fold, words


def structure_search_text(identifier: str, company_name: str) -> str:
    """What the structure search matches: the words of the identifier and the company
    name, folded, separated by single spaces.

    The kind and the identifier type are columns of their own: a word naming one of
    them filters on it (see selectors.search_structures) instead of matching text
    that every other structure also carries."""
    return " ".join(words(f"{identifier} {company_name}"))


def service_search_text(code: str, name: str) -> str:
    return fold(f"{code} {name}")


class StructureKind(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")


class StructureStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")


class Structure(ChoiceLabels, models.Model):
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
    # Identifier and company name, lower-cased without accents: what the structure
    # search matches, the same way on SQLite and PostgreSQL.
    search_text = models.TextField(editable=False, default="")

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["company_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["identifier_type", "identifier"],
                name="structure_identifier_unique",
                violation_error_message=_("A structure with this identifier already exists."),
            )
        ]
        indexes = [
            # An identifier alone (the admin's filters and searches, the CSV import's
            # duplicate check) is found by index, whatever its type.
            models.Index(fields=["identifier"], name="structure_identifier_idx"),
            # The default order (lists, the admin): read in order, never sorted whole.
            models.Index(fields=["company_name", "id"], name="structure_name_order"),
        ]

    def __str__(self):
        return f"{self.company_name} ({self.identifier})"

    def save(self, *args, **kwargs):
        self.search_text = self.build_search_text()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    def build_search_text(self) -> str:
        """What the structure search matches (the CSV import computes it too)."""
        return structure_search_text(self.identifier, self.company_name)

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
    search_text = models.TextField(editable=False, default="")

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["code", "id"]
        # The default order (the admin's list of 100,000 services): read in order.
        indexes = [models.Index(fields=["code", "id"], name="service_code_order")]
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "code"],
                name="service_code_unique",
                violation_error_message=_("This structure already has a service with this code."),
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="service_validity_order",
                violation_error_message=_("The end of validity cannot precede its start."),
            ),
        ]

    def __str__(self):
        return f"{self.code} — {self.name}"

    def save(self, *args, **kwargs):
        self.search_text = service_search_text(self.code, self.name)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError(
                {"valid_until": _("The end of validity cannot precede its start.")}
            )


class Role(models.TextChoices):
    MAIN_MANAGER = "main_manager", _("Main manager")
    USER = "user", _("User")


class AffiliationStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DEACTIVATED = "deactivated", _("Deactivated")
    DELETED = "deleted", _("Deleted")


class AffiliationQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=AffiliationStatus.ACTIVE)


class Affiliation(ChoiceLabels, models.Model):
    """A user attached to a structure: to all of it, or to some of its services."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="affiliations",
    )
    structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure"),
        on_delete=models.CASCADE,
        related_name="affiliations",
    )
    whole_structure = models.BooleanField(_("whole structure"), default=True)
    services = models.ManyToManyField(
        Service, verbose_name=_("services"), blank=True, related_name="affiliations"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.USER)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AffiliationStatus.choices,
        default=AffiliationStatus.ACTIVE,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AffiliationQuerySet.as_manager()

    class Meta:
        verbose_name = _("affiliation")
        verbose_name_plural = _("affiliations")
        ordering = ["structure__company_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["structure"],
                condition=models.Q(role="main_manager", status="active"),
                name="one_active_main_manager_per_structure",
                violation_error_message=_("This structure already has a main manager."),
            ),
            models.UniqueConstraint(
                fields=["user", "structure"],
                condition=models.Q(status="active"),
                name="one_active_affiliation_per_user_and_structure",
                violation_error_message=_(
                    "This person is already attached to this structure: change that "
                    "affiliation instead."
                ),
            ),
        ]
        indexes = [models.Index(fields=["structure", "status"])]

    def __str__(self):
        return f"{self.user} → {self.structure}"

    @property
    def is_main_manager(self) -> bool:
        return self.role == Role.MAIN_MANAGER and self.status == AffiliationStatus.ACTIVE


class RequestKind(models.TextChoices):
    AFFILIATION = "affiliation", _("Affiliation")
    AUTHORIZATION = "authorization", _("Authorizations")
    DEACTIVATION = "deactivation", _("Account deactivation")
    REACTIVATION = "reactivation", _("Account reactivation")
    LOGIN_ADDRESS = "login_address", _("Change of login address")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending validation")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


class Request(ChoiceLabels, models.Model):
    """One request of any kind, decided once through one state machine (see workflow.py)."""

    kind = models.CharField(
        pgettext_lazy("request", "kind"), max_length=20, choices=RequestKind.choices
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.CASCADE,
        related_name="requests",
    )
    structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="requests",
    )
    whole_structure = models.BooleanField(_("whole structure"), default=True)
    services = models.ManyToManyField(
        Service, verbose_name=_("services"), blank=True, related_name="requests"
    )
    comment = models.TextField(_("comment"), max_length=2000)
    fingerprint = models.CharField(max_length=64, editable=False)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RequestStatus.choices,
        default=RequestStatus.PENDING,
    )
    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    refusal_reason = models.TextField(_("refusal reason"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "fingerprint"],
                condition=models.Q(status="pending"),
                name="no_duplicate_pending_request",
                violation_error_message=_("The same request is already pending."),
            ),
        ]
        indexes = [
            models.Index(fields=["requester", "-created_at"]),
            models.Index(fields=["structure", "status"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


class ImportStatus(models.TextChoices):
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Checked")
    IMPORTING = "importing", _("Importing")
    IMPORTED = "imported", _("Imported")
    FAILED = "failed", _("Failed")


class StructureImport(models.Model):
    """A CSV file of structures uploaded by staff: checked first (a dry run whose
    report lists every refused line), then imported when staff confirm."""

    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    file = models.FileField(_("file"), upload_to="imports/structures/", blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    language = models.CharField(max_length=5, default="fr")
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.CHECKING
    )
    total_bytes = models.BigIntegerField(_("size (bytes)"), default=0)
    processed_bytes = models.BigIntegerField(default=0)
    lines = models.PositiveIntegerField(_("lines read"), default=0)
    valid = models.PositiveIntegerField(_("valid lines"), default=0)
    error_count = models.PositiveIntegerField(_("refused lines"), default=0)
    created = models.PositiveIntegerField(_("structures created"), default=0)
    # The first refused lines: [[line number, [messages]], ...].
    errors = models.JSONField(default=list, blank=True)
    failure = models.TextField(_("file error"), blank=True)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("structure import")
        verbose_name_plural = _("structure imports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.file_name

    @property
    def percent(self) -> int:
        if not self.total_bytes:
            return 0
        return min(100, self.processed_bytes * 100 // self.total_bytes)
