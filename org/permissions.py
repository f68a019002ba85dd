from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from .models import MachineClientKey, User
from .visibility import is_crm_staff


class IsCrmStaff(BasePermission):
    """CRM data is for staff roles only; a machine client never reaches it."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_crm_staff(request.user)


class HasMachineScope(BasePermission):
    """A machine client whose key carries the view's `required_scope`. Staff tokens never pass."""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.role == User.Role.BILLING_CLIENT):
            return False
        auth = request.auth
        required = getattr(view, "required_scope", None)
        return isinstance(auth, MachineClientKey) and required in (auth.scopes or [])


class IsHqOrMachineScope(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if is_crm_staff(user) and (user.is_superuser or user.role == User.Role.HQ):
            return True
        return HasMachineScope().has_permission(request, view)
