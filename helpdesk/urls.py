from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from helpdesk.api import api_urls
from helpdesk.health import health
from helpdesk.home import home

admin.site.site_header = _("Helpdesk administration")
admin.site.site_title = _("Helpdesk administration")
admin.site.index_title = _("Complaints, staff and lists")

urlpatterns = [
    path("", home, name="home"),  # the first page of the user's work they may open
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", health, name="health"),  # no login: the load balancer's probe
    path("account/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("complaints/", include("complaints.urls")),
    path("reports/", include("complaints.reports.urls")),
    path("notifications/", include("notifications.urls")),
    path("customers/", include("customers.urls")),
    path("followups/", include("followups.urls")),
    path("c/", include("complainants.urls")),  # the complainant's side: no login
    path("api/v1/", include(api_urls())),
    path("bench/", include("benchmarks.urls")),  # the benchmark's floor: one authenticated line
    path(settings.ADMIN_URL, admin.site.urls),  # DJANGO_ADMIN_URL, default "admin/"
]
handler400 = "helpdesk.api.bad_request"  # JSON under /api/
