from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
