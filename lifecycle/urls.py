from django.urls import path

from . import views

app_name = "lifecycle"

urlpatterns = [
    path("desk/", views.desk, name="desk"),
    path("desk/export/", views.desk_export, name="desk_export"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/actions/", views.task_action, name="task_action"),
    path("tasks/<int:pk>/close/", views.task_close, name="task_close"),
    path("overview/", views.overview, name="overview"),
    path("overview/export/", views.matrix_export, name="matrix_export"),
    path("overview/drill/", views.drill, name="drill"),
    path("accounts/<str:code>/panel/", views.account_panel, name="account_panel"),
]
