from django.urls import path

from . import views

app_name = "affiliations"

urlpatterns = [
    path("account/affiliations/", views.affiliation_list, name="affiliation-list"),
    path("account/affiliations/request/", views.affiliation_request, name="affiliation-request"),
    path("account/affiliations/detach/", views.affiliation_detach, name="affiliation-detach"),
    path("account/requests/", views.request_list, name="request-list"),
    path("account/requests/<id:pk>/cancel/", views.request_cancel, name="request-cancel"),
    path("users/", views.users_area, name="users-area"),
    path("users/requests/decide/", views.requests_decide, name="requests-decide"),
    path("users/requests/<id:pk>/refuse/", views.request_refuse, name="request-refuse"),
    path("users/structures/<id:pk>/transfer/", views.role_transfer, name="role-transfer"),
    path("users/members/<id:pk>/reactivate/", views.member_reactivate, name="member-reactivate"),
]
