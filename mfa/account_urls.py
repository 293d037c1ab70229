from django.urls import path

from . import account_views as views

app_name = "mfa_account"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("mode/", views.default_mode, name="mode-edit"),
    path("password/", views.password_change, name="password-change"),
    path("app/", views.app_add, name="app-add"),
    path("app/<id:pk>/remove/", views.app_remove, name="app-remove"),
    path("keys/", views.keys, name="keys"),
    path("keys/add/", views.key_add, name="key-add"),
    path("keys/add/options/", views.key_options, name="key-options"),
    path("keys/<id:pk>/remove/", views.key_remove, name="key-remove"),
]
