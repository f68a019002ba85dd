"""Portfolio isolation over generated ownership data.

Hypothesis draws a region tree, staff of every role, accounts with owners and regions, and account
teams; then for every user the list (all pages, following `next`), detail, search (`?q=`), export
(CSV) and nested resources must return exactly `accounts_visible_to(user)`, and that function must
agree with the policy written out here independently in plain Python (DOMAIN.md §2)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Account
from accounts.tests.factories import (
    AccountFactory,
    ActivityFactory,
    KeyPersonFactory,
    RegionFactory,
    UserFactory,
)
from conftest import client_for
from org.models import AccountTeamMember, Region, User
from org.services import machine_client_provision
from org.visibility import accounts_visible_to

WORDS = ("华南", "星河", "Orient", "orient", "电力")


@dataclass(frozen=True)
class Spec:
    parents: list[int | None]  # region i's parent (index < i), None for roots
    staff: list[tuple[str, int | None, bool]]  # (role, region index, active)
    accounts: list[tuple[int, int, int]]  # (owner staff index, region index, word index)
    team: list[tuple[int, int, str]]  # (staff index, account index, access)
    query: str


@st.composite
def specs(draw: Any) -> Spec:
    n_regions = draw(st.integers(1, 6))
    parents: list[int | None] = [None]
    for i in range(1, n_regions):
        parents.append(draw(st.one_of(st.none(), st.integers(0, i - 1))))
    region = st.integers(0, n_regions - 1)
    staff = [("hq", None, True)]
    staff += draw(
        st.lists(
            st.tuples(st.just("account_manager"), st.one_of(st.none(), region), st.booleans()),
            min_size=1,
            max_size=4,
        )
    )
    staff += draw(
        st.lists(
            st.tuples(st.just("regional_manager"), region, st.booleans()), min_size=1, max_size=3
        )
    )
    managers = [i for i, s in enumerate(staff) if s[0] == "account_manager"]
    accounts = draw(
        st.lists(
            st.tuples(st.sampled_from(managers), region, st.integers(0, len(WORDS) - 1)),
            max_size=9,
        )
    )
    team = []
    if accounts:
        team = draw(
            st.lists(
                st.tuples(
                    st.integers(1, len(staff) - 1),
                    st.integers(0, len(accounts) - 1),
                    st.sampled_from(["read", "edit"]),
                ),
                max_size=5,
                unique_by=lambda t: (t[0], t[1]),
            )
        )
    query = draw(st.sampled_from([*WORDS, "集团", "", "  orient ", "zz-none", "0"]))
    return Spec(parents, staff, accounts, team, query)


def expected_visible(spec: Spec, staff_index: int) -> set[int]:
    """The policy, independently: AM = owned or on the team; RM = region subtree; hq = all."""
    role, region, active = spec.staff[staff_index]
    if not active:
        return set()
    if role == "hq":
        return set(range(len(spec.accounts)))
    if role == "regional_manager":

        def under(r: int | None) -> bool:
            while r is not None:
                if r == region:
                    return True
                r = spec.parents[r]
            return False

        return {i for i, (_, r, _) in enumerate(spec.accounts) if under(r)}
    on_team = {a for s, a, _ in spec.team if s == staff_index}
    return {i for i, (o, _, _) in enumerate(spec.accounts) if o == staff_index} | on_team


def build(spec: Spec) -> tuple[list[User], list[Account]]:
    regions: list[Region] = []
    for parent in spec.parents:
        level = "province" if parent is None else "city"
        regions.append(
            RegionFactory(parent=regions[parent] if parent is not None else None, level=level)
        )
    users = [
        UserFactory(
            role=role,
            region=regions[r] if r is not None else None,
            is_active=True,
        )
        for role, r, _ in spec.staff
    ]
    accounts = [
        AccountFactory(
            owner=users[o],
            region=regions[r],
            name=f"{WORDS[w]}集团{i}",
            code=f"ISO{i:02d}ORIENT" if w == 2 else f"ISO{i:02d}",
        )
        for i, (o, r, w) in enumerate(spec.accounts)
    ]
    for s, a, access in spec.team:
        AccountTeamMember.objects.create(
            user=users[s], account=accounts[a], team_role="other", access=access
        )
    for account in accounts:
        KeyPersonFactory(account=account)
        ActivityFactory(account=account)
    return users, accounts


def list_all(client: Any, url: str) -> list[str]:
    codes: list[str] = []
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        codes += [row["code"] for row in body["results"]]
        url = body["next"]
        pages += 1
        assert pages < 50
    return codes


def export_codes(client: Any, query: str = "") -> list[str]:
    response = client.get("/api/v1/accounts/export/" + query)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    return [row[0] for row in rows[1:]]


def check(spec: Spec) -> None:
    users, accounts = build(spec)
    billing = machine_client_provision(name="billing-iso")
    q = spec.query.strip()
    for index, user in enumerate(users):
        # Deactivate after building, so the token is refused like any inactive user's would be.
        expected = {accounts[i].code for i in expected_visible(spec, index)}
        if not spec.staff[index][2]:
            User.objects.filter(pk=user.pk).update(is_active=False)
            user.refresh_from_db()
        visible = set(accounts_visible_to(user).values_list("code", flat=True))
        assert visible == expected, (spec, index)
        if not user.is_active:
            continue
        client = client_for(user)

        listed = list_all(client, "/api/v1/accounts/?page_size=2")
        assert len(listed) == len(set(listed)) and set(listed) == expected

        searched = list_all(client, f"/api/v1/accounts/?page_size=3&q={quote(spec.query)}")
        matching = {
            a.code
            for a in accounts
            if not q or q.lower() in a.name.lower() or q.lower() in a.code.lower()
        }
        assert set(searched) == expected & matching, (spec, index, q)

        exported = export_codes(client)
        assert len(exported) == len(set(exported)) and set(exported) == expected
        assert set(export_codes(client, f"?q={quote(spec.query)}")) == expected & matching

        nested_checked = 0
        for account in accounts:
            base = f"/api/v1/accounts/{account.code}/"
            status = client.get(base).status_code
            assert status == (200 if account.code in expected else 404), (spec, index, account.code)
            if account.code in expected or nested_checked >= 2:
                continue
            nested_checked += 1
            # Everything under an invisible account is as absent as the account itself.
            person = account.key_persons.get()
            activity = account.activities.get()
            for path in (
                "history/",
                "key-persons/",
                f"key-persons/{person.pk}/",
                "activities/",
                f"activities/{activity.pk}/",
                "members/",
                "service-requests/",
                "team/",
            ):
                assert client.get(base + path).status_code == 404, path
            assert client.patch(base, {"version": 1}, format="json").status_code == 404
            assert client.post(base + "activities/", {}, format="json").status_code == 404

    billing_client = client_for(None, key=billing.key)
    assert billing_client.get("/api/v1/accounts/").status_code == 403
    assert billing_client.get("/api/v1/accounts/export/").status_code == 403
    for account in accounts[:2]:
        assert billing_client.get(f"/api/v1/accounts/{account.code}/").status_code == 403
    assert not accounts_visible_to(billing.client).exists()


@pytest.mark.django_db
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=specs())
def test_every_read_returns_exactly_the_visible_accounts(spec: Spec) -> None:
    # Each example in its own savepoint, rolled back: examples do not see each other's rows.
    with transaction.atomic():
        check(spec)
        transaction.set_rollback(True)
