from django.urls import path

from . import views

urlpatterns = [
    path("solutions/modules/", views.ModuleListApi.as_view(), name="solution-module-list"),
    path("solutions/products/", views.ProductListApi.as_view(), name="product-list"),
]
