from django.urls import path

from . import views

urlpatterns = [
    path(
        "accounts/<str:code>/indicators/",
        views.IndicatorListApi.as_view(),
        name="indicator-list",
    ),
    path("accounts/<str:code>/scores/", views.ScoreHistoryApi.as_view(), name="score-history"),
    path(
        "accounts/<str:code>/class-override/",
        views.ClassOverrideApi.as_view(),
        name="class-override",
    ),
    path("segmentation/runs/", views.RunListApi.as_view(), name="segmentation-run-list"),
    path(
        "segmentation/runs/<int:pk>/",
        views.RunDetailApi.as_view(),
        name="segmentation-run-detail",
    ),
]
