from django.urls import path

from . import views

app_name = "mfa"

urlpatterns = [
    path("verify/", views.verify, name="verify"),
]
