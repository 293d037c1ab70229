from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import login_modes
from .forms import CodeForm
from .services import Outcome, lock_state, send_email_code, verify_email_code


def _safe_next(request) -> str:
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _mask(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}{'•' * max(len(local) - 1, 2)}@{domain}"


def _time(value) -> str:
    return formats.time_format(timezone.localtime(value), "H:i:s")


@require_http_methods(["GET", "POST"])
def verify(request):
    """The second-factor step: enter the 6-digit code mailed to the login address."""
    user = request.user
    if not user.is_authenticated:
        return redirect("account_login")
    next_url = _safe_next(request)
    if user.is_verified():
        return redirect(next_url or "home")
    # The application and key modes, and the choice of mode (mfa/login_modes.py).
    handled = login_modes.dispatch(request, user, next_url)
    if handled is not None:
        return handled

    form = CodeForm()
    if request.method == "POST":
        if request.POST.get("action") == "resend":
            result = send_email_code(request=request, user=user)
            if result.outcome is Outcome.SENT:
                messages.success(request, _("A new code has been sent to your login address."))
            elif result.outcome is Outcome.COOLDOWN:
                messages.warning(
                    request,
                    _("A code was sent a moment ago. You can ask for a new one at %(time)s.")
                    % {"time": _time(result.until)},
                )
            # Locked: the page itself says so, with when it lifts.
            return redirect(request.get_full_path())
        form = CodeForm(request.POST)
        if form.is_valid():
            result = verify_email_code(request=request, user=user, code=form.cleaned_data["code"])
            if result.outcome is Outcome.VERIFIED:
                return redirect(next_url or "home")
            if result.outcome is Outcome.THROTTLED:
                form.add_error(
                    "code",
                    _("Too many wrong codes. Wait until %(time)s before trying again.")
                    % {"time": _time(result.until)},
                )
            elif result.outcome is Outcome.LOCKED:
                form.add_error("code", _locked_message(result.until))
            else:
                form.add_error(
                    "code", _("This code is wrong or has expired. Check it or ask for a new one.")
                )
    lock = lock_state(user)
    return render(
        request,
        "mfa/verify.html",
        {
            "form": form,
            "locked": lock is not None,
            "locked_message": _locked_message(lock.until) if lock else "",
            "masked_email": _mask(user.email),
            "next": next_url,
            "title": _("Security code"),
            **login_modes.context(request, user),
        },
        status=200,
    )


def _locked_message(until) -> str:
    if until is None:
        return _(
            "Too many wrong codes: signing in with a mailed code is locked until the "
            "password is reset. Use “Forgot your password?” on the login page; a "
            "completed reset lifts the lock."
        )
    return _(
        "Too many wrong codes: signing in with a mailed code is locked until %(time)s. "
        "If it was not you, reset your password: a completed reset lifts the lock."
    ) % {"time": formats.date_format(timezone.localtime(until), "DATETIME_FORMAT")}
