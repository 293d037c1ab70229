"""The portal's URLs plus views that fail on purpose, for the error-page tests."""

from django.core.exceptions import BadRequest, PermissionDenied
from django.urls import path

from chorus_portal.urls import urlpatterns as portal_urlpatterns


def bad_request(request):
    raise BadRequest("a request the portal cannot read")


def forbidden(request):
    raise PermissionDenied


def boom(request):
    raise RuntimeError("an unexpected failure")


urlpatterns = [
    path("test-errors/400/", bad_request),
    path("test-errors/403/", forbidden),
    path("test-errors/500/", boom),
    *portal_urlpatterns,
]
