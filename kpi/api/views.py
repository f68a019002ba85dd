"""KPI API for BI tools: the scorecard and the snapshots. Thin: parse, one selector call, render.
Scopes follow the dashboards: a region outside the caller's subtree is a 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from org.models import User

from .. import selectors
from ..models import MetricSnapshot
from .serializers import ScorecardInput, ScorecardOutput, SnapshotListInput, SnapshotOutput


def _query(serializer_class: Any, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.query_params.dict())
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _is_account_manager(user: Any) -> bool:
    return bool(user.role == User.Role.ACCOUNT_MANAGER and not user.is_superuser)


class ScorecardApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("region", OpenApiTypes.STR, description="Region code (its subtree)."),
            OpenApiParameter(
                "user", OpenApiTypes.STR, description="An account manager's user name."
            ),
            OpenApiParameter("period", OpenApiTypes.STR, description="2026Q3 or 2026."),
        ],
        responses=ScorecardOutput,
    )
    def get(self, request: Request) -> Response:
        data = _query(ScorecardInput, request)
        viewer = request.user
        period = data.get("period") or selectors.default_period(today=timezone.localdate())
        region = person = None
        if _is_account_manager(viewer):
            if data.get("region"):
                raise Http404
            person = selectors.account_manager_in_scope(
                viewer=viewer, username=data.get("user") or viewer.username
            )
        elif data.get("user"):
            person = selectors.account_manager_in_scope(viewer=viewer, username=data["user"])
        else:
            region = selectors.dashboard_region(user=viewer, region_code=data.get("region"))
        card = selectors.scorecard(period=period, region=region, user=person)
        return Response(
            ScorecardOutput(
                {
                    "period": period.code,
                    "year": period.year,
                    "quarter": period.quarter,
                    "scheme": card.scheme.name if card.scheme else None,
                    "as_of": card.as_of,
                    "region": region.code if region else None,
                    "user": person.username if person else None,
                    "total": card.total,
                    "lines": [
                        {
                            "metric": r.metric,
                            "label": r.label,
                            "definition": r.definition,
                            "weight": r.weight,
                            "direction": r.direction,
                            "rule": r.rule,
                            "actual": r.actual,
                            "realistic": r.realistic,
                            "stretch": r.stretch,
                            "attainment_realistic": r.attainment_realistic,
                            "attainment_stretch": r.attainment_stretch,
                            "points": r.points,
                        }
                        for r in card.rows
                    ],
                }
            ).data
        )


class SnapshotListApi(GenericAPIView):
    serializer_class = SnapshotOutput
    # For the schema generator only; reads go through the selector.
    queryset = MetricSnapshot.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("region", OpenApiTypes.STR, description="Region code."),
            OpenApiParameter("metric", OpenApiTypes.STR),
            OpenApiParameter("period", OpenApiTypes.STR, description="month, quarter or year."),
            OpenApiParameter("from", OpenApiTypes.DATE),
            OpenApiParameter("to", OpenApiTypes.DATE),
        ],
        responses=SnapshotOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        data = _query(SnapshotListInput, request)
        viewer = request.user
        region = None
        if data.get("region"):
            if _is_account_manager(viewer):
                raise Http404
            region = selectors.dashboard_region(user=viewer, region_code=data["region"])
        rows = selectors.snapshot_list(
            viewer=viewer,
            region=region,
            metric=data.get("metric"),
            period=data.get("period"),
            date_from=data.get("from"),
            date_to=data.get("to"),
        )
        self.paginator.ordering = ("-as_of", "-id")  # type: ignore[union-attr]
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(SnapshotOutput(page, many=True).data)
