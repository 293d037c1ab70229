"""The profile table of one scope, carried whole by each POST.

Without JavaScript every button (Add, pencil, cross, Remove all) posts the
table's current state with an operation; the page comes back with the change
staged, and only Submit saves. With JavaScript the same changes happen in place
and Submit posts the final table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus_portal.text import validate_multiline

from .models import Application, Level


@dataclass
class Line:
    application: str
    level: str
    editing: bool = False

    @property
    def application_label(self) -> str:
        return str(Application(self.application).label)

    @property
    def level_label(self) -> str:
        return str(Level(self.level).label)


class ProfileTable:
    """Parses and stages the lines of the manage form; never trusts more than choices."""

    def __init__(self, data=None, *, initial: dict[str, str] | None = None):
        self.errors: list[str] = []
        self.operation = ""
        self.lines: list[Line] = []
        if data is None:
            self.lines = [Line(a, lv) for a, lv in sorted((initial or {}).items())]
            return
        applications = data.getlist("line_application")
        levels = data.getlist("line_level")
        if len(applications) != len(levels):
            self.errors.append(_("The table was incomplete: check it and submit again."))
        seen = set()
        for application, level in zip(applications, levels, strict=False):
            if application not in Application.values or level not in Level.values:
                self.errors.append(_("Choose an application and a level from the lists."))
                continue
            if application in seen:
                self.errors.append(
                    _("%(application)s appears twice: keep one line per application.")
                    % {"application": Application(application).label}
                )
                continue
            seen.add(application)
            self.lines.append(Line(application, level))
        self.operation = data.get("op", "")
        self._apply_operation(data)

    def _apply_operation(self, data) -> None:
        op = self.operation
        if op == "add":
            application = data.get("add_application", "")
            level = data.get("add_level", "")
            if application not in Application.values or level not in Level.values:
                self.errors.append(_("Choose an application and a level to add."))
            elif application in self.desired:
                self.errors.append(
                    _("%(application)s is already in the table: modify its line instead.")
                    % {"application": Application(application).label}
                )
            else:
                self.lines.append(Line(application, level))
        elif op == "remove_all":
            self.lines = []
        elif op.startswith(("delete:", "edit:")):
            name, _sep, index = op.partition(":")
            if not index.isdigit() or int(index) >= len(self.lines):
                self.errors.append(_("This line no longer exists."))
            elif name == "delete":
                del self.lines[int(index)]
            else:
                self.lines[int(index)].editing = True

    @property
    def desired(self) -> dict[str, str]:
        return {line.application: line.level for line in self.lines}

    @property
    def is_submit(self) -> bool:
        return self.operation == "submit" and not self.errors

    def addable_applications(self):
        held = self.desired
        return [(value, label) for value, label in Application.choices if value not in held]


class ScopeForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment for the managers (optional)"),
        required=False,
        max_length=2000,
        validators=[validate_multiline],
        widget=forms.Textarea(attrs={"rows": 2}),
    )
