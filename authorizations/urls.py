from django.urls import path

from . import views

app_name = "authorizations"

urlpatterns = [
    path("account/authorizations/", views.authorization_list, name="authorization-list"),
    path("account/authorizations/manage/", views.authorization_manage, name="authorization-manage"),
    path(
        "users/members/<id:pk>/authorizations/",
        views.member_authorizations,
        name="member-authorizations",
    ),
]
