"""The mail queue's record of each mail: what to send, and what became of it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Given up")


class OutgoingMail(models.Model):
    """One mail, written in the transaction of the change that causes it.

    The delivery task moves it queued → sending → sent with conditional updates,
    so it is handed to the SMTP server at most once; a failed attempt puts it
    back to queued with the time of the next attempt, until it is given up.
    The body is wiped once the mail is sent or given up: a login code or a
    link does not stay in the database, and the admin never shows a body.
    """

    # One address a line (an address never holds a line break: refused when queued).
    to = models.TextField(_("recipients"))
    subject = models.CharField(_("subject"), max_length=998)
    body = models.TextField(_("text"), blank=True)
    # Empty: the HTML part is the portal's layout around the text, made when sent.
    html = models.TextField(_("HTML"), blank=True)
    language = models.CharField(_("language"), max_length=5)
    template = models.CharField(_("template"), max_length=200, blank=True)
    priority = models.SmallIntegerField(_("priority"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=MailStatus.choices, default=MailStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    give_up_at = models.DateTimeField(_("given up after"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("mail")
        verbose_name_plural = _("mails")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{', '.join(self.recipients)}: {self.subject}"

    @property
    def recipients(self) -> list[str]:
        return [address for address in self.to.split("\n") if address]
