"""{% breadcrumb %}: the current page's trail, from the navigation registry."""

from django import template

from chorus_portal import navigation

register = template.Library()


@register.inclusion_tag("components/breadcrumb.html", takes_context=True)
def breadcrumb(context):
    request = context.get("request")
    label = context.get("breadcrumb_label") or context.get("title")
    return {"crumbs": navigation.trail(request, label) if request is not None else []}
