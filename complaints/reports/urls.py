from django.urls import path, re_path

from . import views

app_name = "reports"
urlpatterns = [
    path("monthly/", views.monthly_dashboard, name="monthly"),
    # any text as the month, so that a bad one gets a clear 400 rather than a bare 404
    re_path(r"^monthly/(?P<month>[^/]+)/summary\.(?P<fmt>xlsx|csv)$", views.monthly_download, name="monthly_download"),
]
