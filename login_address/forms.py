from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.auth_forms import CurrentPasswordForm
from accounts.emails import MAX_LENGTH, clean_email


class ChangeForm(CurrentPasswordForm):
    """The current password (a re-authentication) and the new login address."""

    new_email = forms.CharField(
        label=_("New login address"),
        help_text=_("A confirmation link will be sent to this address."),
        # Not stripped: a line break anywhere is refused, not trimmed away.
        strip=False,
        max_length=MAX_LENGTH + 10,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )

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
