"""Reads of an account's audit history: who changed what, when, before and after.

One trail per account, merged from the history tables of the account itself and of everything
that hangs off it (key persons, activities, service requests, the account team), newest first.
Foreign keys are shown by their natural keys (username, region code, account code), as the API
shows them everywhere else."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model

from org.models import AccountTeamMember, Region, User

from .models import Account, Activity, KeyPerson, ServiceRequest
from .selectors import account_get

# entity name → model; the account's own rows are matched by `id`, the others by `account_id`.
AUDITED: dict[str, type[Model]] = {
    "account": Account,
    "key_person": KeyPerson,
    "activity": Activity,
    "service_request": ServiceRequest,
    "team_member": AccountTeamMember,
}
# Bookkeeping columns every row carries; they say nothing a reader of the trail needs.
_NOISE = {"id", "created_at", "updated_at", "account"}
_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass
class AuditEntry:
    entity: str
    object_id: int
    history_id: int
    history_date: dt.datetime
    history_type: str
    action: str
    user: str | None
    reason: str | None
    changes: list[dict[str, Any]] = field(default_factory=list)


def _tracked_fields(model: type[Model]) -> list[Any]:
    history_model = model.history.model  # type: ignore[attr-defined]
    names = {f.name for f in history_model._meta.fields}
    return [f for f in model._meta.concrete_fields if f.name in names and f.name not in _NOISE]


def _entries_for(entity: str, model: type[Model], account: Account, limit: int) -> list[Any]:
    history = model.history  # type: ignore[attr-defined]
    scope = {"id": account.pk} if entity == "account" else {"account_id": account.pk}
    records = list(
        history.filter(**scope)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:limit]
    )
    # The previous version of each object is the next older row of the same object in the window;
    # at the window's edge it is fetched (at most once per object shown).
    older_by_object: dict[int, Any] = {}
    for record in reversed(records):
        record.previous_version = older_by_object.get(record.id)
        older_by_object[record.id] = record
    for record in records:
        if record.previous_version is None and record.history_type != "+":
            record.previous_version = record.prev_record
    return records


def _changes(record: Any, fields: list[Any]) -> list[dict[str, Any]]:
    previous = record.previous_version
    changes = []
    for model_field in fields:
        attname = model_field.attname
        after = getattr(record, attname)
        if record.history_type == "-":
            before, after = after, None
        else:
            before = getattr(previous, attname) if previous is not None else None
        if previous is None and record.history_type == "+" and after in (None, "", []):
            continue
        if before != after:
            changes.append({"field": model_field.name, "before": before, "after": after})
    return changes


def _natural_keys(entries: list[AuditEntry]) -> None:
    """Replace foreign-key ids by natural keys, with one query per referenced table."""
    lookups = {
        "owner": (User, "username"),
        "user": (User, "username"),
        "created_by": (User, "username"),
        "opened_by": (User, "username"),
        "region": (Region, "code"),
        "parent": (Account, "code"),
        "key_person": (KeyPerson, "name"),
    }
    wanted: dict[type[Model], set[int]] = {}
    for entry in entries:
        for change in entry.changes:
            target = lookups.get(change["field"])
            if target:
                ids = wanted.setdefault(target[0], set())
                ids.update(v for v in (change["before"], change["after"]) if v is not None)
    names: dict[type[Model], dict[int, str]] = {}
    for model, ids in wanted.items():
        attr = next(a for m, a in lookups.values() if m is model)
        names[model] = dict(
            model._default_manager.filter(pk__in=ids).values_list("pk", attr)  # type: ignore[attr-defined]
        )
    for entry in entries:
        for change in entry.changes:
            target = lookups.get(change["field"])
            for side in ("before", "after"):
                value = change[side]
                if target and value is not None:
                    change[side] = names[target[0]].get(value, str(value))
                elif hasattr(value, "isoformat"):
                    change[side] = value.isoformat()
                elif value is not None and not isinstance(value, str | int | float | bool | list):
                    change[side] = str(value)


def account_audit_trail(*, user: Any, code: str, limit: int = 200) -> list[AuditEntry]:
    """The newest `limit` changes to a visible account and the records under it (404 otherwise)."""
    account = account_get(user=user, code=code)
    entries: list[AuditEntry] = []
    for entity, model in AUDITED.items():
        fields = _tracked_fields(model)
        for record in _entries_for(entity, model, account, limit):
            entries.append(
                AuditEntry(
                    entity=entity,
                    object_id=record.id,
                    history_id=record.history_id,
                    history_date=record.history_date,
                    history_type=record.history_type,
                    action=_ACTIONS.get(record.history_type, record.history_type),
                    user=record.history_user.username if record.history_user else None,
                    reason=record.history_change_reason,
                    changes=_changes(record, fields),
                )
            )
    entries.sort(key=lambda e: (e.history_date, e.history_id), reverse=True)
    entries = entries[:limit]
    _natural_keys(entries)
    return entries
