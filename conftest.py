"""Shared fixtures: a small province with two cities and a district, one user per role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import AccountFactory, RegionFactory, UserFactory
from org.models import Region, User
from org.services import machine_client_provision, user_token_issue


@dataclass
class World:
    province: Region
    city_a: Region
    city_b: Region
    district_a1: Region
    hq: User
    rm_a: User
    rm_b: User
    am_a: User
    am_a2: User
    am_b: User
    billing: User
    billing_key: str


@pytest.fixture
def world(db) -> World:  # type: ignore[no-untyped-def]
    province = RegionFactory(code="GD", name="广东省", level="province")
    city_a = RegionFactory(code="GZ", name="广州市", parent=province)
    city_b = RegionFactory(code="SZ", name="深圳市", parent=province)
    district_a1 = RegionFactory(code="GZ-TH", name="天河区", parent=city_a, level="district")
    issued = machine_client_provision(name="billing")
    return World(
        province=province,
        city_a=city_a,
        city_b=city_b,
        district_a1=district_a1,
        hq=UserFactory(username="hq", role="hq", region=province),
        rm_a=UserFactory(username="rm_gz", role="regional_manager", region=city_a),
        rm_b=UserFactory(username="rm_sz", role="regional_manager", region=city_b),
        am_a=UserFactory(username="am_gz", role="account_manager", region=district_a1),
        am_a2=UserFactory(username="am_gz2", role="account_manager", region=city_a),
        am_b=UserFactory(username="am_sz", role="account_manager", region=city_b),
        billing=issued.client,
        billing_key=issued.key,
    )


def client_for(user: User | None, *, key: str | None = None) -> APIClient:
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    elif user is not None:
        _, token = user_token_issue(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def api():  # type: ignore[no-untyped-def]
    return client_for


@pytest.fixture
def account_factory():  # type: ignore[no-untyped-def]
    return AccountFactory
