from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/edit/<slug:field>/", views.account_edit, name="account-edit"),
    path("account/photo/", views.photo_edit, name="photo-edit"),
    path("account/photo/<id:pk>/", views.photo, name="photo"),
    path("account/notifications/", views.notifications, name="notifications"),
    path("account/preferences/", views.preferences, name="preferences"),
    path("account/deactivate/", views.deactivate, name="deactivate"),
    path("account/sessions/<id:pk>/end/", views.session_end, name="session-end"),
    path("account/sessions/end-others/", views.sessions_end_others, name="sessions-end-others"),
]
