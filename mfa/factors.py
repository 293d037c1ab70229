"""My multi-factor authentication: the person's factors and password.

Every change here is made by one function that holds its side effects: the
write, the activity-log entry and the security notice mailed to the person.
The views check the recent re-authentication before calling them.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import django_otp
import qrcode
from allauth.account.internal.flows.reauthentication import reauthenticate_by_password
from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.utils import rewrite_exceptions

from accounts.notices import SecurityEvent, register_event, send_security_notice
from accounts.sessions import end_other_sessions
from activity.models import Action
from activity.services import log_event

from .models import FactorPreference, LoginMode
from .services import email_device_for

TOTP_CODE_RE = re.compile(r"\A\d{6}\Z", re.ASCII)
PENDING_TOTP_SESSION_KEY = "mfa_pending_totp_key"
KEY_REGISTRATION_SESSION_KEY = "mfa_key_registration_state"

EVENTS = {
    "app_added": SecurityEvent(
        _("An authenticator application has been added"),
        _("An authenticator application was added to your Chorus Pro account"),
    ),
    "app_removed": SecurityEvent(
        _("Your authenticator application has been removed"),
        _("The authenticator application of your Chorus Pro account was removed"),
    ),
    "key_added": SecurityEvent(
        _("A security key has been added"),
        _("A security key was added to your Chorus Pro account"),
    ),
    "key_removed": SecurityEvent(
        _("A security key has been removed"),
        _("A security key was removed from your Chorus Pro account"),
    ),
    "default_mode_changed": SecurityEvent(
        _("Your default connection mode has changed"),
        _("The default connection mode of your Chorus Pro account has changed"),
    ),
    "app_locked": SecurityEvent(
        _("Your authenticator application is locked"),
        _(
            "Wrong codes from the authenticator application were entered in a row after "
            "your password: signing in with the application is locked"
        ),
    ),
    "factors_reset": SecurityEvent(
        _("Your application and security keys have been reset"),
        _(
            "The Chorus Pro support removed the authenticator application and the security "
            "keys of your account: you sign in with the code mailed to your login address "
            "until you add new ones"
        ),
        by_staff=True,
    ),
}


def register_events() -> None:
    for name, event in EVENTS.items():
        register_event(name, event)


# --- What the person has --------------------------------------------------------


def _available(has_app: bool, has_key: bool) -> list[str]:
    """The modes a person can use, in the seed's order; e-mail always among them."""
    modes = []
    if has_app:
        modes.append(LoginMode.APP)
    modes.append(LoginMode.EMAIL)
    if has_key:
        modes.append(LoginMode.KEY)
    return modes


@dataclass(frozen=True)
class Factors:
    app: TOTPDevice | None
    keys: list[WebAuthnCredential]
    default_mode: str

    @property
    def modes(self) -> list[str]:
        return _available(self.app is not None, bool(self.keys))


@dataclass(frozen=True)
class Modes:
    """What the factor step needs: which modes, and the default one."""

    modes: list[str]
    default_mode: str


def factors_for(user) -> Factors:
    """For My multi-factor authentication: the app, the keys, the preference (3 queries)."""
    app = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    keys = list(
        WebAuthnCredential.objects.filter(user=user, confirmed=True)
        .only("id", "name", "created_at", "last_used_at", "user_id")
        .order_by("created_at", "pk")
    )
    stored = (
        FactorPreference.objects.filter(user=user).values_list("default_mode", flat=True).first()
    )
    modes = _available(app is not None, bool(keys))
    return Factors(app=app, keys=keys, default_mode=stored if stored in modes else LoginMode.EMAIL)


def modes_for(user) -> Modes:
    """For the factor step: one query, whatever the number of keys."""
    from accounts.models import User

    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            has_app=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            has_key=Exists(WebAuthnCredential.objects.filter(user=OuterRef("pk"), confirmed=True)),
            stored=Subquery(
                FactorPreference.objects.filter(user=OuterRef("pk")).values("default_mode")[:1]
            ),
        )
        .values("has_app", "has_key", "stored")
        .first()
    ) or {"has_app": False, "has_key": False, "stored": None}
    modes = _available(row["has_app"], row["has_key"])
    stored = row["stored"]
    return Modes(modes=modes, default_mode=stored if stored in modes else LoginMode.EMAIL)


def _store_default_mode(user, mode: str) -> bool:
    preference, created = FactorPreference.objects.get_or_create(
        user=user, defaults={"default_mode": mode}
    )
    if not created and preference.default_mode != mode:
        preference.default_mode = mode
        preference.save(update_fields=["default_mode", "updated_at"])
        return True
    return created and mode != LoginMode.EMAIL


@transaction.atomic
def set_default_mode(*, request, user, mode: str) -> bool:
    if mode not in modes_for(user).modes:
        raise ValueError(f"mode {mode!r} not available")
    changed = _store_default_mode(user, mode)
    if changed:
        log_event(Action.DEFAULT_MODE_CHANGED, request=request, actor=user, mode=mode)
        send_security_notice(
            user, "default_mode_changed", request, detail=str(LoginMode(mode).label)
        )
    return changed


# --- Password -----------------------------------------------------------------


@transaction.atomic
def change_password(*, request, user, new_password: str) -> None:
    """New password; every other session ends, this one stays (with a new key)."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    # The others' session rows go at once; this one follows the new generation.
    end_other_sessions(request, user)
    update_session_auth_hash(request, user)
    # The current password was just typed: that is a re-authentication.
    reauthenticate_by_password(request)
    log_event(Action.PASSWORD_CHANGED, request=request, actor=user)
    send_security_notice(user, "password_changed", request)


def password_change_refused(*, request, user) -> None:
    log_event(Action.PASSWORD_CHANGE_FAILED, request=request, actor=user)


# --- Authenticator application (TOTP) ---------------------------------------------


def pending_totp_key(request) -> str:
    """The secret shown while an application is being added, kept in the session only."""
    key = request.session.get(PENDING_TOTP_SESSION_KEY)
    if not key or not re.fullmatch(r"[0-9a-f]{40}", key):
        key = secrets.token_hex(20)  # 160 bits
        request.session[PENDING_TOTP_SESSION_KEY] = key
    return key


def base32_secret(key_hex: str) -> str:
    return base64.b32encode(bytes.fromhex(key_hex)).decode().rstrip("=")


def grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_uri(user, key_hex: str) -> str:
    issuer = settings.MFA_TOTP_ISSUER
    label = quote(f"{issuer}:{user.email}", safe=":@")
    params = urlencode(
        {
            "secret": base32_secret(key_hex),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": 6,
            "period": 30,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{params}"


def qr_svg(data: str, *, title: str, title_id: str = "qr-title"):
    """The QR code of `data` as inline SVG: one path, no style attribute (CSP)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    path = "".join(
        f"M{x},{y}h1v1h-1z" for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark
    )
    return format_html(
        '<svg class="portal-qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" '
        'role="img" aria-labelledby="{}" shape-rendering="crispEdges">'
        '<title id="{}">{}</title><rect width="{}" height="{}" fill="#fff"/>'
        '<path d="{}" fill="#000"/></svg>',
        size,
        size,
        title_id,
        title_id,
        title,
        size,
        size,
        path,
    )


def match_totp(key_hex: str, code: str, *, min_t: int | None = None) -> int | None:
    """The time step `code` belongs to (±tolerance of now), or None."""
    if not TOTP_CODE_RE.fullmatch(code or ""):
        return None
    totp = TOTP(bytes.fromhex(key_hex), step=30, t0=0, digits=6, drift=0)
    if totp.verify(int(code), settings.MFA_TOTP_TOLERANCE, min_t):
        return totp.t()
    return None


class AppAlreadyExists(Exception):
    pass


@transaction.atomic
def add_app(*, request, user, code: str, name: str) -> TOTPDevice | None:
    """Save the pending application if `code` is right; None (nothing saved) otherwise."""
    from accounts.models import User

    User.objects.select_for_update().filter(pk=user.pk).first()
    if TOTPDevice.objects.filter(user=user).exists():
        raise AppAlreadyExists
    key = request.session.get(PENDING_TOTP_SESSION_KEY)
    if not key:
        return None
    t = match_totp(key, code)
    if t is None:
        return None
    device = TOTPDevice.objects.create(
        user=user,
        name=name,
        key=key,
        step=30,
        t0=0,
        digits=6,
        tolerance=settings.MFA_TOTP_TOLERANCE,
        drift=0,
        last_t=t,  # the enrolment code cannot sign in
        confirmed=True,
    )
    request.session.pop(PENDING_TOTP_SESSION_KEY, None)
    _store_default_mode(user, LoginMode.APP)
    log_event(Action.APP_ADDED, request=request, actor=user, device=device.pk)
    send_security_notice(user, "app_added", request, detail=name)
    return device


def _keep_session_verified(request, user, device) -> None:
    """The session signed in with a removed device stays verified, on the e-mail factor."""
    if request.session.get(DEVICE_ID_SESSION_KEY) == device.persistent_id:
        django_otp.login(request, email_device_for(user))


@transaction.atomic
def remove_app(*, request, user, device: TOTPDevice) -> None:
    name = device.name
    device_id = device.pk
    _keep_session_verified(request, user, device)
    device.delete()
    _fall_back_from(user, LoginMode.APP)
    log_event(Action.APP_REMOVED, request=request, actor=user, device=device_id)
    send_security_notice(user, "app_removed", request, detail=name)


def _fall_back_from(user, mode: str) -> None:
    FactorPreference.objects.filter(user=user, default_mode=mode).update(
        default_mode=LoginMode.EMAIL
    )


# --- Security keys (WebAuthn) ---------------------------------------------------------


def _webauthn_helper(request):
    return WebAuthnCredential.get_webauthn_helper(request=request)


def begin_key_registration(*, request, user) -> dict:
    options, state = _webauthn_helper(request).register_begin(user=user)
    request.session[KEY_REGISTRATION_SESSION_KEY] = state
    return options


class KeyRegistrationFailed(Exception):
    pass


@transaction.atomic
def add_key(*, request, user, credential: dict, name: str) -> WebAuthnCredential:
    """Verify the browser's registration against the challenge of this session (used once)."""
    from django_otp_webauthn.exceptions import OTPWebAuthnApiError

    state = request.session.pop(KEY_REGISTRATION_SESSION_KEY, None)
    request.session.save()
    if not state:
        raise KeyRegistrationFailed("no registration in progress")
    try:
        with rewrite_exceptions(logger=None):
            device = _webauthn_helper(request).register_complete(
                user=user, state=state, data=credential
            )
    except (OTPWebAuthnApiError, ValueError, KeyError, TypeError) as error:
        raise KeyRegistrationFailed(str(error)) from None
    device.name = name
    device.save(update_fields=["name"])
    _store_default_mode(user, LoginMode.KEY)
    log_event(Action.KEY_ADDED, request=request, actor=user, device=device.pk)
    send_security_notice(user, "key_added", request, detail=name)
    return device


@transaction.atomic
def remove_key(*, request, user, device: WebAuthnCredential) -> None:
    name = device.name
    device_id = device.pk
    _keep_session_verified(request, user, device)
    device.delete()
    if not WebAuthnCredential.objects.filter(user=user).exists():
        _fall_back_from(user, LoginMode.KEY)
    log_event(Action.KEY_REMOVED, request=request, actor=user, device=device_id)
    send_security_notice(user, "key_removed", request, detail=name)


# --- Staff ------------------------------------------------------------------------------


@transaction.atomic
def reset_factors(*, user, by, request=None) -> bool:
    """Staff remove a person's application and keys; e-mail codes remain."""
    apps, _ = TOTPDevice.objects.filter(user=user).delete()
    keys, _ = WebAuthnCredential.objects.filter(user=user).delete()
    FactorPreference.objects.filter(user=user).update(default_mode=LoginMode.EMAIL)
    if not (apps or keys):
        return False
    log_event(Action.FACTORS_RESET, request=request, actor=by, subject=user)
    send_security_notice(user, "factors_reset", None)
    return True
