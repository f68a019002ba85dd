from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.account_list, name="list"),
    path("export.csv", views.account_export_csv, name="export_csv"),
    path("export.xlsx", views.account_export_xlsx, name="export_xlsx"),
    path("reassign/", views.account_reassign, name="reassign"),
    path("import/", views.import_upload, name="import"),
    path("import/template.csv", views.import_template, name="import_template"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
    path("import/jobs/<int:pk>/", views.import_job, name="import_job"),
    path("<str:code>/", views.account_detail, name="detail"),
    path("<str:code>/edit/", views.account_edit, name="edit"),
    path("<str:code>/key-persons/new/", views.key_person_form, name="key_person_add"),
    path("<str:code>/key-persons/<int:pk>/edit/", views.key_person_form, name="key_person_edit"),
    path("<str:code>/key-persons/<int:pk>/left/", views.key_person_left, name="key_person_left"),
    path("<str:code>/activities/new/", views.activity_log, name="activity_log"),
    path("<str:code>/service-requests/new/", views.service_request_open, name="sr_open"),
    path("<str:code>/service-requests/<int:pk>/", views.service_request_update, name="sr_update"),
]
