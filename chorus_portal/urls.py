from django.contrib import admin
from django.http import Http404
from django.urls import include, path, register_converter

from . import views
from .converters import IdConverter

register_converter(IdConverter, "id")


def _not_offered(request, *args, **kwargs):
    # allauth pages the portal replaces with its own flows (login address,
    # password change under My multi-factor authentication).
    raise Http404


urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/email/", _not_offered),
    path("accounts/password/change/", _not_offered),
    path("accounts/password/set/", _not_offered),
    path("accounts/", include("allauth.urls")),
    path("mfa/", include("mfa.urls")),
    path("", include("accounts.urls")),
    path("", include("affiliations.urls")),
    path("", include("authorizations.urls")),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("dev/outbox/", views.dev_outbox, name="dev-outbox"),
    path("admin/", admin.site.urls),
]
