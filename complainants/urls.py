from django.urls import path

from . import views, views_staff

app_name = "complainants"

urlpatterns = [
    path("", views.office_list, name="offices"),
    path("o/<slug:office_code>/", views.complaint_form, name="form"),
    path("t/<str:token>/", views.progress, name="progress"),
    path("t/<str:token>/add/", views.add_information, name="add"),
    path("t/<str:token>/answer/", views.answer_solution, name="answer"),
    path("t/<str:token>/notices/", views.notices, name="notices"),
    path("t/<str:token>/callback/", views.questionnaire, name="questionnaire"),
    # staff (login and permission checked): the complainant's private links
    path("staff/<int:pk>/link/new/", views_staff.new_link, name="staff_new_link"),
    path("staff/<int:pk>/link/revoke/", views_staff.revoke_link, name="staff_revoke_link"),
]
