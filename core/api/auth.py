"""The authenticated principal of a request, typed as what the services expect."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.request import Request

from org.models import User


def request_user(request: HttpRequest | Request) -> User:
    """`request.user` as a `User`, for passing to a service as `actor`. Permission classes and
    `crm_staff_required` already turned anonymous requests away; this keeps an anonymous user
    from ever reaching a service (403 in a page or the API alike), and tells mypy so."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied
    return user
