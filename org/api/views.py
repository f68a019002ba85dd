from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import exceptions, serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import Region


class RegionOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    level = serializers.CharField()
    parent = serializers.CharField(source="parent.code", allow_null=True, default=None)  # type: ignore[assignment]  # stubs: Field.parent
    path = serializers.CharField()


class RegionListApi(GenericAPIView):
    """The region tree (reference data: every staff member may see the whole tree)."""

    serializer_class = RegionOutput
    pagination_class = None

    def get(self, request: Request) -> Response:
        regions = Region.objects.select_related("parent").order_by("path")
        return Response(RegionOutput(regions, many=True).data)


class MeOutput(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    role = serializers.CharField()
    region = serializers.CharField(source="region.code", allow_null=True, default=None)


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeOutput)
    def get(self, request: Request) -> Response:
        return Response(MeOutput(request.user).data)


class LogoutOutput(serializers.Serializer):
    detail = serializers.CharField()


class TokenRevokeApi(APIView):
    """Revoke the bearer token this request was made with."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=LogoutOutput)
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
            return Response({"detail": _("Token revoked.")})
        # An API key or a session is not a token: there is nothing this endpoint could revoke.
        raise exceptions.ValidationError(_("No bearer token in this request."), code="no_token")
