"""Forms shared by the admin pages."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


class ConstraintCheckingInlineFormSet(forms.BaseInlineFormSet):
    """Inline forms leave their parent's key out of the model's constraint checks
    (Django's rule for inlines), so a clash with a conditional unique constraint
    would reach the database as an error page. Check them here, with the parent's key,
    so the clash reads as the constraint's own sentence on the row."""

    def clean(self):
        super().clean()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.errors:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            if not form.has_changed() and form.instance.pk is not None:
                continue
            exclude = form._get_validation_exclusions() - {self.fk.name}
            try:
                form.instance.validate_constraints(exclude=exclude)
            except ValidationError as error:
                form.add_error(None, error)
