from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_new, name="new"),
    path("search/", views.customer_search, name="search"),
    path("churn/", views.churn, name="churn"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/tier/", views.change_tier, name="change_tier"),
    path("<int:pk>/contacts/", views.edit_contacts, name="edit_contacts"),
    path("<int:pk>/credit/", views.evaluate_credit, name="evaluate_credit"),
    path("<int:pk>/archive/", views.edit_archive, name="edit_archive"),
    path("<int:pk>/transactions/", views.add_transaction, name="add_transaction"),
    path("<int:pk>/documents/", views.upload_document, name="upload_document"),
    path("<int:pk>/documents/<int:doc_pk>/", views.download_document, name="download_document"),
    path("<int:pk>/access-log/", views.access_log, name="access_log"),
]
