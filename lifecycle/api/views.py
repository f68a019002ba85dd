"""Thin API views: parse, one selector or service call, render. Another portfolio's account or
task is a 404 for every method; then 403 (may read, may not act); then 400 (invalid body)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.auth import request_user

from .. import selectors, services
from ..models import ChurnFlag, RetentionTask, StageChange
from .serializers import (
    AccountLifecycleOutput,
    FlagFilterInput,
    FlagOutput,
    RetentionActionInput,
    RetentionActionOutput,
    RetentionCloseInput,
    RetentionTaskFilterInput,
    RetentionTaskOutput,
    StageChangeOutput,
)


def _validated(serializer_class: Any, data: Any) -> Any:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _task_context() -> dict[str, Any]:
    return {"today": timezone.localdate()}


class AccountLifecycleApi(APIView):
    @extend_schema(responses=AccountLifecycleOutput)
    def get(self, request: Request, code: str) -> Response:
        account, state = selectors.account_lifecycle_get(user=request.user, code=code)
        body = {
            "code": account.code,
            "as_of": state.as_of if state else None,
            "stage": state.stage if state else None,
            "stage_since": state.stage_since if state else None,
            "churn_risk": state.churn_risk if state else "low",
            "high_risk_since": state.high_risk_since if state else None,
            "evidence": state,
            "open_flags": selectors.account_open_flags(account=account),
        }
        return Response(AccountLifecycleOutput(body).data)


class StageHistoryApi(GenericAPIView):
    serializer_class = StageChangeOutput
    queryset = StageChange.objects.none()  # for the schema generator; reads use the selector

    @extend_schema(responses=StageChangeOutput(many=True))
    def get(self, request: Request, code: str) -> Response:
        queryset = selectors.stage_history(user=request.user, code=code)
        self.paginator.ordering = ("-changed_on",)  # type: ignore[union-attr]
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(StageChangeOutput(page, many=True).data)


class FlagListApi(GenericAPIView):
    serializer_class = FlagOutput
    queryset = ChurnFlag.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=["open", "cleared"], required=False)
        ],
        responses=FlagOutput(many=True),
    )
    def get(self, request: Request, code: str) -> Response:
        params = _validated(FlagFilterInput, request.query_params)
        queryset = selectors.flag_list(
            user=request.user, code=code, status=params.get("status", "")
        )
        self.paginator.ordering = ("-id",)  # type: ignore[union-attr]
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(FlagOutput(page, many=True).data)


class RetentionTaskListApi(GenericAPIView):
    serializer_class = RetentionTaskOutput
    queryset = RetentionTask.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=RetentionTask.Status.values),
            OpenApiParameter("overdue", OpenApiTypes.BOOL),
            OpenApiParameter("owner", OpenApiTypes.STR, description="The owner's username."),
            OpenApiParameter("risk", OpenApiTypes.STR, enum=["low", "medium", "high"]),
        ],
        responses=RetentionTaskOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        params = _validated(RetentionTaskFilterInput, request.query_params)
        queryset = selectors.task_list(
            user=request.user,
            status=params.get("status", ""),
            overdue=params.get("overdue"),
            owner=params.get("owner", ""),
            risk=params.get("risk", ""),
            today=timezone.localdate(),
        )
        self.paginator.ordering = ("-id",)  # type: ignore[union-attr]
        page = self.paginate_queryset(queryset)
        context = {**_task_context(), "flags": selectors.tasks_flags(page or [])}
        data = RetentionTaskOutput(page, many=True, context=context).data
        return self.get_paginated_response(data)


class RetentionTaskDetailApi(APIView):
    @extend_schema(responses=RetentionTaskOutput)
    def get(self, request: Request, pk: int) -> Response:
        task = selectors.task_get(user=request.user, pk=pk)
        return Response(RetentionTaskOutput(task, context=_task_context()).data)


class RetentionTaskActionsApi(APIView):
    @extend_schema(responses=RetentionActionOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        task = selectors.task_get(user=request.user, pk=pk)
        return Response(RetentionActionOutput(selectors.task_actions(task=task), many=True).data)

    @extend_schema(request=RetentionActionInput, responses={201: RetentionActionOutput})
    def post(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        task = selectors.task_get(user=actor, pk=pk)
        if not services.can_act_on_task(actor, task):
            raise PermissionDenied
        data = _validated(RetentionActionInput, request.data)
        action = services.retention_action_record(actor=actor, task_id=task.pk, **data)
        return Response(RetentionActionOutput(action).data, status=status.HTTP_201_CREATED)


class RetentionTaskCloseApi(APIView):
    @extend_schema(request=RetentionCloseInput, responses=RetentionTaskOutput)
    def post(self, request: Request, pk: int) -> Response:
        actor = request_user(request)
        task = selectors.task_get(user=actor, pk=pk)
        if not services.can_act_on_task(actor, task):
            raise PermissionDenied
        data = _validated(RetentionCloseInput, request.data)
        task = services.retention_task_close(actor=actor, task_id=task.pk, **data)
        return Response(RetentionTaskOutput(task, context=_task_context()).data)
