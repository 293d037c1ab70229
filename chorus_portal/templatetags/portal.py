from django import template
from django.forms import BaseForm
from django.utils.translation import gettext

register = template.Library()

_CLASSES = {
    "checkbox": "",
    "select": "fr-select",
    "selectmultiple": "fr-select",
    "radioselect": "",
    "checkboxselectmultiple": "",
}


@register.simple_tag
def dsfr_widget(field):
    """Render a bound field's widget with the DSFR class and its ARIA links."""
    widget_type = field.widget_type
    css = _CLASSES.get(widget_type, "fr-input")
    attrs = {}
    existing = field.field.widget.attrs.get("class", "")
    if css:
        error_css = f" {css}--error" if field.errors else ""
        attrs["class"] = f"{existing} {css}{error_css}".strip()
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}-hint")
    if field.errors:
        described.append(f"{field.auto_id}-messages")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if field.field.required and not _renders_required(field):
        # A select whose first option is a real value gets no `required` (HTML forbids it):
        # say it to assistive technologies all the same.
        attrs["aria-required"] = "true"
    return field.as_widget(attrs=attrs)


def _renders_required(field) -> bool:
    """Whether Django writes the `required` attribute on this field's widget."""
    return (
        field.form.use_required_attribute
        and field.field.widget.use_required_attribute(field.initial)
        and field.field.required
    )


@register.filter
def has_required(form) -> bool:
    """Whether a form shows a field marked * (then it says once what * means)."""
    return any(f.field.required and not f.is_hidden for f in form)


@register.filter
def fields_in_error(form) -> list:
    """The visible fields of a form that have an error, in the form's order."""
    return [f for f in form if f.errors and not f.is_hidden]


@register.simple_tag(takes_context=True)
def error_prefix(context) -> str:
    """'Error: ' at the start of the title of a page showing a form with its errors."""
    if context.get("page_has_errors"):
        return gettext("Error: ")
    for value in context.flatten().values():
        if isinstance(value, BaseForm) and value.is_bound and value.errors:
            return gettext("Error: ")
    return ""


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (for pagination links)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"
