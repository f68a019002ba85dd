"""Optimistic locking on account edits: a stale save is refused with a clear message (409), never
silently lost; the version comes in the body or as an If-Match header."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection

from accounts.models import Account
from accounts.tests.factories import AccountFactory
from tests.helpers import assert_error, row_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(world):  # type: ignore[no-untyped-def]
    return AccountFactory(owner=world.am_a, region=world.district_a1, name="旧名称")


def url(account: Account) -> str:
    return f"/api/v1/accounts/{account.code}/"


def test_second_patch_from_the_same_version_is_a_conflict(world, api, account):  # type: ignore[no-untyped-def]
    alice, bob = api(world.am_a), api(world.rm_a)
    seen = alice.get(url(account))
    version = seen.json()["version"]
    assert seen["ETag"] == f'"{version}"'

    first = alice.patch(url(account), {"version": version, "name": "新名称"}, format="json")
    assert first.status_code == 200, first.content
    assert first.json()["version"] == version + 1
    assert first["ETag"] == f'"{version + 1}"'

    history_before = row_counts()
    second = bob.patch(url(account), {"version": version, "status": "churned"}, format="json")
    error = assert_error(second, 409)
    assert error["code"] == "conflict"
    assert str(version + 1) in error["message"]  # tells the current version
    assert "reload" in error["message"].lower() or "重新" in error["message"]
    assert row_counts() == history_before  # nothing written, not even a history row

    account.refresh_from_db()
    assert (account.name, account.status, account.version) == ("新名称", "active", version + 1)

    # Bob reloads and applies his change on top: both survive.
    retry = bob.patch(url(account), {"version": version + 1, "status": "churned"}, format="json")
    assert retry.status_code == 200, retry.content
    account.refresh_from_db()
    assert (account.name, account.status, account.version) == ("新名称", "churned", version + 2)


def test_conflict_message_is_translated(world, api, account):  # type: ignore[no-untyped-def]
    client = api(world.am_a)
    client.patch(url(account), {"version": 1, "name": "甲"}, format="json")
    english = client.patch(
        url(account), {"version": 1, "name": "乙"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    error = assert_error(english, 409)
    assert "Someone else saved this account" in error["message"]


def test_if_match_header(world, api, account):  # type: ignore[no-untyped-def]
    client = api(world.am_a)
    ok = client.patch(url(account), {"name": "甲"}, format="json", HTTP_IF_MATCH='"1"')
    assert ok.status_code == 200, ok.content
    weak = client.patch(url(account), {"name": "乙"}, format="json", HTTP_IF_MATCH='W/"2"')
    assert weak.status_code == 200, weak.content
    stale = client.patch(url(account), {"name": "丙"}, format="json", HTTP_IF_MATCH='"2"')
    assert_error(stale, 409)
    account.refresh_from_db()
    assert (account.name, account.version) == ("乙", 3)


@pytest.mark.parametrize("header", ["*", "abc", "1,2", '"99999999999"', 'W/"x"'])
def test_if_match_that_is_not_a_version(world, api, account, header):  # type: ignore[no-untyped-def]
    before = row_counts()
    response = api(world.am_a).patch(
        url(account), {"name": "甲"}, format="json", HTTP_IF_MATCH=header
    )
    assert_error(response, 400, "If-Match")
    assert row_counts() == before


def test_if_match_and_body_version_must_agree(world, api, account):  # type: ignore[no-untyped-def]
    response = api(world.am_a).patch(
        url(account), {"version": 1, "name": "甲"}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert_error(response, 400, "version")


@pytest.mark.parametrize("version", [None, 0, -1, "one", 1.5, True, [1]])
def test_missing_or_malformed_version_is_400(world, api, account, version):  # type: ignore[no-untyped-def]
    body = {"name": "甲"} if version is None else {"name": "甲", "version": version}
    before = row_counts()
    response = api(world.am_a).patch(url(account), body, format="json")
    assert_error(response, 400, "version")
    assert row_counts() == before
    account.refresh_from_db()
    assert account.name == "旧名称"


def test_a_no_op_edit_does_not_bump_the_version(world, api, account):  # type: ignore[no-untyped-def]
    response = api(world.am_a).patch(url(account), {"version": 1, "name": "旧名称"}, format="json")
    assert response.status_code == 200
    assert response.json()["version"] == 1


def test_reassignment_bumps_the_version_so_stale_edits_conflict(world, api, account):  # type: ignore[no-untyped-def]
    moved = api(world.rm_a).post(
        "/api/v1/accounts/reassign/", {"codes": [account.code], "owner": "am_gz2"}, format="json"
    )
    assert moved.json() == {"moved": 1}
    stale = api(world.rm_a).patch(url(account), {"version": 1, "name": "甲"}, format="json")
    assert_error(stale, 409)


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="concurrent transactions need PostgreSQL (SQLite test databases are in memory)",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_one_wins_one_conflicts(world, api):  # type: ignore[no-untyped-def]
    account = AccountFactory(owner=world.am_a, region=world.district_a1)
    clients = [api(world.am_a), api(world.rm_a)]
    barrier = threading.Barrier(2)
    results: list[int] = []

    def edit(client, name):  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            response = client.patch(url(account), {"version": 1, "name": name}, format="json")
            results.append(response.status_code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=edit, args=(c, n))
        for c, n in zip(clients, ("甲", "乙"), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 409]
    account.refresh_from_db()
    assert account.version == 2
    assert account.history.count() == 2  # the creation and exactly one edit
