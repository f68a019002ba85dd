from django.urls import path

from . import views

urlpatterns = [
    path("regions/", views.RegionListApi.as_view(), name="region-list"),
    path("auth/me/", views.MeApi.as_view(), name="auth-me"),
    path("auth/token/revoke/", views.TokenRevokeApi.as_view(), name="auth-token-revoke"),
]
