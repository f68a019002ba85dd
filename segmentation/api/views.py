"""Thin API views: parse, one selector or service call, render."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import account_get
from core.api.auth import request_user
from org.visibility import can_edit_account

from .. import selectors, services
from ..models import IndicatorSnapshot
from .serializers import (
    AccountScoresOutput,
    ClassOverrideInput,
    IndicatorSnapshotInput,
    IndicatorSnapshotOutput,
    RunInput,
    RunOutput,
    ScoreHistoryOutput,
)


def _validated(serializer_class, request: Request):  # type: ignore[no-untyped-def]
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class IndicatorListApi(GenericAPIView):
    serializer_class = IndicatorSnapshotOutput
    # For the schema generator only (the model behind the list); reads go through the selector.
    queryset = IndicatorSnapshot.objects.none()

    @extend_schema(responses=IndicatorSnapshotOutput(many=True))
    def get(self, request: Request, code: str) -> Response:
        queryset = selectors.indicator_snapshot_list(user=request.user, code=code)
        self.paginator.ordering = ("-measured_on", "-id")  # type: ignore[union-attr]
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(IndicatorSnapshotOutput(page, many=True).data)

    @extend_schema(request=IndicatorSnapshotInput, responses={201: IndicatorSnapshotOutput})
    def post(self, request: Request, code: str) -> Response:
        # 404 (not visible), then 403 (read-only), then 400 (invalid body).
        account = account_get(user=request.user, code=code)
        if not can_edit_account(request.user, account):
            raise PermissionDenied
        data = _validated(IndicatorSnapshotInput, request)
        snapshot = services.indicator_snapshot_record(
            actor=request_user(request), code=code, data=data
        )
        return Response(IndicatorSnapshotOutput(snapshot).data, status=status.HTTP_201_CREATED)


class ScoreHistoryApi(APIView):
    @extend_schema(responses=ScoreHistoryOutput(many=True))
    def get(self, request: Request, code: str) -> Response:
        history = selectors.score_history(user=request.user, code=code)
        return Response(ScoreHistoryOutput(history, many=True).data)


class ClassOverrideApi(APIView):
    @extend_schema(request=ClassOverrideInput, responses=AccountScoresOutput)
    def put(self, request: Request, code: str) -> Response:
        # 404 (not visible), then 403 (may not override), then 400 (invalid body).
        account = account_get(user=request.user, code=code)
        if not services.can_override_class(request.user, account):
            raise PermissionDenied
        data = _validated(ClassOverrideInput, request)
        services.class_override_set(actor=request_user(request), code=code, **data)
        account = account_get(user=request.user, code=code)
        return Response(AccountScoresOutput(selectors.account_scores(account=account)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, code: str) -> Response:
        services.class_override_remove(actor=request_user(request), code=code)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RunListApi(APIView):
    @extend_schema(responses=RunOutput(many=True))
    def get(self, request: Request) -> Response:
        return Response(RunOutput(selectors.last_runs(), many=True).data)

    @extend_schema(
        request=RunInput,
        responses={
            202: inline_serializer("RunAccepted", fields={"as_of": serializers.DateField()})
        },
    )
    def post(self, request: Request) -> Response:
        if not services.can_start_run(request.user):
            raise PermissionDenied
        data = _validated(RunInput, request)
        as_of = data.get("as_of") or timezone.localdate()
        services.scoring_run_request(actor=request_user(request), as_of=as_of)
        return Response({"as_of": as_of.isoformat()}, status=status.HTTP_202_ACCEPTED)


class RunDetailApi(APIView):
    @extend_schema(responses=RunOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(RunOutput(selectors.run_get(run_id=pk)).data)
