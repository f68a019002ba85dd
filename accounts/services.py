"""Writes for group customers. Each service owns its transaction and its audit record (the
history row carries the acting user); none trusts its caller to have checked visibility."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from org.models import AccountTeamMember, Region, User
from org.visibility import (
    accounts_visible_to,
    can_assign_owner_and_region,
    can_edit_account,
    can_manage_team,
    regions_visible_to,
)

from . import domain
from .models import Account, Activity, CareDate, KeyPerson, Member, ServiceRequest
from .selectors import account_get

ACCOUNT_EDITABLE = (
    "name",
    "credit_code",
    "org_kind",
    "industry",
    "size_band",
    "status",
    "joined_on",
    "contract_end",
    "parent",
)
ACCOUNT_MANAGER_ONLY = ("owner", "region")


class ConflictError(Exception):
    """An edit based on a version that is no longer current."""

    def __init__(self, current_version: int):
        super().__init__(current_version)
        self.current_version = current_version


def credit_code_clean(raw: str) -> str:
    code = domain.normalise_credit_code(raw or "")
    if not code:
        return ""
    result = domain.check_credit_code(code)
    if result.ok:
        return code
    if result.error is domain.CreditCodeError.CHECKSUM:
        message = _(
            "The check character is wrong (GB 32100-2015): expected %(char)s, found %(found)s."
        ) % {"char": result.expected_check_char, "found": code[17]}
    else:
        message = {
            domain.CreditCodeError.LENGTH: _("A unified social credit code has 18 characters."),
            domain.CreditCodeError.CHARACTERS: _(
                "Only digits and the letters A–Y except I, O, S, V, Z are allowed; "
                "characters 3–8 are the administrative division code (digits)."
            ),
            domain.CreditCodeError.AUTHORITY: _(
                "The first character is not a registration authority."
            ),
        }[result.error]  # type: ignore[index]
    assert result.error is not None
    raise ValidationError({"credit_code": message}, code=result.error.value)


def _check_owner_and_region(actor: User, owner: User | None, region: Region | None) -> None:
    errors: dict[str, str] = {}
    allowed_regions = regions_visible_to(actor)
    if region is not None and not allowed_regions.filter(pk=region.pk).exists():
        errors["region"] = _("Unknown region.")
    if owner is not None:
        if not owner.is_active or owner.role != User.Role.ACCOUNT_MANAGER:
            errors["owner"] = _("The owner must be an active account manager.")
        elif actor.role == User.Role.REGIONAL_MANAGER and (
            owner.region_id is None or not allowed_regions.filter(pk=owner.region_id).exists()
        ):
            errors["owner"] = _("The owner must be an account manager of your region.")
    if errors:
        raise ValidationError(errors)


def _check_parent(actor: User, account: Account | None, parent: Account | None) -> None:
    if parent is None:
        return
    if not accounts_visible_to(actor).filter(pk=parent.pk).exists():
        raise ValidationError({"parent": _("Unknown account.")})
    if account is None or account.pk is None:
        return
    node: Account | None = parent
    seen = set()
    while node is not None and node.pk not in seen:
        if node.pk == account.pk:
            raise ValidationError(
                {"parent": _("An account cannot be placed under its own branch.")}
            )
        seen.add(node.pk)
        node = node.parent


def _check_dates(joined_on: dt.date | None, contract_end: dt.date | None) -> None:
    if joined_on and contract_end and contract_end < joined_on:
        raise ValidationError({"contract_end": _("The contract cannot end before joining.")})


@transaction.atomic
def account_create(*, actor: User, data: Mapping[str, Any]) -> Account:
    data = dict(data)
    if not can_assign_owner_and_region(actor):
        # An account manager opens accounts in their own portfolio and region.
        if any(data.get(field) is not None for field in ACCOUNT_MANAGER_ONLY):
            raise ValidationError(
                {
                    f: _("Your role cannot set this field.")
                    for f in ACCOUNT_MANAGER_ONLY
                    if data.get(f)
                }
            )
        if actor.region_id is None:
            raise ValidationError(_("You have no region; ask an administrator to set one."))
        data["owner"], data["region"] = actor, actor.region
    else:
        missing = {f: _("This field is required.") for f in ACCOUNT_MANAGER_ONLY if not data.get(f)}
        if missing:
            raise ValidationError(missing)
        _check_owner_and_region(actor, data["owner"], data["region"])
    data["credit_code"] = credit_code_clean(data.get("credit_code", ""))
    _check_parent(actor, None, data.get("parent"))
    _check_dates(data.get("joined_on"), data.get("contract_end"))
    if Account.objects.filter(code=data["code"]).exists():
        raise ValidationError({"code": _("An account with this code already exists.")})
    if data["credit_code"] and Account.objects.filter(credit_code=data["credit_code"]).exists():
        raise ValidationError({"credit_code": _("Another account has this credit code.")})
    account = Account(**data)
    account._history_user = actor  # type: ignore[attr-defined]
    account.full_clean(exclude=["owner", "region", "parent"])
    account.save()
    return account


@transaction.atomic
def account_update(
    *, actor: User, code: str, expected_version: int, data: Mapping[str, Any]
) -> Account:
    """Edit an account. `expected_version` is the version the editor saw: if someone saved in the
    meantime the edit is refused with ConflictError, so no change is ever silently overwritten."""
    account = account_get(user=actor, code=code, for_update=True)
    if not can_edit_account(actor, account):
        raise PermissionError("read-only")
    if account.version != expected_version:
        raise ConflictError(account.version)
    data = dict(data)
    restricted = [f for f in ACCOUNT_MANAGER_ONLY if f in data]
    if restricted and not can_assign_owner_and_region(actor):
        raise ValidationError({f: _("Your role cannot set this field.") for f in restricted})
    if restricted:
        _check_owner_and_region(actor, data.get("owner"), data.get("region"))
    if "credit_code" in data:
        data["credit_code"] = credit_code_clean(data["credit_code"])
        if (
            data["credit_code"]
            and Account.objects.filter(credit_code=data["credit_code"])
            .exclude(pk=account.pk)
            .exists()
        ):
            raise ValidationError({"credit_code": _("Another account has this credit code.")})
    if "parent" in data:
        _check_parent(actor, account, data["parent"])
    _check_dates(
        data.get("joined_on", account.joined_on), data.get("contract_end", account.contract_end)
    )
    changed = False
    for field, value in data.items():
        if field not in ACCOUNT_EDITABLE + ACCOUNT_MANAGER_ONLY:
            raise ValidationError({field: _("Unknown field.")})
        if getattr(account, field) != value:
            setattr(account, field, value)
            changed = True
    if not changed:
        return account
    account.version += 1
    account._history_user = actor  # type: ignore[attr-defined]
    account._change_reason = "edit"  # type: ignore[attr-defined]
    account.full_clean(exclude=["owner", "region", "parent"])
    account.save()
    return account


@transaction.atomic
def accounts_reassign(
    *, actor: User, codes: Iterable[str], new_owner: User, reason: str = ""
) -> int:
    """Move accounts to another account manager (bulk, audited). Only managers may."""
    if not can_assign_owner_and_region(actor):
        raise PermissionError("only managers reassign accounts")
    _check_owner_and_region(actor, new_owner, None)
    codes = list(dict.fromkeys(codes))
    accounts = list(
        accounts_visible_to(actor).filter(code__in=codes).select_for_update().order_by("id")
    )
    if len(accounts) != len(codes):
        found = {a.code for a in accounts}
        raise ValidationError(
            {
                "codes": _("Unknown accounts: %(codes)s")
                % {"codes": ", ".join(sorted(set(codes) - found))}
            }
        )
    moved = [a for a in accounts if a.owner_id != new_owner.pk]
    # bulk_update skips auto_now: stamp updated_at, or incremental readers miss the move.
    now = timezone.now()
    for account in moved:
        account.owner = new_owner
        account.updated_at = now
        account.version += 1
        account._change_reason = reason or "reassign"  # type: ignore[attr-defined]
    bulk_update_with_history(
        moved,
        Account,
        ["owner", "version", "updated_at"],
        default_user=actor,
        default_change_reason=reason or "reassign",
    )
    return len(moved)


# --- key persons ---------------------------------------------------------------------------


def _editable_account(actor: User, code: str) -> Account:
    account = account_get(user=actor, code=code, for_update=True)
    if not can_edit_account(actor, account):
        raise PermissionError("read-only")
    return account


def _check_drivers(drivers: list[str]) -> list[str]:
    if len(drivers) > 3:
        raise ValidationError({"drivers": _("Record at most the top three drivers.")})
    unknown = [d for d in drivers if d not in KeyPerson.Driver.values]
    if unknown:
        raise ValidationError({"drivers": _("Unknown driver: %(d)s") % {"d": ", ".join(unknown)}})
    return list(dict.fromkeys(drivers))


@transaction.atomic
def key_person_create(*, actor: User, code: str, data: Mapping[str, Any]) -> KeyPerson:
    account = _editable_account(actor, code)
    data = dict(data)
    care_dates = data.pop("care_dates", None) or []
    data["drivers"] = _check_drivers(data.get("drivers") or [])
    person = KeyPerson(account=account, **data)
    person.full_clean(exclude=["account"])
    person._history_user = actor  # type: ignore[attr-defined]
    person.save()
    CareDate.objects.bulk_create(CareDate(key_person=person, **cd) for cd in care_dates)
    return person


@transaction.atomic
def key_person_update(*, actor: User, code: str, pk: int, data: Mapping[str, Any]) -> KeyPerson:
    account = _editable_account(actor, code)
    person = account.key_persons.select_for_update().filter(pk=pk).first()
    if person is None:
        raise Http404("No such key person.")
    data = dict(data)
    care_dates = data.pop("care_dates", None)
    if "drivers" in data:
        data["drivers"] = _check_drivers(data["drivers"] or [])
    for field, value in data.items():
        setattr(person, field, value)
    person.full_clean(exclude=["account"])
    person._history_user = actor  # type: ignore[attr-defined]
    person.save()
    if care_dates is not None:
        person.care_dates.all().delete()
        CareDate.objects.bulk_create(CareDate(key_person=person, **cd) for cd in care_dates)
    return person


def key_person_mark_left(*, actor: User, code: str, pk: int, left_on: dt.date) -> KeyPerson:
    return key_person_update(actor=actor, code=code, pk=pk, data={"left_on": left_on})


# --- members, activities, service requests ------------------------------------------------


@transaction.atomic
def member_create(*, actor: User, code: str, data: Mapping[str, Any]) -> Member:
    account = _editable_account(actor, code)
    data = dict(data)
    raw = data.pop("number", None)
    if raw is not None:
        try:
            data["number_masked"] = domain.mask_msisdn(raw)
        except ValueError as exc:
            raise ValidationError({"number": _("Not a phone number.")}) from exc
    member = Member(account=account, **data)
    member.full_clean(exclude=["account"])
    member.save()
    return member


@transaction.atomic
def activity_log(*, actor: User, code: str, data: Mapping[str, Any]) -> Activity:
    account = _editable_account(actor, code)
    data = dict(data)
    key_person = data.get("key_person")
    if key_person is not None and key_person.account_id != account.pk:
        raise ValidationError({"key_person": _("This person is not a key person of the account.")})
    if data.get("next_step_on") and data["next_step_on"] < data["occurred_on"]:
        raise ValidationError({"next_step_on": _("The next step cannot be before the activity.")})
    activity = Activity(account=account, created_by=actor, **data)
    activity.full_clean(exclude=["account", "created_by", "key_person"])
    activity._history_user = actor  # type: ignore[attr-defined]
    activity.save()
    return activity


def sla_due(opened_at: dt.datetime, severity: str) -> dt.datetime:
    return opened_at + dt.timedelta(hours=settings.GROUPCRM["SLA_HOURS"][severity])


@transaction.atomic
def service_request_open(*, actor: User, code: str, data: Mapping[str, Any]) -> ServiceRequest:
    account = _editable_account(actor, code)
    data = dict(data)
    opened_at = data.pop("opened_at", None) or timezone.now()
    if opened_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"opened_at": _("A request cannot be opened in the future.")})
    sr = ServiceRequest(
        account=account,
        opened_by=actor,
        opened_at=opened_at,
        sla_due_at=sla_due(opened_at, data["severity"]),
        **data,
    )
    sr.full_clean(exclude=["account", "opened_by"])
    sr._history_user = actor  # type: ignore[attr-defined]
    sr.save()
    return sr


@transaction.atomic
def service_request_update(
    *, actor: User, code: str, pk: int, data: Mapping[str, Any]
) -> ServiceRequest:
    account = _editable_account(actor, code)
    sr = account.service_requests.select_for_update().filter(pk=pk).first()
    if sr is None:
        raise Http404("No such service request.")
    data = dict(data)
    new_status = data.get("status", sr.status)
    if new_status == ServiceRequest.Status.RESOLVED and sr.resolved_at is None:
        sr.resolved_at = timezone.now()
        if not (data.get("resolution") or sr.resolution):
            raise ValidationError({"resolution": _("Say how it was resolved.")})
    elif new_status != ServiceRequest.Status.RESOLVED:
        sr.resolved_at = None
    if "severity" in data and data["severity"] != sr.severity:
        sr.sla_due_at = sla_due(sr.opened_at, data["severity"])
    for field, value in data.items():
        setattr(sr, field, value)
    sr.full_clean(exclude=["account", "opened_by"])
    sr._history_user = actor  # type: ignore[attr-defined]
    sr.save()
    return sr


# --- account team ----------------------------------------------------------------------------


def _team_account(actor: User, code: str) -> Account:
    account = account_get(user=actor, code=code, for_update=True)
    if not can_manage_team(actor, account):
        raise PermissionError("only the owner or a manager changes the team")
    return account


@transaction.atomic
def team_member_add(
    *, actor: User, code: str, user: User, team_role: str, access: str
) -> tuple[AccountTeamMember, bool]:
    """Put supporting staff on an account team, or change their role or access (audited)."""
    account = _team_account(actor, code)
    if not user.is_active or user.role == User.Role.BILLING_CLIENT:
        raise ValidationError({"user": _("Only active staff can join an account team.")})
    if user.pk == account.owner_id:
        raise ValidationError({"user": _("The account manager already owns this account.")})
    member = (
        AccountTeamMember.objects.select_for_update().filter(account=account, user=user).first()
    )
    created = member is None
    if member is None:
        member = AccountTeamMember(account=account, user=user)
    elif (member.team_role, member.access) == (team_role, access):
        return member, False
    member.team_role, member.access = team_role, access
    member.full_clean(exclude=["account", "user"], validate_constraints=False)
    member._history_user = actor  # type: ignore[attr-defined]
    member.save()
    return member, created


@transaction.atomic
def team_member_remove(*, actor: User, code: str, username: str) -> None:
    account = _team_account(actor, code)
    # A name no user can have (PostgreSQL refuses NUL in text) is simply not on the team.
    member = None
    if "\x00" not in username and len(username) <= 150:
        member = account.team_members.filter(user__username=username).first()
    if member is None:
        raise Http404("No such team member.")
    member._history_user = actor  # type: ignore[attr-defined]
    member.delete()
