from django.urls import path

from . import views

app_name = "segmentation"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("export.csv", views.overview_export, name="export"),
    path("runs/start/", views.run_start, name="run_start"),
    path("runs/<int:pk>/", views.run_progress, name="run_progress"),
    path("import/", views.import_upload, name="import"),
    path("import/template.csv", views.import_template, name="import_template"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
    path("accounts/<str:code>/indicators/new/", views.indicator_add, name="indicator_add"),
    path("accounts/<str:code>/override/", views.override, name="override"),
    path("accounts/<str:code>/panel/", views.account_panel, name="account_panel"),
]
