from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus_portal.fields import IdModelChoiceField, IdModelMultipleChoiceField
from chorus_portal.text import validate_multiline

from .models import RequestStatus, Service

SCOPE_STRUCTURE = "structure"
SCOPE_SERVICES = "services"


class StructureSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Structure"),
        help_text=_("Identifier (SIRET…), company name or type of structure"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class ServiceSearchForm(forms.Form):
    service_q = forms.CharField(
        label=_("Search a service"),
        help_text=_("Code or name of the service"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class _ScopedServicesForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("Level"),
        choices=[
            (SCOPE_STRUCTURE, _("The whole structure")),
            (SCOPE_SERVICES, _("Some services")),
        ],
        initial=SCOPE_STRUCTURE,
        widget=forms.RadioSelect,
    )
    services = IdModelMultipleChoiceField(
        label=_("Services"),
        queryset=Service.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Choose services of this structure only.")},
    )

    def __init__(self, *args, services_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = services_queryset

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope") == SCOPE_SERVICES and not cleaned.get("services"):
            self.add_error("services", _("Choose at least one service."))
        return cleaned

    @property
    def whole_structure(self) -> bool:
        return self.cleaned_data["scope"] == SCOPE_STRUCTURE


class AffiliationRequestForm(_ScopedServicesForm):
    comment = forms.CharField(
        label=_("Comment"),
        help_text=_("Explain your request to the structure's manager."),
        max_length=2000,
        validators=[validate_multiline],
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("A comment is required to explain your request.")},
    )

    def clean_comment(self):
        comment = self.cleaned_data["comment"].strip()
        if not comment:
            raise forms.ValidationError(_("A comment is required to explain your request."))
        return comment


class DetachForm(_ScopedServicesForm):
    pass


class HistoryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All statuses")), *RequestStatus.choices],
        required=False,
    )


class RefusalForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the refusal"),
        help_text=_("The requester will read it."),
        max_length=2000,
        validators=[validate_multiline],
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("A refusal needs a reason.")},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("A refusal needs a reason."))
        return reason


class TransferForm(forms.Form):
    new_manager = IdModelChoiceField(
        label=_("New main manager"),
        queryset=None,
        empty_label=_("Choose a user of the structure"),
        error_messages={"invalid_choice": _("Choose an active user of this structure.")},
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        from accounts.models import User

        self.fields["new_manager"].queryset = User.objects.filter(
            pk__in=candidates.values("user_id")
        ).order_by("last_name", "first_name")


class ReactivationRequestForm(forms.Form):
    comment = forms.CharField(
        label=_("Message to the managers (optional)"),
        help_text=_("Why you need the account again. The managers will read it."),
        required=False,
        max_length=2000,
        validators=[validate_multiline],
        widget=forms.Textarea(attrs={"rows": 3}),
    )
