"""Events published by the other Chorus Pro applications, the weekly summary's
markers, and the managers' request digests."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from affiliations.models import Service, Structure
from authorizations.models import Application
from chorus_portal.text import validate_one_line


class NotificationApplication(models.TextChoices):
    """The applications a person may subscribe to (My account, "Set up your notifications")."""

    TRANSFERABILITY = "transferability", _("Certificates of transferability")
    COMMITMENTS = "commitments", _("Commitments")
    INVOICING = "invoicing", _("CPRO Invoicing")


# The preference on the User that subscribes to each application.
PREFERENCE_FIELD = {
    NotificationApplication.TRANSFERABILITY: "notify_transferability",
    NotificationApplication.COMMITMENTS: "notify_commitments",
    NotificationApplication.INVOICING: "notify_invoicing",
}

# The profiles (authorization applications) that give access to each one.
PROFILE_APPLICATIONS = {
    NotificationApplication.TRANSFERABILITY: [Application.TRANSFERABILITY],
    NotificationApplication.COMMITMENTS: [Application.COMMITMENTS],
    NotificationApplication.INVOICING: [
        Application.ISSUED_INVOICES,
        Application.RECEIVED_INVOICES,
        Application.WORKS_INVOICES,
        Application.INVOICES_TO_VALIDATE,
        Application.JUSTICE_EXPENSES,
    ],
}


class Event(models.Model):
    """Something that happened in another application, told to its subscribers."""

    application = models.CharField(
        _("application"), max_length=20, choices=NotificationApplication.choices
    )
    structure = models.ForeignKey(
        Structure, verbose_name=_("structure"), on_delete=models.CASCADE, related_name="+"
    )
    service = models.ForeignKey(
        Service,
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.SlugField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=200, validators=[validate_one_line])
    link = models.URLField(
        _("link"), max_length=500, validators=[URLValidator(schemes=["https", "http"])]
    )
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-published_at", "-id"]

    def __str__(self):
        return f"{self.get_application_display()}: {self.title}"


class SummarySent(models.Model):
    """One row per person and week: written with the queued summary, so a second
    run, or a run restarted after a crash, never sends that week's summary again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(_("week starting"))
    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("weekly summary sent")
        verbose_name_plural = _("weekly summaries sent")
        constraints = [
            models.UniqueConstraint(fields=["user", "week"], name="one_summary_per_user_and_week")
        ]

    def __str__(self):
        return f"{self.user_id} {self.week.isoformat()}"


class ManagerDigest(models.Model):
    """When a manager was last told of new requests, and whether a mail is on its way."""

    manager = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    # The digest task is queued for this time; empty when none is pending.
    scheduled_for = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("managers' digest")
        verbose_name_plural = _("managers' digests")

    def __str__(self):
        return f"{self.manager_id} {self.scheduled_for or self.last_sent_at or ''}"
