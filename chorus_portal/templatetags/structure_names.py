"""A structure's name inside a sentence, with the article French needs (chorus_portal.names).

{% load structure_names %} then {{ name|of_structure }}, {{ name|in_structure }},
{{ name|the_structure }}.
"""

from django import template

from chorus_portal import names

register = template.Library()

register.filter("the_structure", names.the_structure)
register.filter("of_structure", names.of_structure)
register.filter("in_structure", names.in_structure)
