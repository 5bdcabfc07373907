from django.urls import include, path

from . import views_frontdesk, views_surveys, views_visits

app_name = "followups"
urlpatterns = [
    path("", include(views_visits.urlpatterns)),
    path("surveys/", include(views_surveys.urlpatterns)),
    path("", include(views_frontdesk.urlpatterns)),
]
