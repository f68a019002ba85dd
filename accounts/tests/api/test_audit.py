"""Every write path leaves an audit row carrying the acting user, and the account's history
endpoint shows who changed what, when, before and after."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import Account, Activity, KeyPerson, ServiceRequest
from accounts.tests.factories import AccountFactory
from org.models import AccountTeamMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(world):  # type: ignore[no-untyped-def]
    return AccountFactory(owner=world.am_a, region=world.district_a1, name="旧名称")


def history(api: Any, user: Any, code: str) -> list[dict[str, Any]]:
    response = api(user).get(f"/api/v1/accounts/{code}/history/")
    assert response.status_code == 200, response.content
    return response.json()


def find(entries: list[dict], entity: str, action: str, object_id: int | None = None) -> dict:
    matches = [
        e
        for e in entries
        if e["entity"] == entity
        and e["action"] == action
        and (object_id is None or e["object_id"] == object_id)
    ]
    assert matches, f"no {entity} {action} in {[(e['entity'], e['action']) for e in entries]}"
    return matches[0]


def change(entry: dict, field: str) -> tuple[Any, Any]:
    for item in entry["changes"]:
        if item["field"] == field:
            return item["before"], item["after"]
    raise AssertionError(f"{field} not in {entry['changes']}")


def test_account_create(world, api):  # type: ignore[no-untyped-def]
    body = {
        "code": "AUD001",
        "name": "审计集团",
        "org_kind": "enterprise",
        "industry": "power",
        "size_band": "large",
        "region": "GZ",
        "owner": "am_gz",
    }
    assert api(world.rm_a).post("/api/v1/accounts/", body, format="json").status_code == 201
    account = Account.objects.get(code="AUD001")
    row = account.history.get()
    assert (row.history_type, row.history_user) == ("+", world.rm_a)
    entry = find(history(api, world.rm_a, "AUD001"), "account", "created")
    assert entry["user"] == "rm_gz"
    assert change(entry, "name") == (None, "审计集团")
    assert change(entry, "owner") == (None, "am_gz")  # natural keys, not ids
    assert change(entry, "region") == (None, "GZ")


def test_account_update(world, api, account):  # type: ignore[no-untyped-def]
    response = api(world.am_a).patch(
        f"/api/v1/accounts/{account.code}/",
        {"version": 1, "name": "新名称", "contract_end": "2027-06-30"},
        format="json",
    )
    assert response.status_code == 200
    latest = account.history.order_by("-history_id").first()
    assert (latest.history_type, latest.history_user, latest.name) == ("~", world.am_a, "新名称")
    entry = find(history(api, world.am_a, account.code), "account", "changed")
    assert entry["user"] == "am_gz"
    assert change(entry, "name") == ("旧名称", "新名称")
    assert change(entry, "contract_end") == (None, "2027-06-30")
    assert change(entry, "version") == (1, 2)
    assert {c["field"] for c in entry["changes"]} == {"name", "contract_end", "version"}


def test_account_reassign(world, api, account):  # type: ignore[no-untyped-def]
    before = account.updated_at
    response = api(world.rm_a).post(
        "/api/v1/accounts/reassign/",
        {"codes": [account.code], "owner": "am_gz2", "reason": "调岗"},
        format="json",
    )
    assert response.json() == {"moved": 1}
    latest = account.history.order_by("-history_id").first()
    assert (latest.history_user, latest.history_change_reason) == (world.rm_a, "调岗")
    account.refresh_from_db()
    assert account.updated_at > before  # incremental readers (billing) see the move
    entry = find(history(api, world.rm_a, account.code), "account", "changed")
    assert (entry["user"], entry["reason"]) == ("rm_gz", "调岗")
    assert change(entry, "owner") == ("am_gz", "am_gz2")
    # The new owner sees the account and its history; the old one no longer does.
    assert history(api, world.am_a2, account.code)
    assert api(world.am_a).get(f"/api/v1/accounts/{account.code}/history/").status_code == 404


def test_key_person_create_update_and_leave(world, api, account):  # type: ignore[no-untyped-def]
    base = f"/api/v1/accounts/{account.code}/key-persons/"
    created = api(world.am_a).post(
        base, {"name": "李总", "role": "decision_maker", "influence": 5}, format="json"
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    updated = api(world.rm_a).patch(f"{base}{pk}/", {"relationship": 5}, format="json")
    assert updated.status_code == 200
    person = KeyPerson.objects.get(pk=pk)
    services.key_person_mark_left(
        actor=world.hq, code=account.code, pk=pk, left_on=dt.date(2026, 3, 1)
    )
    users = list(
        person.history.order_by("history_id").values_list("history_user__username", flat=True)
    )
    assert users == ["am_gz", "rm_gz", "hq"]

    entries = history(api, world.hq, account.code)
    made = find(entries, "key_person", "created", pk)
    assert made["user"] == "am_gz"
    assert change(made, "name") == (None, "李总")
    changes = [e for e in entries if e["entity"] == "key_person" and e["action"] == "changed"]
    by_user = {e["user"]: e for e in changes}
    assert change(by_user["rm_gz"], "relationship") == (3, 5)
    assert change(by_user["hq"], "left_on") == (None, "2026-03-01")
    # Newest first.
    assert [e["user"] for e in entries if e["entity"] == "key_person"] == ["hq", "rm_gz", "am_gz"]


def test_key_person_left_through_the_api(world, api, account):  # type: ignore[no-untyped-def]
    base = f"/api/v1/accounts/{account.code}/key-persons/"
    pk = (
        api(world.am_a).post(base, {"name": "赵总", "role": "champion"}, format="json").json()["id"]
    )
    api(world.am_a).patch(f"{base}{pk}/", {"left_on": "2026-02-01"}, format="json")
    entry = find(history(api, world.am_a, account.code), "key_person", "changed", pk)
    assert change(entry, "left_on") == (None, "2026-02-01")


def test_activity_log(world, api, account):  # type: ignore[no-untyped-def]
    response = api(world.am_a).post(
        f"/api/v1/accounts/{account.code}/activities/",
        {"kind": "visit", "subject": "年度拜访", "occurred_on": "2026-01-05"},
        format="json",
    )
    assert response.status_code == 201
    activity = Activity.objects.get(pk=response.json()["id"])
    assert activity.history.get().history_user == world.am_a
    entry = find(history(api, world.am_a, account.code), "activity", "created", activity.pk)
    assert entry["user"] == "am_gz"
    assert change(entry, "subject") == (None, "年度拜访")
    assert change(entry, "created_by") == (None, "am_gz")


def test_service_request_open_update_resolve(world, api, account):  # type: ignore[no-untyped-def]
    base = f"/api/v1/accounts/{account.code}/service-requests/"
    opened_at = (timezone.now() - dt.timedelta(hours=2)).isoformat()
    created = api(world.am_a).post(
        base,
        {"kind": "complaint", "title": "专线中断", "severity": "low", "opened_at": opened_at},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    escalated = api(world.rm_a).patch(f"{base}{pk}/", {"severity": "critical"}, format="json")
    assert escalated.status_code == 200
    assert escalated.json()["sla_breached"] is False
    resolved = api(world.am_a).patch(
        f"{base}{pk}/", {"status": "resolved", "resolution": "更换光模块"}, format="json"
    )
    assert resolved.status_code == 200 and resolved.json()["resolved_at"]
    sr = ServiceRequest.objects.get(pk=pk)
    users = list(sr.history.order_by("history_id").values_list("history_user__username", flat=True))
    assert users == ["am_gz", "rm_gz", "am_gz"]

    entries = [
        e for e in history(api, world.am_a, account.code) if e["entity"] == "service_request"
    ]
    resolve, escalate, opened = entries
    assert opened["action"] == "created" and change(opened, "severity") == (None, "low")
    assert escalate["user"] == "rm_gz"
    assert change(escalate, "severity") == ("low", "critical")
    assert "sla_due_at" in {c["field"] for c in escalate["changes"]}
    assert change(resolve, "status") == ("open", "resolved")
    assert change(resolve, "resolution") == ("", "更换光模块")


def test_team_member_add_change_remove(world, api, account):  # type: ignore[no-untyped-def]
    base = f"/api/v1/accounts/{account.code}/team/"
    added = api(world.am_a).post(
        base, {"user": "am_gz2", "team_role": "solution_engineer"}, format="json"
    )
    assert added.status_code == 201, added.content
    assert added.json()["access"] == "read"
    changed = api(world.rm_a).post(
        base, {"user": "am_gz2", "team_role": "solution_engineer", "access": "edit"}, format="json"
    )
    assert changed.status_code == 200
    assert api(world.am_a).get(base).json()[0]["access"] == "edit"
    assert api(world.am_a).delete(f"{base}am_gz2/").status_code == 204
    assert not AccountTeamMember.objects.exists()
    rows = AccountTeamMember.history.order_by("history_id")
    assert [(r.history_type, r.history_user.username) for r in rows] == [
        ("+", "am_gz"),
        ("~", "rm_gz"),
        ("-", "am_gz"),
    ]
    entries = [e for e in history(api, world.am_a, account.code) if e["entity"] == "team_member"]
    assert [(e["action"], e["user"]) for e in entries] == [
        ("deleted", "am_gz"),
        ("changed", "rm_gz"),
        ("created", "am_gz"),
    ]
    assert change(entries[2], "user") == (None, "am_gz2")
    assert change(entries[1], "access") == ("read", "edit")
    assert change(entries[0], "user") == ("am_gz2", None)


def test_team_membership_grants_and_removal_revokes_visibility(world, api, account):  # type: ignore[no-untyped-def]
    base = f"/api/v1/accounts/{account.code}/team/"
    detail = f"/api/v1/accounts/{account.code}/"
    assert api(world.am_a2).get(detail).status_code == 404
    api(world.am_a).post(base, {"user": "am_gz2", "team_role": "service_manager"}, format="json")
    assert api(world.am_a2).get(detail).status_code == 200
    # Read access: may look, may not change (403 now that the account is visible to them).
    patch = api(world.am_a2).patch(detail, {"version": 1, "name": "x"}, format="json")
    assert patch.status_code == 403
    # A team member does not hand out access.
    again = api(world.am_a2).post(base, {"user": "am_sz", "team_role": "other"}, format="json")
    assert again.status_code == 403
    api(world.am_a).delete(f"{base}am_gz2/")
    assert api(world.am_a2).get(detail).status_code == 404


def test_history_of_an_invisible_account_is_404(world, api, account):  # type: ignore[no-untyped-def]
    assert api(world.am_b).get(f"/api/v1/accounts/{account.code}/history/").status_code == 404
    assert api(world.rm_b).get(f"/api/v1/accounts/{account.code}/history/").status_code == 404


def test_trail_window_edge_still_shows_before_and_after(world, account):  # type: ignore[no-untyped-def]
    from accounts.audit import account_audit_trail

    for version, name in enumerate(["甲", "乙", "丙"], start=1):
        services.account_update(
            actor=world.am_a, code=account.code, expected_version=version, data={"name": name}
        )
    entries = account_audit_trail(user=world.am_a, code=account.code, limit=2)
    assert [e.action for e in entries] == ["changed", "changed"]
    names = [next(c for c in e.changes if c["field"] == "name") for e in entries]
    # The older of the two shown has its previous version outside the window: still complete.
    assert [(c["before"], c["after"]) for c in names] == [("乙", "丙"), ("甲", "乙")]
