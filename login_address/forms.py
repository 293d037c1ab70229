from __future__ import annotations

from allauth.account.adapter import get_adapter
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.emails import MAX_LENGTH, clean_email


class ChangeForm(forms.Form):
    """The current password (a re-authentication) and the new login address."""

    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_email = forms.CharField(
        label=_("New login address"),
        help_text=_("A confirmation link will be sent to this address."),
        # Not stripped: a line break anywhere is refused, not trimmed away.
        strip=False,
        max_length=MAX_LENGTH + 10,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )

    def __init__(self, *args, user, request, **kwargs):
        self.user = user
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_current_password(self):
        password = self.cleaned_data["current_password"]
        try:
            # allauth's check: it counts toward this account's login limits.
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

    def clean_new_email(self):
        raw = self.cleaned_data["new_email"]
        # Header injection: one address, one line, no display name.
        if "\r" in raw or "\n" in raw:
            raise forms.ValidationError(
                _("An e-mail address is written on one line."), code="line_break"
            )
        if any(sign in raw for sign in ',;<>"'):
            raise forms.ValidationError(
                _("Enter one address only, without a name (for example name@example.fr)."),
                code="several",
            )
        try:
            email = clean_email(raw)
        except ValidationError as error:
            raise forms.ValidationError(error.messages[0], code=error.code) from None
        if email == self.user.email:
            raise forms.ValidationError(
                _("This is already your login address."), code="same_address"
            )
        return email
