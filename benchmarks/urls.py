from django.http import HttpResponse
from django.urls import path

from chorus_portal.urls import urlpatterns as portal


def bare(request):
    """Every middleware runs (session, user, second factor, headers); no template, no query
    of its own: what any page costs before its own work."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare, name="bench-bare"), *portal]
