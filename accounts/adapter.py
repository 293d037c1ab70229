from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY

from accounts import hooks
from activity.models import Action
from activity.services import log_event
from chorus_portal.mail import queue_rendered_mail
from chorus_portal.text import without_refused


@dataclass(frozen=True)
class PortalSite:
    """What allauth's mail templates read as `current_site` (sites framework not used)."""

    name: str
    domain: str


class PortalAccountAdapter(DefaultAccountAdapter):
    """allauth's override point: audit trail, queued mails, the user's language."""

    def pre_authenticate(self, request, **credentials):
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            log_event(
                Action.LOGIN_LOCKED,
                request=request,
                subject=self._user_for(credentials),
            )
            raise

    def authentication_failed(self, request, **credentials):
        super().authentication_failed(request, **credentials)
        log_event(Action.LOGIN_FAILED, request=request, subject=self._user_for(credentials))

    def login(self, request, user):
        super().login(request, user)
        log_event(Action.LOGIN_SUCCEEDED, request=request, actor=user)
        hooks.after_password_login(request, user)

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
            recipient = User.objects.filter(email__iexact=email).only("language").first()
        language = getattr(recipient, "language", "") or translation.get_language()
        with translation.override(language):
            message = self.render_mail(template_prefix, email, ctx)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = content
        queue_rendered_mail(
            to=list(message.to), subject=message.subject, body=message.body, html=html
        )

    @staticmethod
    def _user_for(credentials):
        from accounts.models import User

        email = (credentials.get("email") or credentials.get("username") or "").strip()
        if not email or len(email) > 254:
            return None
        return User.objects.filter(email__iexact=email).first()
