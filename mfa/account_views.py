"""My multi-factor authentication: the page, the password, the application, the keys.

Reading is open to the signed-in person (both factors passed: the middleware);
every change needs the password typed again within the last five minutes
(allauth's re-authentication), except the password change, whose form asks
for the current password itself.
"""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from allauth.account.internal.flows.reauthentication import is_reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from . import factors
from .forms import AddAppForm, AddKeyForm, DefaultModeForm, PasswordChangeForm


def _mode_form(found: factors.Factors, data=None) -> DefaultModeForm:
    return DefaultModeForm(data, modes=found.modes, initial={"default_mode": found.default_mode})


@login_required
@require_GET
def overview(request):
    found = factors.factors_for(request.user)
    return render(
        request,
        "mfa/factors.html",
        {
            "title": _("My multi-factor authentication"),
            "factors": found,
            "mode_form": _mode_form(found),
        },
    )


@login_required
@reauthentication_required
@require_POST
def default_mode(request):
    found = factors.factors_for(request.user)
    form = _mode_form(found, request.POST)
    if form.is_valid():
        changed = factors.set_default_mode(
            request=request, user=request.user, mode=form.cleaned_data["default_mode"]
        )
        if changed:
            messages.success(request, _("Your default connection mode has been saved."))
        return redirect("mfa_account:overview")
    return render(
        request,
        "mfa/factors.html",
        {"title": _("My multi-factor authentication"), "factors": found, "mode_form": form},
        status=200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    user = request.user
    form = PasswordChangeForm(request.POST or None, user=user, request=request)
    if request.method == "POST":
        if form.is_valid():
            factors.change_password(
                request=request, user=user, new_password=form.cleaned_data["new_password1"]
            )
            messages.success(
                request,
                _("Your password has been changed. Your other sessions have ended."),
            )
            return redirect("mfa_account:overview")
        if form.has_error("current_password"):
            factors.password_change_refused(request=request, user=user)
    return render(
        request, "mfa/password_change.html", {"title": _("Changing your password"), "form": form}
    )


def _app_page(request, form=None, status=200):
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    context = {"title": _("Adding an application"), "device": device}
    if device is None:
        key = factors.pending_totp_key(request)
        uri = factors.totp_uri(user, key)
        context.update(
            form=form or AddAppForm(),
            otpauth_uri=uri,
            qr_code=factors.qr_svg(uri, title=_("QR code to scan with the application")),
            secret=factors.grouped(factors.base32_secret(key)),
        )
    return render(request, "mfa/app_add.html", context, status=status)


@login_required
@reauthentication_required(allow_get=False)
@require_http_methods(["GET", "POST"])
def app_add(request):
    """The QR code of a pending secret (session only), then the code that confirms it."""
    if request.method == "GET":
        return _app_page(request)
    form = AddAppForm(request.POST)
    if form.is_valid():
        try:
            device = factors.add_app(
                request=request,
                user=request.user,
                code=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
            )
        except factors.AppAlreadyExists:
            messages.error(request, _("Remove your current application before adding another one."))
            return redirect("mfa_account:app-add")
        if device is not None:
            messages.success(
                request,
                _("Your application has been added: it is now your default connection mode."),
            )
            return redirect("mfa_account:overview")
        form.add_error(
            "code",
            _("This code is wrong. Check the time of your phone and type the code shown now."),
        )
    return _app_page(request, form)


@login_required
@require_http_methods(["GET", "POST"])
def app_remove(request, pk: int):
    device = get_object_or_404(TOTPDevice, pk=pk, user=request.user)
    if request.method == "POST":
        return _remove_app(request, device)
    return render(
        request,
        "mfa/device_remove.html",
        {
            "title": _("Remove the application"),
            "device": device,
            "action": request.path,
            "back": "mfa_account:app-add",
            "question": _("Remove the application of the device “%(name)s”?")
            % {"name": device.name},
        },
    )


@reauthentication_required
def _remove_app(request, device):
    factors.remove_app(request=request, user=request.user, device=device)
    messages.success(request, _("Your application has been removed."))
    return redirect("mfa_account:app-add")


@login_required
@require_GET
def keys(request):
    found = WebAuthnCredential.objects.filter(user=request.user, confirmed=True).order_by(
        "created_at", "pk"
    )
    return render(
        request,
        "mfa/key_list.html",
        {"title": _("Adding a security key"), "keys": list(found)},
    )


@login_required
@reauthentication_required(allow_get=False)
@require_http_methods(["GET", "POST"])
def key_add(request):
    form = AddKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            factors.add_key(
                request=request,
                user=request.user,
                credential=form.cleaned_data["credential"],
                name=form.cleaned_data["name"],
            )
        except factors.KeyRegistrationFailed:
            form.add_error(None, _("The key could not be registered. Try again."))
        else:
            messages.success(
                request,
                _("Your security key has been added: it is now your default connection mode."),
            )
            return redirect("mfa_account:keys")
    return render(request, "mfa/key_add.html", {"title": _("Add a new key"), "form": form})


@login_required
@require_POST
def key_options(request):
    """The browser's registration options (JSON); the challenge stays in the session."""
    if is_reauthentication_required(request, app=""):
        return JsonResponse({"detail": "reauthentication_required"}, status=403)
    return JsonResponse(factors.begin_key_registration(request=request, user=request.user))


@login_required
@require_http_methods(["GET", "POST"])
def key_remove(request, pk: int):
    device = get_object_or_404(WebAuthnCredential, pk=pk, user=request.user)
    if request.method == "POST":
        return _remove_key(request, device)
    return render(
        request,
        "mfa/device_remove.html",
        {
            "title": _("Remove the key"),
            "device": device,
            "action": request.path,
            "back": "mfa_account:keys",
            "question": _("Remove the security key “%(name)s”?") % {"name": device.name},
        },
    )


@reauthentication_required
def _remove_key(request, device):
    factors.remove_key(request=request, user=request.user, device=device)
    messages.success(request, _("The security key has been removed."))
    return redirect("mfa_account:keys")
