"""allauth's login and signup forms, with the portal's address rules.

Kept apart from accounts.forms: allauth's signup form is built on
ACCOUNT_SIGNUP_FORM_CLASS (accounts.forms.SignupForm), so importing allauth's
forms from there would be circular.
"""

from __future__ import annotations

import secrets

from allauth.account.adapter import get_adapter
from allauth.account.forms import LoginForm, ResetPasswordForm, SignupForm
from django import forms
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import emails


class PortalLoginForm(LoginForm):
    def clean_login(self) -> str:
        # One normal form for every spelling; look-alike letters are refused
        # with a sentence rather than folded by the database.
        try:
            return emails.clean_email(super().clean_login())
        except forms.ValidationError as error:
            raise forms.ValidationError(error.messages[0], code=error.code) from None


class PortalSignupForm(SignupForm):
    def try_save(self, request):
        if self.account_already_exists:
            # The new-account path hashes the password; spend the same work
            # here so that the answer's time does not tell the address is known.
            make_password(secrets.token_urlsafe(16))
        return super().try_save(request)


class PortalResetPasswordForm(ResetPasswordForm):
    def clean_email(self) -> str:
        # allauth looks the account up with the cleaned address but would mail
        # the address as typed: keep the normal form for both.
        super().clean_email()
        return get_adapter().clean_email(self.cleaned_data["email"])


class CurrentPasswordForm(forms.Form):
    """A form that starts with the signed-in person's current password (a re-authentication
    before a sensitive change). The check is allauth's: wrong tries count toward this
    account's login limits."""

    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, request, **kwargs):
        self.user = user
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_current_password(self):
        password = self.cleaned_data["current_password"]
        try:
            correct = get_adapter(self.request).reauthenticate(self.user, password)
        except ValidationError:
            raise forms.ValidationError(
                _("Too many failed attempts. Try again in a few minutes."), code="rate_limited"
            ) from None
        if not correct:
            raise forms.ValidationError(
                _("This is not your current password."), code="wrong_password"
            )
        return password
