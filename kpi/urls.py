from django.urls import path

from . import views

app_name = "kpi"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.xlsx", views.dashboard_export, name="export"),
    path("me/", views.me, name="me"),
    path("managers/<str:username>/", views.manager, name="manager"),
    path("managers/<str:username>/export.xlsx", views.manager_export, name="manager_export"),
    path("accounts/", views.drill, name="drill"),
    path("accounts/export.xlsx", views.drill_export, name="drill_export"),
    path("schemes/", views.schemes, name="schemes"),
    path("schemes/<int:year>/", views.scheme, name="scheme"),
    path("schemes/<int:year>/targets/", views.targets, name="targets"),
    path("schemes/<int:year>/targets/import/", views.targets_import, name="targets_import"),
    path(
        "schemes/<int:year>/targets/import/confirm/",
        views.targets_import_confirm,
        name="targets_import_confirm",
    ),
    path(
        "schemes/<int:year>/targets/template.csv",
        views.targets_template,
        name="targets_template",
    ),
]
