from django.urls import include, path

from . import views_frontdesk, views_kpi, views_messages, views_surveys, views_visits

app_name = "followups"
urlpatterns = [
    path("", include(views_visits.urlpatterns)),
    path("surveys/", include(views_surveys.urlpatterns)),
    path("messages/", include(views_messages.urlpatterns)),
    path("", include(views_frontdesk.urlpatterns)),
    path("", include(views_kpi.urlpatterns)),
]
