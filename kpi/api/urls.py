from django.urls import path

from . import views

urlpatterns = [
    path("kpi/scorecard/", views.ScorecardApi.as_view(), name="kpi-scorecard"),
    path("kpi/snapshots/", views.SnapshotListApi.as_view(), name="kpi-snapshots"),
]
