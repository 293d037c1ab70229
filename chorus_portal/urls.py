from django.contrib import admin
from django.http import Http404
from django.urls import include, path, re_path, register_converter

from accounts import views as account_views
from affiliations import views as affiliation_views

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
    # allauth's lost-password pages with the portal's limits, log and mail: the
    # same paths and names as allauth's, found first.
    path(
        "accounts/password/reset/",
        account_views.PasswordResetView.as_view(),
        name="account_reset_password",
    ),
    re_path(
        r"^accounts/password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        account_views.PasswordResetFromKeyView.as_view(),
        name="account_reset_password_from_key",
    ),
    # allauth's inactive-account page, with the way to ask for reactivation.
    path("accounts/inactive/", affiliation_views.account_inactive, name="account_inactive"),
    path("accounts/", include("allauth.urls")),
    path("mfa/", include("mfa.urls")),
    path("account/mfa/", include("mfa.account_urls")),
    path("", include("accounts.urls")),
    path("", include("affiliations.urls")),
    path("", include("authorizations.urls")),
    path("", include("login_address.urls")),
    path("i18n/setlang/", views.set_language, name="set_language"),
    # The State site's mandatory pages, open to everyone (footer links).
    path("accessibilite/", views.legal_page, {"page": "accessibility"}, name="accessibility"),
    path("mentions-legales/", views.legal_page, {"page": "legal_notice"}, name="legal-notice"),
    path(
        "donnees-personnelles/",
        views.legal_page,
        {"page": "personal_data"},
        name="personal-data",
    ),
    path("gestion-des-cookies/", views.legal_page, {"page": "cookies"}, name="cookies"),
    path("plan-du-site/", views.sitemap, name="sitemap"),
    path("dev/outbox/", views.dev_outbox, name="dev-outbox"),
    path("admin/", admin.site.urls),
]
