"""Thin API views: parse input, one selector or service call, render."""

from __future__ import annotations

import re
from typing import Any

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.auth import request_user
from core.api.errors import ConflictError as ApiConflict
from core.exports import csv_rows
from org.visibility import can_assign_owner_and_region

from .. import selectors, services
from ..audit import account_audit_trail
from ..models import Account, Member
from .filters import AccountFilter, TiebreakOrderingFilter
from .serializers import (
    AccountCreateInput,
    AccountDetailOutput,
    AccountOutput,
    AccountUpdateInput,
    ActivityInput,
    ActivityOutput,
    HistoryOutput,
    KeyPersonInput,
    KeyPersonOutput,
    MasterDataOutput,
    MemberInput,
    MemberOutput,
    ReassignInput,
    ReassignOutput,
    ServiceRequestInput,
    ServiceRequestOutput,
    ServiceRequestUpdateInput,
)

ORDERING_FIELDS = ["code", "name", "joined_on", "contract_end", "updated_at"]


def _validated(serializer_class: type[serializers.Serializer], request: Request, **kw: Any) -> Any:
    serializer = serializer_class(data=request.data, context={"request": request}, **kw)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class AccountListCreateApi(GenericAPIView):
    filter_backends = [DjangoFilterBackend, TiebreakOrderingFilter]
    filterset_class = AccountFilter
    ordering_fields = ORDERING_FIELDS
    ordering = ["code"]
    serializer_class = AccountOutput

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.account_list_base(user=self.request.user)

    @extend_schema(responses=AccountOutput(many=True))
    def get(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset.prefetch_related(selectors.open_flags_prefetch()))
        selectors.attach_list_columns(page)  # type: ignore[arg-type]
        return self.get_paginated_response(AccountOutput(page, many=True).data)

    @extend_schema(request=AccountCreateInput, responses={201: AccountDetailOutput})
    def post(self, request: Request) -> Response:
        data = _validated(AccountCreateInput, request)
        account = services.account_create(actor=request_user(request), data=data)
        detail = selectors.account_detail(user=request.user, code=account.code, lifecycle=True)
        return Response(AccountDetailOutput(detail).data, status=status.HTTP_201_CREATED)


class AccountExportApi(GenericAPIView):
    """The same filters as the list, as CSV: exactly the rows the user may see."""

    filter_backends = [DjangoFilterBackend, TiebreakOrderingFilter]
    filterset_class = AccountFilter
    ordering_fields = ORDERING_FIELDS
    ordering = ["code"]
    serializer_class = AccountOutput
    pagination_class = None
    max_rows = 200_000

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.account_list(user=self.request.user)

    @extend_schema(responses={(200, "text/csv"): str})
    def get(self, request: Request) -> StreamingHttpResponse:
        queryset = self.filter_queryset(self.get_queryset())[: self.max_rows]
        header = [
            _("code"), _("name"), _("credit code"), _("organisation kind"), _("industry"),
            _("size band"), _("status"), _("region"), _("account manager"), _("parent account"),
            _("stage"), _("churn risk"),
        ]  # fmt: skip
        rows = (
            (a.code, a.name, a.credit_code, a.org_kind, a.industry, a.size_band, a.status,
             a.region.code, a.owner.username, a.parent.code if a.parent_id else "",
             a.stage or "", a.churn_risk or "")  # type: ignore[attr-defined]
            for a in queryset.iterator(chunk_size=2000)
        )  # fmt: skip
        response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="accounts.csv"'
        return response


def _expected_version(request: Request, body_version: int | None) -> int:
    header = request.headers.get("If-Match", "")
    match = re.fullmatch(r'\s*(?:W/)?"?(\d{1,9})"?\s*', header) if header else None
    if header and not match:
        raise serializers.ValidationError({"If-Match": [_("Not a version tag.")]})
    header_version = int(match.group(1)) if match else None
    if header_version is not None and body_version is not None and header_version != body_version:
        raise serializers.ValidationError({"version": [_("If-Match and version disagree.")]})
    version = body_version if body_version is not None else header_version
    if version is None:
        raise serializers.ValidationError(
            {"version": [_("Send the version you edited (or an If-Match header).")]}
        )
    return version


class AccountDetailApi(APIView):
    @extend_schema(responses=AccountDetailOutput)
    def get(self, request: Request, code: str) -> Response:
        account = selectors.account_detail(user=request.user, code=code, lifecycle=True)
        return Response(AccountDetailOutput(account).data, headers={"ETag": f'"{account.version}"'})

    @extend_schema(
        request=AccountUpdateInput,
        responses=AccountDetailOutput,
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=False)],
    )
    def patch(self, request: Request, code: str) -> Response:
        selectors.account_get(user=request.user, code=code)  # 404 before any 400 (no oracle)
        data = dict(_validated(AccountUpdateInput, request))
        version = _expected_version(request, data.pop("version", None))
        try:
            services.account_update(
                actor=request_user(request), code=code, expected_version=version, data=data
            )
        except services.ConflictError as exc:
            raise ApiConflict(
                _(
                    "Someone else saved this account after you opened it (it is now version "
                    "%(version)s). Reload it and apply your change again."
                )
                % {"version": exc.current_version}
            ) from exc
        account = selectors.account_detail(user=request.user, code=code, lifecycle=True)
        return Response(AccountDetailOutput(account).data, headers={"ETag": f'"{account.version}"'})


class AccountHistoryApi(APIView):
    @extend_schema(responses=HistoryOutput(many=True))
    def get(self, request: Request, code: str) -> Response:
        entries = account_audit_trail(user=request.user, code=code)
        return Response(HistoryOutput(entries, many=True).data)


class AccountReassignApi(APIView):
    @extend_schema(request=ReassignInput, responses=ReassignOutput)
    def post(self, request: Request) -> Response:
        # Refused by role before the body is read: an account manager never reassigns.
        if not can_assign_owner_and_region(request.user):
            raise exceptions.PermissionDenied(_("Only managers reassign accounts."))
        data = _validated(ReassignInput, request)
        moved = services.accounts_reassign(
            actor=request_user(request),
            codes=data["codes"],
            new_owner=data["owner"],
            reason=data.get("reason", ""),
        )
        return Response({"moved": moved})


# --- nested resources -------------------------------------------------------------------------


class _NestedList(GenericAPIView):
    """List and create one kind of record under an account; pagination by id."""

    output: type[serializers.Serializer]
    input: type[serializers.Serializer]
    # Only for the schema generator (it types the `code` path parameter from the model): rows
    # always come from the visibility-checked selectors below.
    queryset = Account.objects.none()

    def paginate(self, request: Request, queryset: Any) -> Response:
        self.paginator.ordering = queryset.query.order_by or ("-id",)  # type: ignore[union-attr]
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.output(page, many=True).data)


class KeyPersonListApi(_NestedList):
    serializer_class = output = KeyPersonOutput

    @extend_schema(responses=KeyPersonOutput(many=True))
    def get(self, request: Request, code: str) -> Response:
        return Response(
            KeyPersonOutput(selectors.key_person_list(user=request.user, code=code), many=True).data
        )

    @extend_schema(request=KeyPersonInput, responses={201: KeyPersonOutput})
    def post(self, request: Request, code: str) -> Response:
        selectors.account_get(user=request.user, code=code)
        data = _validated(KeyPersonInput, request)
        person = services.key_person_create(actor=request_user(request), code=code, data=data)
        return Response(KeyPersonOutput(person).data, status=status.HTTP_201_CREATED)


class KeyPersonDetailApi(APIView):
    @extend_schema(responses=KeyPersonOutput)
    def get(self, request: Request, code: str, pk: int) -> Response:
        return Response(
            KeyPersonOutput(selectors.key_person_get(user=request.user, code=code, pk=pk)).data
        )

    @extend_schema(request=KeyPersonInput, responses=KeyPersonOutput)
    def patch(self, request: Request, code: str, pk: int) -> Response:
        selectors.key_person_get(user=request.user, code=code, pk=pk)
        data = _validated(KeyPersonInput, request, partial=True)
        person = services.key_person_update(
            actor=request_user(request), code=code, pk=pk, data=data
        )
        return Response(KeyPersonOutput(person).data)


class MemberListApi(_NestedList):
    serializer_class = output = MemberOutput

    @extend_schema(responses=MemberOutput(many=True))
    def get(self, request: Request, code: str) -> Response:
        return self.paginate(request, selectors.member_list(user=request.user, code=code))

    @extend_schema(request=MemberInput, responses={201: MemberOutput})
    def post(self, request: Request, code: str) -> Response:
        selectors.account_get(user=request.user, code=code)
        data = _validated(MemberInput, request)
        member = services.member_create(actor=request_user(request), code=code, data=data)
        return Response(MemberOutput(member).data, status=status.HTTP_201_CREATED)


class MemberDetailApi(APIView):
    @extend_schema(responses=MemberOutput)
    def get(self, request: Request, code: str, pk: int) -> Response:
        member: Member = selectors.member_get(user=request.user, code=code, pk=pk)
        return Response(MemberOutput(member).data)


class ActivityListApi(_NestedList):
    serializer_class = output = ActivityOutput

    @extend_schema(responses=ActivityOutput(many=True))
    def get(self, request: Request, code: str) -> Response:
        return self.paginate(request, selectors.activity_list(user=request.user, code=code))

    @extend_schema(request=ActivityInput, responses={201: ActivityOutput})
    def post(self, request: Request, code: str) -> Response:
        selectors.account_get(user=request.user, code=code)
        data = _validated(ActivityInput, request)
        activity = services.activity_log(actor=request_user(request), code=code, data=data)
        return Response(ActivityOutput(activity).data, status=status.HTTP_201_CREATED)


class ActivityDetailApi(APIView):
    @extend_schema(responses=ActivityOutput)
    def get(self, request: Request, code: str, pk: int) -> Response:
        return Response(
            ActivityOutput(selectors.activity_get(user=request.user, code=code, pk=pk)).data
        )


class ServiceRequestListApi(_NestedList):
    serializer_class = output = ServiceRequestOutput

    @extend_schema(responses=ServiceRequestOutput(many=True))
    def get(self, request: Request, code: str) -> Response:
        return self.paginate(request, selectors.service_request_list(user=request.user, code=code))

    @extend_schema(request=ServiceRequestInput, responses={201: ServiceRequestOutput})
    def post(self, request: Request, code: str) -> Response:
        selectors.account_get(user=request.user, code=code)
        data = _validated(ServiceRequestInput, request)
        sr = services.service_request_open(actor=request_user(request), code=code, data=data)
        return Response(ServiceRequestOutput(sr).data, status=status.HTTP_201_CREATED)


class ServiceRequestDetailApi(APIView):
    @extend_schema(responses=ServiceRequestOutput)
    def get(self, request: Request, code: str, pk: int) -> Response:
        sr = selectors.service_request_get(user=request.user, code=code, pk=pk)
        return Response(ServiceRequestOutput(sr).data)

    @extend_schema(request=ServiceRequestUpdateInput, responses=ServiceRequestOutput)
    def patch(self, request: Request, code: str, pk: int) -> Response:
        selectors.service_request_get(user=request.user, code=code, pk=pk)
        data = _validated(ServiceRequestUpdateInput, request)
        sr = services.service_request_update(
            actor=request_user(request), code=code, pk=pk, data=data
        )
        return Response(ServiceRequestOutput(sr).data)


__all__ = ["MasterDataOutput"]
