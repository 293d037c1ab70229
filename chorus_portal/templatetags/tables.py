"""Tables and their pages: one wrapper for every table, one link per page parameter."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

register = template.Library()


class TableNode(template.Node):
    def __init__(self, nodelist, table_id, caption, css):
        self.nodelist = nodelist
        self.table_id = table_id
        self.caption = caption
        self.css = css

    def render(self, context):
        table_id = self.table_id.resolve(context)
        caption = self.caption.resolve(context)
        css = self.css.resolve(context) if self.css else ""
        body = self.nodelist.render(context)
        # The container scrolls when a table is still too wide (zoom, long words): it is
        # then a named region reachable with the keyboard (WCAG 2.1.1, axe's
        # scrollable-region-focusable), named by the table's caption.
        opening = format_html(
            '<div class="fr-table fr-table--no-caption portal-table{}" id="{}">'
            '<div class="fr-table__wrapper">'
            '<div class="fr-table__container" tabindex="0" role="region"'
            ' aria-labelledby="{}-caption">'
            '<div class="fr-table__content"><table><caption id="{}-caption">{}</caption>',
            f" {css}" if css else "",
            table_id,
            table_id,
            table_id,
            caption,
        )
        # The body is the template's own output, escaped as it was rendered.
        return format_html("{}{}</table></div></div></div></div>", opening, body)


@register.tag("table")
def do_table(parser, token):
    """{% table "id" caption [class] %}<thead>…</thead><tbody>…</tbody>{% endtable %}

    The DSFR table markup, its caption as the name of the scrolling region, and the
    portal's fitting rules (cells wrap; rows stack under 48em, each cell under its
    column's name from `data-label`).
    """
    bits = token.split_contents()
    if len(bits) not in (3, 4):
        raise template.TemplateSyntaxError("{% table id caption [class] %}")
    nodelist = parser.parse(("endtable",))
    parser.delete_first_token()
    css = parser.compile_filter(bits[3]) if len(bits) == 4 else None
    return TableNode(nodelist, parser.compile_filter(bits[1]), parser.compile_filter(bits[2]), css)


@register.simple_tag(takes_context=True)
def page_query(context, param, number):
    """The current query string with the page parameter `param` set to `number`."""
    query = context["request"].GET.copy()
    query[param or "page"] = number
    return f"?{query.urlencode()}"
