from django.urls import path

from . import views

urlpatterns = [
    path(
        "accounts/<str:code>/lifecycle/",
        views.AccountLifecycleApi.as_view(),
        name="account-lifecycle",
    ),
    path(
        "accounts/<str:code>/stage-history/",
        views.StageHistoryApi.as_view(),
        name="account-stage-history",
    ),
    path("accounts/<str:code>/flags/", views.FlagListApi.as_view(), name="account-flags"),
    path("retention-tasks/", views.RetentionTaskListApi.as_view(), name="retention-task-list"),
    path(
        "retention-tasks/<int:pk>/",
        views.RetentionTaskDetailApi.as_view(),
        name="retention-task-detail",
    ),
    path(
        "retention-tasks/<int:pk>/actions/",
        views.RetentionTaskActionsApi.as_view(),
        name="retention-task-actions",
    ),
    path(
        "retention-tasks/<int:pk>/close/",
        views.RetentionTaskCloseApi.as_view(),
        name="retention-task-close",
    ),
]
