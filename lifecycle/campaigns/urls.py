from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("my-calls/", views.my_calls, name="my_calls"),
    path("calls/<int:pk>/", views.call_detail, name="call"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("<int:pk>/generate/", views.campaign_generate, name="generate"),
    path(
        "<int:pk>/generate/preview/",
        views.campaign_generate_preview,
        name="generate_preview",
    ),
    path("<int:pk>/resplit/", views.campaign_resplit, name="resplit"),
    path("<int:pk>/close/", views.campaign_close, name="close"),
    path("<int:pk>/calls/", views.campaign_calls, name="calls"),
    path("<int:pk>/export.csv", views.campaign_export, {"fmt": "csv"}, name="export_csv"),
    path("<int:pk>/export.xlsx", views.campaign_export, {"fmt": "xlsx"}, name="export_xlsx"),
]
