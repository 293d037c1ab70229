from __future__ import annotations

from allauth.account.internal.flows.reauthentication import reauthenticate_by_password
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .forms import ChangeForm


def _pending_message(change) -> str:
    if change is None:  # decided in the same instant by another request
        return _("A change of login address is already waiting for confirmation.")
    return _(
        "A change of login address is already waiting for confirmation (sent to %(email)s). "
        "Confirm or cancel it first, or wait until it lapses on %(date)s."
    ) % {"email": change.new_email, "date": _when(change.expires_at)}


def _when(moment) -> str:
    from django.utils import formats, timezone

    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


@login_required
@require_http_methods(["GET", "POST"])
def change(request):
    """Change my login address: the password and the new address, or the pending change."""
    user = request.user
    pending = services.pending_change_of(user)
    form = ChangeForm(request.POST or None, user=user, request=request)
    if request.method == "POST":
        if pending is not None:
            messages.error(request, _pending_message(pending))
            return redirect("login_address:change")
        if form.is_valid():
            # The password was just typed: that is a re-authentication.
            reauthenticate_by_password(request)
            try:
                requested = services.request_change(
                    user=user, new_email=form.cleaned_data["new_email"], http_request=request
                )
            except services.ChangePending as already:
                messages.error(request, _pending_message(already.change))
                return redirect("login_address:change")
            except services.TooManyChanges:
                form.add_error(
                    None,
                    _("You have asked for too many changes of login address. Try again later."),
                )
            else:
                messages.success(
                    request,
                    _(
                        "A confirmation link has been sent to %(email)s. Your login address "
                        "changes when you open it; it works once, until %(date)s."
                    )
                    % {"email": requested.new_email, "date": _when(requested.expires_at)},
                )
                return redirect("login_address:change")
    return render(
        request,
        "login_address/change.html",
        {"title": _("Change my login address"), "form": form, "pending": pending},
    )


@login_required
@require_POST
def cancel(request):
    if services.cancel_change(user=request.user, http_request=request):
        messages.success(request, _("The change of login address has been cancelled."))
    return redirect("login_address:change")


@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    """The link mailed to the new address. Opening it changes nothing: the page asks
    to confirm with a button. It works without being signed in (the token proves
    the mailbox; the change itself was asked after typing the password)."""
    if request.method == "GET":
        pending = services.change_for_token(token)
        return render(
            request,
            "login_address/confirm.html",
            {
                "title": _("Confirm my new login address"),
                "change": pending,
                "outcome": None if pending else services.Outcome.INVALID.value,
            },
        )
    outcome, done = services.confirm(token=token, http_request=request)
    return render(
        request,
        "login_address/confirm.html",
        {
            "title": _("Confirm my new login address"),
            "change": done,
            "outcome": outcome.value,
            "signed_in": request.user.is_authenticated,
        },
    )
