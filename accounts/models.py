from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorus_portal.text import validate_multiline, validate_one_line

from .emails import NOT_ASCII_MESSAGE, clean_email, is_plain_ascii, lookup_key, normalize_email


class Language(models.TextChoices):
    FRENCH = "fr", _("French")
    ENGLISH = "en", _("English")


NOTIFICATION_FIELDS = [
    ("notify_transferability", _("Certificates of transferability")),
    ("notify_commitments", _("Commitments")),
    ("notify_invoicing", _("CPRO Invoicing")),
]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        email = clean_email(email)
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        # Exact match on the normal form: never a database's case folding,
        # which maps look-alike letters onto plain ones.
        email = lookup_key(username)
        if email is None:
            raise self.model.DoesNotExist
        return self.get(email=email)

    def for_login(self, typed: str | None):
        """The user whose login address is `typed` (normalised), or None."""
        email = lookup_key(typed)
        if email is None:
            return None
        return self.filter(email=email).first()


class User(AbstractBaseUser, PermissionsMixin):
    """A person using the portal. The e-mail address is the login."""

    email = models.EmailField(_("login e-mail address"), max_length=254, unique=True)
    first_name = models.CharField(
        _("first name"), max_length=150, blank=True, validators=[validate_one_line]
    )
    last_name = models.CharField(
        _("last name"), max_length=150, blank=True, validators=[validate_one_line]
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True, validators=[validate_one_line])
    street = models.CharField(
        _("street"), max_length=255, blank=True, validators=[validate_one_line]
    )
    address_complement = models.CharField(
        _("address complement"), max_length=255, blank=True, validators=[validate_one_line]
    )
    postal_code = models.CharField(
        _("postal code"), max_length=16, blank=True, validators=[validate_one_line]
    )
    city = models.CharField(_("city"), max_length=128, blank=True, validators=[validate_one_line])
    country = models.CharField(_("country"), max_length=2, blank=True, default="FR")
    photo = models.FileField(_("photo"), upload_to="photos/", blank=True, editable=False)
    biography = models.TextField(
        _("biography"), max_length=2000, blank=True, validators=[validate_multiline]
    )
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.FRENCH
    )
    accessibility_enabled = models.BooleanField(_("accessibility enabled"), default=False)
    survey_consent = models.BooleanField(_("consent to satisfaction surveys"), default=False)
    notify_transferability = models.BooleanField(
        _("notifications: certificates of transferability"), default=False
    )
    notify_commitments = models.BooleanField(_("notifications: commitments"), default=False)
    notify_invoicing = models.BooleanField(_("notifications: CPRO Invoicing"), default=False)
    notify_weekly_summary = models.BooleanField(
        _("weekly summary of the movements on my structures"), default=False
    )
    # Raised to end every session of the user at once (deactivation, staff action).
    session_generation = models.PositiveIntegerField(default=0, editable=False)
    # Consecutive failed password logins: increasing delays, then a lock at
    # LOGIN_MAX_FAILURES that only a completed password reset lifts.
    login_failure_count = models.PositiveIntegerField(
        _("consecutive failed logins"), default=0, editable=False
    )
    login_failure_at = models.DateTimeField(
        _("last failed login"), null=True, blank=True, editable=False
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "email"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                violation_error_message=_("An account with this e-mail address already exists."),
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.email

    def clean(self):
        super().clean()
        self.email = normalize_email(self.email)
        if self.email and not is_plain_ascii(self.email):
            raise ValidationError({"email": NOT_ASCII_MESSAGE})

    def get_full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part).strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def notification_choices(self) -> list[str]:
        return [str(label) for field, label in NOTIFICATION_FIELDS if getattr(self, field)]

    @property
    def initials(self) -> str:
        letters = (self.first_name[:1] + self.last_name[:1]) or self.email[:1]
        return letters.upper()


class UserSession(models.Model):
    """Which sessions belong to whom: the index behind "My active sessions".

    One row per signed-in session, written when the session first answers signed
    in and touched at most once a minute. It goes with its Django session row
    (ended, flushed or cleared as expired), so ending a session anywhere ends it on
    every web node. The session key never leaves the server: pages and forms use
    the row's own id.
    """

    session = models.OneToOneField(
        "sessions.Session", on_delete=models.CASCADE, related_name="+", editable=False
    )
    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="sessions"
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser (User-Agent)"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("signed in at"))
    last_seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-last_seen_at", "-id"]

    def __str__(self):
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"
