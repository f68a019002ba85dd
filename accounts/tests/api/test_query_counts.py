"""The list APIs run a bounded number of queries however many rows they return."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import CareDate
from accounts.tests.factories import (
    AccountFactory,
    ActivityFactory,
    KeyPersonFactory,
    MemberFactory,
    ServiceRequestFactory,
    TeamMemberFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Authentication (token lookup, user) + visibility + the page (+ the page's open churn flags,
# + the region a search word might name; a regional search on PostgreSQL: + its subtree's region
# ids and the capped count of its matches, AccountQuerySet.settle_search); never per row.
MAX_LIST_QUERIES = 11


def count_queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def populate_accounts(world: Any, n: int, start: int) -> None:
    for i in range(n):
        parent = AccountFactory(
            owner=world.am_a, region=world.district_a1, code=f"QP{start + i:04d}"
        )
        AccountFactory(
            owner=world.am_a, region=world.district_a1, code=f"QC{start + i:04d}", parent=parent
        )


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/accounts/",
        "/api/v1/accounts/?ordering=-name&region=GZ&status=active",
        "/api/v1/accounts/?q=QC",
        "/api/v1/accounts/export/",
    ],
)
@pytest.mark.parametrize("who", ["am_a", "rm_a", "hq"])
def test_account_list_queries_are_bounded(world, api, url, who, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    client = api(getattr(world, who))
    populate_accounts(world, 2, 0)
    small = count_queries(client, url)
    populate_accounts(world, 30, 100)
    large = count_queries(client, url)
    assert large == small, (small, large)
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        client.get(url)


def test_billing_master_data_queries_are_bounded(world, api, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    client = api(None, key=world.billing_key)
    populate_accounts(world, 2, 0)
    small = count_queries(client, "/api/v1/billing/accounts/")
    populate_accounts(world, 30, 100)
    for account in AccountFactory._meta.model.objects.all()[:20]:
        MemberFactory(account=account, cost_centre=f"CC{account.pk}")
    large = count_queries(client, "/api/v1/billing/accounts/")
    assert large == small
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        client.get("/api/v1/billing/accounts/")


NESTED = {
    "key-persons": lambda account, i: CareDate.objects.create(
        key_person=KeyPersonFactory(account=account), occasion="new_year", month=1, day=1 + i % 28
    ),
    "members": lambda account, i: MemberFactory(account=account),
    "activities": lambda account, i: ActivityFactory(
        account=account, key_person=KeyPersonFactory(account=account)
    ),
    "service-requests": lambda account, i: ServiceRequestFactory(account=account),
    "team": lambda account, i: TeamMemberFactory(
        account=account, user=UserFactory(region=account.region)
    ),
    "history": lambda account, i: KeyPersonFactory(account=account),
}


@pytest.mark.parametrize("kind", sorted(NESTED))
def test_nested_list_queries_are_bounded(world, api, kind, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    account = AccountFactory(owner=world.am_a, region=world.district_a1)
    client = api(world.am_a)
    url = f"/api/v1/accounts/{account.code}/{kind}/"
    make = NESTED[kind]
    for i in range(2):
        make(account, i)
    small = count_queries(client, url)
    for i in range(2, 25):
        make(account, i)
    large = count_queries(client, url)
    assert large == small, (small, large)
    limit = MAX_LIST_QUERIES + (12 if kind == "history" else 0)  # one per audited table
    with django_assert_max_num_queries(limit):
        client.get(url)
