"""Customer master data for the billing system (a machine client): code, name, credit code,
region, parent, status and cost centres. Nothing else: no key persons, activities or scores."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.pagination import KeysetPagination
from org.permissions import IsHqOrMachineScope

from .. import selectors
from .filters import AccountFilter
from .serializers import MasterDataOutput


class MasterDataPagination(KeysetPagination):
    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 2000
    ordering = ("updated_at", "code")


class MasterDataFilter(AccountFilter):
    """Only master-data filters: the billing client may not filter by owner, industry or any
    other CRM attribute (filtering is reading: it would reveal who manages which customer)."""

    owner = None  # type: ignore[assignment]
    industry = None  # type: ignore[assignment]
    org_kind = None  # type: ignore[assignment]
    size_band = None  # type: ignore[assignment]

    class Meta(AccountFilter.Meta):
        fields: list[str] = []


class BillingMasterDataApi(GenericAPIView):
    permission_classes = [IsHqOrMachineScope]
    required_scope = "billing"
    filter_backends = [DjangoFilterBackend]
    filterset_class = MasterDataFilter
    pagination_class = MasterDataPagination
    serializer_class = MasterDataOutput

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.master_data_list()

    @extend_schema(responses=MasterDataOutput(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        selectors.attach_cost_centres(page or [])
        return self.get_paginated_response(MasterDataOutput(page, many=True).data)
