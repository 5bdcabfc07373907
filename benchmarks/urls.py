from django.urls import path

from . import views

app_name = "benchmarks"
urlpatterns = [path("floor/", views.floor, name="floor")]
