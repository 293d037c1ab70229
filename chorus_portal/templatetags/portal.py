from django import template

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
    return field.as_widget(attrs=attrs)


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
