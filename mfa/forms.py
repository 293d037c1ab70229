from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _


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
