from django.urls import path

from . import views

app_name = "complainants"

urlpatterns = [
    path("", views.office_list, name="offices"),
    path("o/<slug:office_code>/", views.complaint_form, name="form"),
    path("t/<str:token>/", views.progress, name="progress"),
    path("t/<str:token>/add/", views.add_information, name="add"),
    path("t/<str:token>/answer/", views.answer_solution, name="answer"),
    path("t/<str:token>/notices/", views.notices, name="notices"),
    path("t/<str:token>/callback/", views.questionnaire, name="questionnaire"),
]
