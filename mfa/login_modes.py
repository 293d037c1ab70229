"""The factor step's modes: the e-mail code, the application's code, a security key.

After the password the step opens in the person's default mode; "Use another
connection mode" lists the modes they have, e-mail always among them. The
e-mail code is mailed only when the e-mail mode is used: at the password step
when it is the default, otherwise when the person chooses it.

The e-mail mode itself (codes bound to the login attempt) lives in
`mfa.services`; this module adds the application and the key.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.utils import rewrite_exceptions

from accounts.notices import send_security_notice
from activity.models import Action
from activity.services import log_event

from . import services
from .factors import Modes, match_totp, modes_for
from .forms import KeyAnswerForm, LoginAppForm
from .models import AppLock, LoginMode
from .services import Outcome, Result

MODE_SESSION_KEY = "mfa_login_mode"
EMAIL_SENT_SESSION_KEY = "mfa_login_email_sent"
KEY_STATE_SESSION_KEY = "mfa_login_key_state"


# --- The password step --------------------------------------------------------------


def after_password_login(request, user) -> None:
    """Open the factor step in the default mode; mail a code only for the e-mail mode."""
    mode = modes_for(user).default_mode
    request.session[MODE_SESSION_KEY] = mode
    if mode == LoginMode.EMAIL:
        services.start_login_attempt(request, user)
        request.session[EMAIL_SENT_SESSION_KEY] = True
    else:
        # A code mailed to an earlier attempt of this session completes nothing now.
        request.session.pop(services.ATTEMPT_SESSION_KEY, None)
        request.session[EMAIL_SENT_SESSION_KEY] = False


def current_mode(request, found: Modes) -> str:
    mode = request.session.get(MODE_SESSION_KEY) or found.default_mode
    return mode if mode in found.modes else LoginMode.EMAIL


def choose_mode(request, user, found: Modes, mode: str) -> None:
    if mode not in found.modes:
        return
    request.session[MODE_SESSION_KEY] = mode
    if mode == LoginMode.EMAIL and not request.session.get(EMAIL_SENT_SESSION_KEY):
        # The first e-mail code of this attempt, sent now that e-mail is chosen.
        services.start_login_attempt(request, user)
        request.session[EMAIL_SENT_SESSION_KEY] = True


def _finish(request, user, device, factor: str) -> None:
    django_otp.login(request, device)
    for key in (
        services.ATTEMPT_SESSION_KEY,
        MODE_SESSION_KEY,
        EMAIL_SENT_SESSION_KEY,
        KEY_STATE_SESSION_KEY,
    ):
        request.session.pop(key, None)
    # A new session key once the second factor is passed.
    request.session.cycle_key()
    log_event(Action.FACTOR_SUCCEEDED, request=request, actor=user, factor=factor)


# --- The application (TOTP) ---------------------------------------------------------


def _app_lock(device, now) -> Result | None:
    lock = AppLock.objects.filter(device=device).first()
    state = lock.lock_state(now) if lock else None
    if state is None:
        return None
    return Result(Outcome.LOCKED, until=None if state == "reset" else state)


def app_lock_state(user) -> Result | None:
    """LOCKED with the time it lifts, or None: for the factor step in app mode."""
    lock = AppLock.objects.filter(device__user=user, device__confirmed=True).first()
    state = lock.lock_state(timezone.now()) if lock else None
    if state is None:
        return None
    return Result(Outcome.LOCKED, until=None if state == "reset" else state)


def _throttled_until(device, now):
    """The e-mail factor's delay: doubling after each failure, capped."""
    count = device.throttling_failure_count
    if count > 0 and device.throttling_failure_timestamp:
        delay = min(
            settings.MFA_THROTTLE_FACTOR * (2 ** min(count - 1, 30)),
            settings.MFA_THROTTLE_MAX_DELAY,
        )
        until = device.throttling_failure_timestamp + timedelta(seconds=delay)
        if now < until:
            return until
    return None


def verify_app_code(*, request, user, code: str) -> Result:
    """The app's code at ±1 step, once only (`last_t`); failures delayed and locked by
    the e-mail factor's rules (every MFA_MAX_FAILURES a lock that doubles, until a
    password reset past MFA_HARD_CAP)."""
    now = timezone.now()
    lock_until = None
    locked = False
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            return Result(Outcome.INVALID)
        current_lock = _app_lock(device, now)
        if current_lock:
            return current_lock
        until = _throttled_until(device, now)
        if until:
            return Result(Outcome.THROTTLED, until=until)
        t = match_totp(device.key, code, min_t=device.last_t + 1)
        # Only one of any number of concurrent submissions of a code wins it.
        matched = t is not None and bool(
            TOTPDevice.objects.filter(pk=device.pk, last_t__lt=t).update(
                last_t=t,
                throttling_failure_count=0,
                throttling_failure_timestamp=None,
                last_used_at=now,
            )
        )
        if matched:
            AppLock.objects.filter(device=device).delete()
        else:
            TOTPDevice.objects.filter(pk=device.pk).update(
                throttling_failure_count=F("throttling_failure_count") + 1,
                throttling_failure_timestamp=now,
            )
            device.refresh_from_db(fields=["throttling_failure_count"])
            failures = device.throttling_failure_count
            locked = failures % settings.MFA_MAX_FAILURES == 0
            if locked:
                if failures < settings.MFA_HARD_CAP:
                    lock_until = now + services._lock_duration(
                        failures // settings.MFA_MAX_FAILURES
                    )
                AppLock.objects.update_or_create(
                    device=device, defaults={"locked_at": now, "locked_until": lock_until}
                )
                send_security_notice(
                    user, "app_locked", request, detail=_lock_detail(lock_until, failures)
                )
    if not matched:
        log_event(Action.FACTOR_FAILED, request=request, actor=user, factor="app")
        if locked:
            log_event(
                Action.FACTOR_LOCKED,
                request=request,
                actor=user,
                factor="app",
                failures=failures,
                until=lock_until.isoformat() if lock_until else "password reset",
            )
            return Result(Outcome.LOCKED, until=lock_until)
        return Result(Outcome.INVALID)
    device.refresh_from_db()
    _finish(request, user, device, "app")
    return Result(Outcome.VERIFIED)


def _lock_detail(until, failures: int):
    from django.utils import formats

    if until is None:
        return LazyFormat(
            gettext_lazy("%(failures)d wrong codes; locked until you reset your password"),
            failures=failures,
        )
    return LazyFormat(
        gettext_lazy("%(failures)d wrong codes; locked until %(time)s"),
        failures=failures,
        time=lambda: formats.date_format(timezone.localtime(until), "DATETIME_FORMAT"),
    )


class LazyFormat:
    """A translated sentence rendered in the recipient's language, when the mail is."""

    def __init__(self, message, **params):
        self.message = message
        self.params = params

    def __str__(self):
        values = {k: v() if callable(v) else v for k, v in self.params.items()}
        return str(self.message) % values


def lift_app_lock_after_password_reset(*, user, request=None) -> None:
    """A completed password reset proves the owner: the application's lock goes too."""
    _lift_app_lock(user=user, by=user, request=request, reason="password_reset")


def unlock_app_by_staff(*, user, by, request=None) -> bool:
    """Staff's "Unlock" on a user: the application's lock goes, if any."""
    return _lift_app_lock(user=user, by=by, request=request, reason="staff")


def _lift_app_lock(*, user, by, request, reason: str) -> bool:
    device = TOTPDevice.objects.filter(user=user).first()
    if device is None:
        return False
    lifted = AppLock.objects.filter(device=device).delete()[0]
    if not (lifted or device.throttling_failure_count):
        return False
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    log_event(
        Action.FACTOR_UNLOCKED,
        request=request,
        actor=by,
        subject=user,
        factor="app",
        reason=reason,
    )
    return True


# --- Security keys (WebAuthn) -------------------------------------------------------------


def key_options(request, user) -> dict:
    helper = WebAuthnCredential.get_webauthn_helper(request=request)
    options, state = helper.authenticate_begin(user=user, require_user_verification=False)
    request.session[KEY_STATE_SESSION_KEY] = state
    return options


def verify_key(*, request, user, answer: dict) -> Result:
    """The key's signature over this session's challenge (used once), RP ID and origin
    from the settings, and a sign counter that must increase."""
    from django_otp_webauthn.exceptions import OTPWebAuthnApiError

    state = request.session.pop(KEY_STATE_SESSION_KEY, None)
    request.session.save()
    device = None
    if state:
        helper = WebAuthnCredential.get_webauthn_helper(request=request)
        try:
            with rewrite_exceptions(logger=None):
                device = helper.authenticate_complete(user=user, state=state, data=answer)
        except (OTPWebAuthnApiError, ValueError, KeyError, TypeError):
            device = None
    if device is None or not device.confirmed or device.user_id != user.pk:
        log_event(Action.FACTOR_FAILED, request=request, actor=user, factor="key")
        return Result(Outcome.INVALID)
    _finish(request, user, device, "key")
    return Result(Outcome.VERIFIED)


# --- The factor step's pages ------------------------------------------------------------


def _verify_url(next_url: str, **params) -> str:
    query = {k: v for k, v in {**params, "next": next_url}.items() if v}
    return f"{reverse('mfa:verify')}?{urlencode(query)}" if query else reverse("mfa:verify")


def context(request, user, found: Modes | None = None) -> dict:
    """What the factor step's templates need to offer the other modes."""
    found = found or getattr(request, "_mfa_modes", None) or modes_for(user)
    return {
        "login_modes": found.modes,
        "login_mode": current_mode(request, found),
    }


def dispatch(request, user, next_url: str):
    """Answer the factor step for the app and key modes and the mode choice.

    Returns None when the e-mail mode is on: `mfa.views.verify` handles it.
    """
    found = request._mfa_modes = modes_for(user)
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "mode":
        choose_mode(request, user, found, request.POST.get("mode", ""))
        return redirect(_verify_url(next_url))
    if action == "key-options":
        if LoginMode.KEY not in found.modes:
            return JsonResponse({"detail": "no key"}, status=404)
        return JsonResponse(key_options(request, user))
    if request.method == "GET" and request.GET.get("mode") == "choose":
        if len(found.modes) < 2:
            return redirect(_verify_url(next_url))
        return _render(request, "choose", found, next_url)
    mode = current_mode(request, found)
    if mode == LoginMode.EMAIL:
        return None
    if mode == LoginMode.APP:
        form = LoginAppForm(request.POST if action == "verify" else None)
        if action == "verify" and form.is_valid():
            result = verify_app_code(request=request, user=user, code=form.cleaned_data["code"])
            if result.outcome is Outcome.VERIFIED:
                return redirect(next_url or "home")
            form.add_error("code", _failure_message(result))
        lock = app_lock_state(user)
        return _render(
            request,
            LoginMode.APP,
            found,
            next_url,
            form=form,
            locked_message=app_locked_message(lock.until) if lock else "",
        )
    # Security key.
    error = ""
    if action == "key":
        form = KeyAnswerForm(request.POST)
        result = (
            verify_key(request=request, user=user, answer=form.cleaned_data["credential"])
            if form.is_valid()
            else Result(Outcome.INVALID)
        )
        if result.outcome is Outcome.VERIFIED:
            return redirect(next_url or "home")
        error = _("The key was not accepted. Try again, or use another connection mode.")
    return _render(request, LoginMode.KEY, found, next_url, error=error)


def _failure_message(result: Result) -> str:
    from django.utils import formats

    if result.outcome is Outcome.THROTTLED:
        return _("Too many wrong codes. Wait until %(time)s before trying again.") % {
            "time": formats.time_format(timezone.localtime(result.until), "H:i:s")
        }
    if result.outcome is Outcome.LOCKED:
        return app_locked_message(result.until)
    return _("This code is wrong or has already been used. Type the code shown now.")


def app_locked_message(until) -> str:
    from django.utils import formats

    if until is None:
        return _(
            "Too many wrong codes: signing in with the application is locked until the "
            "password is reset. Use another connection mode, and “Forgot your password?” "
            "on the login page: a completed reset lifts the lock."
        )
    return _(
        "Too many wrong codes: signing in with the application is locked until %(time)s. "
        "Use another connection mode; if it was not you, reset your password: a completed "
        "reset lifts the lock."
    ) % {"time": formats.date_format(timezone.localtime(until), "DATETIME_FORMAT")}


def _render(request, mode, found: Modes, next_url: str, **extra):
    titles = {
        "choose": _("Use another connection mode"),
        LoginMode.APP: _("Security code"),
        LoginMode.KEY: _("Security key"),
    }
    return render(
        request,
        "mfa/verify_mode.html",
        {
            "mode": mode,
            "title": titles[mode],
            "login_modes": found.modes,
            "login_mode": current_mode(request, found),
            "next": next_url,
            "choose_url": _verify_url(next_url, mode="choose"),
            **extra,
        },
    )
