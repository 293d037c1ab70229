from django.urls import path

from . import views

app_name = "login_address"

urlpatterns = [
    path("account/login-address/", views.change, name="change"),
    path("account/login-address/cancel/", views.cancel, name="cancel"),
    path("account/login-address/confirm/<str:token>/", views.confirm, name="confirm"),
]
