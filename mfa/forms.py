from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.auth_forms import CurrentPasswordForm


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Security code"),
        help_text=_("6 digits, received by e-mail"),
        max_length=6,
        min_length=6,
        strip=False,
        validators=[
            RegexValidator(r"^[0-9]{6}\Z", _("Enter the 6 digits of the code."), code="format")
        ],
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9]{6}",
                "spellcheck": "false",
            }
        ),
        error_messages={
            "required": _("Enter the 6 digits of the code."),
            "min_length": _("Enter the 6 digits of the code."),
            "max_length": _("Enter the 6 digits of the code."),
        },
    )


# --- My multi-factor authentication ------------------------------------------------


class PasswordChangeForm(CurrentPasswordForm):
    """Current password, new password twice; the rules are the portal's validators."""

    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "new-password", "aria-describedby": "password-rules"}
        ),
    )
    new_password2 = forms.CharField(
        label=_("Confirm the new password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_new_password1(self):
        from django.contrib.auth import password_validation

        password = self.cleaned_data["new_password1"]
        password_validation.validate_password(password, self.user)
        return password

    def clean(self):
        cleaned = super().clean()
        new1, new2 = cleaned.get("new_password1"), cleaned.get("new_password2")
        if new1 and new2 and new1 != new2:
            self.add_error("new_password2", _("The two new passwords are different."))
        current = cleaned.get("current_password")
        if new1 and current and new1 == current:
            self.add_error("new_password1", _("Choose a password other than the current one."))
        return cleaned


def _device_name_field(label):
    return forms.CharField(
        label=label,
        max_length=64,
        error_messages={"required": _("Give it a name.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


def _clean_name(value: str) -> str:
    import re
    import unicodedata

    value = (value or "").strip()
    if any(unicodedata.category(c) in {"Cc", "Cf"} for c in value) or re.search(r"[\r\n]", value):
        raise forms.ValidationError(_("This text contains invisible control characters."))
    if not value:
        raise forms.ValidationError(_("Give it a name."))
    return value


class AppCodeField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            label=_("Code shown by the application"),
            help_text=_("6 digits"),
            max_length=6,
            min_length=6,
            strip=False,
            validators=[
                RegexValidator(r"^[0-9]{6}\Z", _("Enter the 6 digits of the code."), code="format")
            ],
            widget=forms.TextInput(
                attrs={
                    "autocomplete": "one-time-code",
                    "inputmode": "numeric",
                    "pattern": "[0-9]{6}",
                    "spellcheck": "false",
                }
            ),
            error_messages={
                "required": _("Enter the 6 digits of the code."),
                "min_length": _("Enter the 6 digits of the code."),
                "max_length": _("Enter the 6 digits of the code."),
            },
            **kwargs,
        )


class AddAppForm(forms.Form):
    code = AppCodeField()
    name = _device_name_field(_("Give a name to the mobile device you use"))

    def clean_name(self):
        return _clean_name(self.cleaned_data["name"])


class AddKeyForm(forms.Form):
    name = _device_name_field(_("Name of the key"))
    credential = forms.CharField(widget=forms.HiddenInput, max_length=20_000)

    def clean_name(self):
        return _clean_name(self.cleaned_data["name"])

    def clean_credential(self):
        import json

        try:
            data = json.loads(self.cleaned_data["credential"])
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise forms.ValidationError(_("The key did not answer. Try again."))
        return data


class DefaultModeForm(forms.Form):
    default_mode = forms.ChoiceField(label=_("Default connection mode"), widget=forms.RadioSelect)

    def __init__(self, *args, modes, **kwargs):
        from .models import LoginMode

        super().__init__(*args, **kwargs)
        self.fields["default_mode"].choices = [(m, LoginMode(m).label) for m in modes]


class LoginAppForm(forms.Form):
    """The factor step in application mode: exactly six ASCII digits."""

    code = AppCodeField()


class KeyAnswerForm(forms.Form):
    credential = forms.CharField(widget=forms.HiddenInput, max_length=20_000)

    def clean_credential(self):
        import json

        try:
            data = json.loads(self.cleaned_data["credential"])
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise forms.ValidationError(_("The key did not answer. Try again."))
        return data
