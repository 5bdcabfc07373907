from django.urls import path

from . import views, views_attachments, views_paper
from .daily_log import views as daily_log_views
from .training import views as training_views

app_name = "complaints"
urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("callbacks/", views.callback_queue, name="callbacks"),
    path("new/walk-in/", views.intake_walk_in, name="intake_walk_in"),
    path("new/phone/", views.intake_phone, name="intake_phone"),
    path("new/online/", views.intake_online, name="intake_online"),
    path("new/repeat-check/", views.repeat_check, name="repeat_check"),
    path("new/letter/", views.intake_letter, name="intake_letter"),
    path("new/field-visit/", views.intake_field_visit, name="intake_field_visit"),
    path("<int:pk>/", views.complaint_detail, name="detail"),
    path("<int:pk>/actions/<slug:action>/", views.complaint_action, name="action"),
    path("<int:pk>/paper/<slug:form>/", views_paper.paper_form, name="paper_form"),
    path("<int:pk>/paper/<slug:form>.pdf", views_paper.paper_form_pdf, name="paper_form_pdf"),
    path("daily/", daily_log_views.daily_log, name="daily_log"),
    path("daily/<str:day>/", daily_log_views.daily_log, name="daily_log_day"),
    path("training/", training_views.training_list, name="training_list"),
    path("training/<int:pk>/", training_views.training_detail, name="training_detail"),
    *views_attachments.urlpatterns,  # attachments: download, thumbnail, withdraw, safe for training
]
