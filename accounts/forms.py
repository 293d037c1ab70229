from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from chorus_portal.text import validate_multiline, validate_one_line

from .contact import COUNTRIES, normalise_phone, normalise_postal_code
from .models import Language


class SignupForm(forms.Form):
    """Extra fields of allauth's signup form: the person's name."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        validators=[validate_one_line],
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        validators=[validate_one_line],
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )

    def signup(self, request, user):
        user.first_name = self.cleaned_data["first_name"].strip()
        user.last_name = self.cleaned_data["last_name"].strip()
        user.language = getattr(request, "LANGUAGE_CODE", "fr")[:2]
        user.save(update_fields=["first_name", "last_name", "language"])


class _NameField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=150, required=True, validators=[validate_one_line], **kwargs)
        self.error_messages["required"] = _("This field is required.")

    def clean(self, value):
        value = super().clean(value)
        if not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return value


class LastNameForm(forms.Form):
    last_name = _NameField(
        label=_("Last name"), widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )


class FirstNameForm(forms.Form):
    first_name = _NameField(
        label=_("First name"), widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Phone"),
        help_text=_("French (01 23 45 67 89) or international (+44 20 7946 0958) number"),
        max_length=32,
        required=False,
        validators=[validate_one_line],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )

    def clean_phone(self):
        value = self.cleaned_data["phone"]
        if not value:
            return ""
        try:
            return normalise_phone(value)
        except ValidationError as error:
            raise forms.ValidationError(error.messages[0], code="phone") from None


class AddressForm(forms.Form):
    street = forms.CharField(
        label=_("Street"),
        max_length=255,
        required=False,
        validators=[validate_one_line],
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    address_complement = forms.CharField(
        label=_("Address complement"),
        max_length=255,
        required=False,
        validators=[validate_one_line],
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    postal_code = forms.CharField(
        label=_("Postal code"),
        max_length=16,
        required=False,
        validators=[validate_one_line],
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    city = forms.CharField(
        label=_("City"),
        max_length=128,
        required=False,
        validators=[validate_one_line],
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    country = forms.ChoiceField(
        label=_("Country"),
        choices=COUNTRIES,
        initial="FR",
        widget=forms.Select(attrs={"autocomplete": "country"}),
    )

    def clean(self):
        cleaned = super().clean()
        postal = (cleaned.get("postal_code") or "").strip()
        if postal and cleaned.get("country"):
            try:
                cleaned["postal_code"] = normalise_postal_code(cleaned["country"], postal)
            except ValidationError as error:
                self.add_error("postal_code", error.messages[0])
        return cleaned


class BiographyForm(forms.Form):
    biography = forms.CharField(
        label=_("Biography"),
        help_text=_("2,000 characters at most."),
        max_length=2000,
        required=False,
        validators=[validate_multiline],
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def clean_biography(self):
        return self.cleaned_data["biography"].replace("\r\n", "\n").strip()


# field group (URL segment) → (form, title)
PROFILE_FORMS = {
    "last-name": (LastNameForm, _("Last name")),
    "first-name": (FirstNameForm, _("First name")),
    "phone": (PhoneForm, _("Phone")),
    "address": (AddressForm, _("Work address")),
    "biography": (BiographyForm, _("Biography")),
}


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("Profile photo"),
        help_text=_("JPEG, PNG or WebP, 5 MB and 16 million pixels at most."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        error_messages={"required": _("Choose a photo to upload.")},
    )

    def __init__(self, *args, too_large: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # The request was over the limit and its file was not received (or not in full).
        self.too_large = too_large

    def full_clean(self):
        if not self.too_large:
            return super().full_clean()
        from .photos import TOO_LARGE

        self._errors = ErrorDict()
        self.cleaned_data = {}
        self.add_error("photo", forms.ValidationError(TOO_LARGE, code="photo_too_large"))

    def clean_photo(self):
        from .photos import process_photo

        try:
            return process_photo(self.cleaned_data["photo"])
        except ValidationError as error:
            raise forms.ValidationError(error.messages[0], code=error.code) from None


class NotificationsForm(forms.Form):
    notify_transferability = forms.BooleanField(
        label=_("Certificates of transferability"), required=False
    )
    notify_commitments = forms.BooleanField(label=_("Commitments"), required=False)
    notify_invoicing = forms.BooleanField(label=_("CPRO Invoicing"), required=False)
    notify_weekly_summary = forms.BooleanField(
        label=_("A weekly summary of the movements on my structures"), required=False
    )

    APPLICATION_FIELDS = ["notify_transferability", "notify_commitments", "notify_invoicing"]

    def application_fields(self):
        return [self[name] for name in self.APPLICATION_FIELDS]


class PreferencesForm(forms.Form):
    accessibility_enabled = forms.BooleanField(label=_("Accessibility enabled"), required=False)
    survey_consent = forms.BooleanField(
        label=_("I agree that the AIFE may send me satisfaction surveys"), required=False
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)


class DeactivateForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Disable my access"),
        error_messages={"required": _("Tick “Disable my access” to confirm.")},
    )
