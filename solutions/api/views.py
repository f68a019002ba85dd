"""The product catalogue: staff read it to propose solutions, billing reads it as master data."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from org.permissions import HasMachineScope, IsCrmStaff

from .. import selectors


class ModuleOutput(serializers.Serializer):
    code = serializers.CharField()
    layer = serializers.CharField()
    scope = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()


class ProductOutput(serializers.Serializer):
    product_code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    module = serializers.CharField(source="module.code")
    active = serializers.BooleanField()


class IsStaffOrBillingClient(BasePermission):
    def has_permission(self, request, view):  # type: ignore[no-untyped-def]
        return IsCrmStaff().has_permission(request, view) or HasMachineScope().has_permission(
            request, view
        )


class ModuleListApi(APIView):
    permission_classes = [IsStaffOrBillingClient]
    required_scope = "billing"

    @extend_schema(responses=ModuleOutput(many=True))
    def get(self, request: Request) -> Response:
        return Response(ModuleOutput(selectors.module_list(), many=True).data)


class ProductListApi(APIView):
    permission_classes = [IsStaffOrBillingClient]
    required_scope = "billing"

    @extend_schema(
        parameters=[
            OpenApiParameter("module", str, description="Only products of this module code."),
            OpenApiParameter("active", bool, description="Only active (or inactive) products."),
        ],
        responses=ProductOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        active_param = request.query_params.get("active")
        active = None if active_param is None else active_param.lower() in ("1", "true", "yes")
        products = selectors.product_list(
            module=request.query_params.get("module") or None, active=active
        )
        return Response(ProductOutput(products, many=True).data)
