from django.urls import path

from . import views
from .daily_log import views as daily_log_views
from .training import views as training_views

app_name = "complaints"
urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("callbacks/", views.callback_queue, name="callbacks"),
    path("new/walk-in/", views.intake_walk_in, name="intake_walk_in"),
    path("new/phone/", views.intake_phone, name="intake_phone"),
    path("<int:pk>/", views.complaint_detail, name="detail"),
    path("<int:pk>/actions/<slug:action>/", views.complaint_action, name="action"),
    path("daily/", daily_log_views.daily_log, name="daily_log"),
    path("daily/<str:day>/", daily_log_views.daily_log, name="daily_log_day"),
    path("training/", training_views.training_list, name="training_list"),
    path("training/<int:pk>/", training_views.training_detail, name="training_detail"),
]
