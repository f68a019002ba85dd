"""Writes for the organisation: regions, staff, machine clients and their credentials."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from knox.models import AuthToken

from .models import MachineClientKey, Region, User


@transaction.atomic
def region_save(
    *, code: str, name: str, level: str, parent: Region | None = None, name_en: str = ""
) -> Region:
    """Create or update a region by code; moving it re-roots its whole subtree's paths."""
    region = Region.objects.select_for_update().filter(code=code).first()
    old_path = region.path if region else None
    if region is None:
        region = Region(code=code)
    if parent is not None and old_path and parent.path.startswith(old_path):
        raise ValueError("A region cannot be moved under its own subtree.")
    region.name, region.level, region.parent, region.name_en = name, level, parent, name_en
    region.path = region.compute_path()
    region.depth = region.path.count("/") - 2
    region.save()
    if old_path and old_path != region.path:
        descendants = Region.objects.filter(path__startswith=old_path).exclude(pk=region.pk)
        descendants.update(path=Concat(Value(region.path), Substr("path", len(old_path) + 1)))
        for child in Region.objects.filter(path__startswith=region.path).exclude(pk=region.pk):
            child.depth = child.path.count("/") - 2
            child.save(update_fields=["depth"])
    return region


@transaction.atomic
def user_provision(
    *,
    username: str,
    role: str,
    region: Region | None = None,
    password: str | None = None,
    display_name: str = "",
    email: str = "",
) -> tuple[User, bool]:
    if role == User.Role.REGIONAL_MANAGER and region is None:
        raise ValueError("A regional manager needs a region.")
    user, created = User.objects.get_or_create(username=username)
    user.role = role
    user.region = region
    user.is_active = True
    user.is_staff = role == User.Role.HQ
    if display_name:
        user.display_name = display_name
    if email:
        user.email = email
    if password:
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    user.save()
    return user, created


def user_token_issue(*, user: User, ttl: dt.timedelta | None = None) -> tuple[AuthToken, str]:
    """A bearer token for scripts: only its hash is kept; it expires; revoke with token_revoke."""
    expiry = ttl if ttl is not None else settings.REST_KNOX["TOKEN_TTL"]
    instance, token = AuthToken.objects.create(user=user, expiry=expiry)
    return instance, token


def user_tokens_revoke(*, user: User) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


@dataclass(frozen=True)
class IssuedKey:
    client: User
    key_prefix: str
    key: str
    expires_at: dt.datetime | None


@transaction.atomic
def machine_client_provision(
    *, name: str, scopes: tuple[str, ...] = ("billing",), ttl_days: int | None = None
) -> IssuedKey:
    """Create (or reuse) the client's principal and issue it a new key; older keys stay valid until
    revoked, so the billing system can rotate without downtime."""
    user, _ = User.objects.get_or_create(
        username=f"client:{name}", defaults={"role": User.Role.BILLING_CLIENT}
    )
    user.role = User.Role.BILLING_CLIENT
    user.is_staff = False
    user.is_active = True
    user.set_unusable_password()
    user.save()
    days = ttl_days if ttl_days is not None else settings.MACHINE_CLIENT_KEY_TTL_DAYS
    expires_at = timezone.now() + dt.timedelta(days=days) if days else None
    api_key, key = MachineClientKey.objects.create_key(
        name=name, user=user, scopes=list(scopes), expiry_date=expires_at
    )
    return IssuedKey(client=user, key_prefix=api_key.prefix, key=key, expires_at=expires_at)


def machine_client_revoke(*, name: str) -> int:
    return MachineClientKey.objects.filter(user__username=f"client:{name}", revoked=False).update(
        revoked=True
    )
