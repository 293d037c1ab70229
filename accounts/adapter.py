from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django_otp import DEVICE_ID_SESSION_KEY

from accounts import emails, hooks, inactive, lockout
from activity.models import Action
from activity.services import log_event
from chorus_portal.mail import queue_mail, queue_rendered_mail
from chorus_portal.text import without_refused


@dataclass(frozen=True)
class PortalSite:
    """What allauth's mail templates read as `current_site` (sites framework not used)."""

    name: str
    domain: str


class PortalAccountAdapter(DefaultAccountAdapter):
    """allauth's override point: audit trail, queued mails, the user's language."""

    def clean_email(self, email):
        # Signup, lost password: one normal form, plain ASCII (accounts.emails).
        return emails.clean_email(super().clean_email(email))

    def _get_login_attempts_cache_key(self, request, **credentials):
        # Per account: keyed on the user when the address exists, so that no
        # spelling of an address gets a rate-limit bucket of its own.
        user = self._user_for(credentials, request)
        if user is not None:
            return f"user:{user.pk}"
        typed = credentials.get("email") or credentials.get("username") or ""
        return f"address:{emails.normalize_email(typed)}"

    def pre_authenticate(self, request, **credentials):
        user = self._user_for(credentials, request)
        try:
            super().pre_authenticate(request, **credentials)
            if user is not None and lockout.login_blocked(user, timezone.now()):
                # The same answer as allauth's own limit: nothing tells an
                # attacker whether the account exists or is locked.
                raise self.validation_error("too_many_login_attempts")
        except ValidationError:
            log_event(Action.LOGIN_LOCKED, request=request, subject=user)
            raise

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None:
            lockout.login_succeeded(user)
        return user

    def authentication_failed(self, request, **credentials):
        super().authentication_failed(request, **credentials)
        user = self._user_for(credentials, request)
        log_event(Action.LOGIN_FAILED, request=request, subject=user)
        if user is not None and lockout.login_failed(user, timezone.now()):
            log_event(Action.ACCOUNT_LOCKED, request=request, subject=user)
            _mail_account_locked(user)

    def add_message(self, request, level, message_template=None, *args, **kwargs):
        # "Signed in as <name>" would show the holder's name to whoever has
        # only the password: nothing is said before the second factor.
        if message_template == "account/messages/logged_in.txt":
            return
        super().add_message(request, level, message_template, *args, **kwargs)

    def login(self, request, user):
        super().login(request, user)
        log_event(Action.LOGIN_SUCCEEDED, request=request, actor=user)
        _adopt_login_page_language(request, user)
        hooks.after_password_login(request, user)

    def respond_user_inactive(self, request, user):
        # The password was right: this browser may ask for the account's reactivation
        # for a short while (accounts.inactive), and learns nothing else about it.
        inactive.remember(request, user)
        return super().respond_user_inactive(request, user)

    def get_login_redirect_url(self, request):
        target = super().get_login_redirect_url(request)
        user = request.user
        if user.is_authenticated and not request.session.get(DEVICE_ID_SESSION_KEY):
            # Straight to the second factor, keeping where the user was going.
            return f"{reverse('mfa:verify')}?{urlencode({REDIRECT_FIELD_NAME: target})}"
        return target

    def logout(self, request):
        if request.user.is_authenticated:
            log_event(Action.LOGOUT, request=request, actor=request.user)
        super().logout(request)

    def confirm_email(self, request, email_address):
        confirmed = super().confirm_email(request, email_address)
        if confirmed:
            log_event(Action.EMAIL_CONFIRMED, request=request, actor=email_address.user)
        return confirmed

    def send_mail(self, template_prefix, email, context):
        """Render allauth's mail in the recipient's language and queue it.

        The context gets what allauth's own `send_mail` adds (the recipient's
        address, the site) with the portal's name as the site's name.
        """
        from accounts.models import User

        request = self.request
        ctx = {
            "request": request,
            "email": email,
            "current_site": PortalSite(
                name=settings.PORTAL_NAME, domain=request.get_host() if request else ""
            ),
            **context,
        }
        # Defence in depth: whatever reached the context (an address typed at
        # signup, a browser's name), no invisible or control character is quoted.
        ctx = {
            key: without_refused(value) if isinstance(value, str) else value
            for key, value in ctx.items()
        }
        recipient = context.get("user")
        if not isinstance(recipient, User):
            recipient = User.objects.for_login(email)
        language = getattr(recipient, "language", "") or translation.get_language()
        with translation.override(language):
            message = self.render_mail(template_prefix, email, ctx)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = content
        queue_rendered_mail(
            to=list(message.to),
            subject=message.subject,
            body=message.body,
            html=html,
            language=language,
            template=template_prefix,
        )

    @staticmethod
    def _user_for(credentials, request=None):
        """The account an attempt names (exact match on the normal form), or None.

        Memoised on the request: the login step asks several times."""
        from accounts.models import User

        typed = credentials.get("email") or credentials.get("username") or ""
        key = emails.lookup_key(typed)
        if key is None:
            return None
        memo = getattr(request, "_portal_login_users", None)
        if memo is None:
            memo = {}
            if request is not None:
                request._portal_login_users = memo
        if key not in memo:
            memo[key] = User.objects.filter(email=key).first()
        return memo[key]


def _adopt_login_page_language(request, user) -> None:
    """The language chosen on the login page (the switch's cookie) is the language after
    login, and becomes the person's preference. Without a choice on this browser (no
    cookie), the stored preference stays."""
    from accounts.services import set_preferences

    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in dict(settings.LANGUAGES) and chosen != user.language:
        set_preferences(user=user, values={"language": chosen}, http_request=request)
    translation.activate(user.language)
    request.LANGUAGE_CODE = user.language


def _mail_account_locked(user) -> None:
    queue_mail(
        to=user.email,
        template_prefix="accounts/email/login_locked",
        context={
            "name": user.get_full_name() or user.email,
            "failures": settings.LOGIN_MAX_FAILURES,
        },
        language=user.language,
    )
