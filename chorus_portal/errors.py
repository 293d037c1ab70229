"""Error pages in the portal's look.

Django's own handlers render 400.html, 403.html, 404.html and 500.html (the last
with no request and no context processor: it reads nothing from the database).
Two answers have no handler of their own in Django and are dressed here: the CSRF
failure (CSRF_FAILURE_VIEW) and the bare 405 that `require_http_methods` returns.
"""

from __future__ import annotations

from django.http import HttpResponseNotAllowed
from django.template.loader import render_to_string


def csrf_failure(request, reason: str = "", template_name: str = "403_csrf.html"):
    """The form's CSRF token was missing or stale: say so, nothing changed."""
    from django.http import HttpResponseForbidden

    return HttpResponseForbidden(render_to_string(template_name, {}, request))


class MethodNotAllowedPageMiddleware:
    """A 405 without a body (a GET on a POST-only address) gets the 405 page.

    The `Allow` header is kept; responses that already have a body are left alone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            isinstance(response, HttpResponseNotAllowed)
            and not response.content
            and request.method != "HEAD"
        ):
            response.content = render_to_string("405.html", {}, request)
            response["Content-Type"] = "text/html; charset=utf-8"
        return response
