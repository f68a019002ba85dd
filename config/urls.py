from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import IsAuthenticated

api_v1 = [
    path("", include("org.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("billing.api.urls")),
    path("", include("solutions.api.urls")),
    path("", include("segmentation.api.urls")),
    path("", include("kpi.api.urls")),
    path("", include("lifecycle.campaigns.api_urls")),
    path("", include("lifecycle.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]),
        name="api-schema",
    ),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[IsAuthenticated]),
        name="api-docs",
    ),
    path("accounts/", include("accounts.urls")),
    path("segmentation/", include("segmentation.urls")),
    path("kpi/", include("kpi.urls")),
    path("campaigns/", include("lifecycle.campaigns.urls")),
    path("lifecycle/", include("lifecycle.urls")),
    path("", include("core.urls")),
]
