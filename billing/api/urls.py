from django.urls import path

from . import views

urlpatterns = [
    path("billing/batches/", views.BatchListCreateApi.as_view(), name="billing-batch-list"),
    path(
        "billing/batches/<int:batch_id>/",
        views.BatchDetailApi.as_view(),
        name="billing-batch-detail",
    ),
    path(
        "billing/batches/<int:batch_id>/reprocess/",
        views.BatchReprocessApi.as_view(),
        name="billing-batch-reprocess",
    ),
    path(
        "billing/batches/<int:batch_id>/payload/",
        views.BatchPayloadApi.as_view(),
        name="billing-batch-payload",
    ),
    path("billing/uploads/", views.CsvUploadApi.as_view(), name="billing-csv-upload"),
    path(
        "billing/accounts/<str:code>/lines/",
        views.AccountBillLinesApi.as_view(),
        name="billing-account-lines",
    ),
]
