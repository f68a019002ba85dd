"""A small province with a KPI scheme, targets and a day of snapshots for every scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from accounts.tests.factories import AccountFactory
from kpi.tests import factories as f

# Every scheme metric, with a value per scope: (province, GZ, SZ, GZ-TH, am_gz, am_gz2, am_sz).
VALUES = {
    "churn_rate": ("0.03", "0.02", "0.05", "0.02", "0.01", "0.04", "0.06"),
    "high_value_churn_rate": ("0.01", "0.01", "0.02", "0", "0", "0.02", "0.03"),
    "it_penetration": ("0.45", "0.50", "0.40", "0.55", "0.60", "0.40", "0.30"),
    "accounts_in_growth": ("120", "70", "50", "30", "12", "8", "9"),
    "retention_on_time": ("0.80", "0.85", "0.75", "0.90", "0.95", "0.70", "0.60"),
    "complaint_sla": ("0.92", "0.95", "0.88", "0.97", "1", "0.9", "0.8"),
    "key_person_coverage": ("0.70", "0.75", "0.65", "0.8", "0.9", "0.6", "0.5"),
    "visits_per_am": ("40", "42", "38", "45", "50", "35", "30"),
    "new_accounts": ("30", "18", "12", "8", "4", "2", "3"),
    "billed_revenue": ("9000000", "5000000", "4000000", "2000000", "900000", "400000", "700000"),
}
TARGETS = {  # realistic, stretch (Q3), the same for every scope
    "churn_rate": ("0.04", "0.03"),
    "high_value_churn_rate": ("0.02", "0.01"),
    "it_penetration": ("0.50", "0.60"),
    "accounts_in_growth": ("60", "80"),
    "retention_on_time": ("0.80", "0.90"),
    "complaint_sla": ("0.90", "0.95"),
    "key_person_coverage": ("0.70", "0.80"),
    "visits_per_am": ("40", "48"),
    "new_accounts": ("20", "25"),
    "billed_revenue": ("8000000", "9000000"),
}


@dataclass
class Kpi:
    world: Any
    scheme: Any
    gz_accounts: list[Any]
    sz_accounts: list[Any]


@pytest.fixture
def login():  # type: ignore[no-untyped-def]
    def _login(user, language: str = "en") -> Client:  # type: ignore[no-untyped-def]
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def kpi(world) -> Kpi:  # type: ignore[no-untyped-def]
    w = world
    scheme = f.scheme_default(created_by=w.hq)
    scopes = [
        {"region": w.province},
        {"region": w.city_a},
        {"region": w.city_b},
        {"region": w.district_a1},
        {"user": w.am_a},
        {"user": w.am_a2},
        {"user": w.am_b},
    ]
    for i, scope in enumerate(scopes):
        f.full_snapshots({m: v[i] for m, v in VALUES.items()}, **scope)
        f.full_snapshots({m: v[i] for m, v in VALUES.items()}, as_of=dt.date(2026, 7, 31), **scope)
        for metric, (realistic, stretch) in TARGETS.items():
            f.target(scheme, metric, "Q3", realistic, stretch, **scope)
    for region, counts in (
        (w.province, {"economic": 10, "social": 20, "clustered_sme": 70}),
        (w.city_a, {"economic": 6, "social": 12, "clustered_sme": 40}),
        (w.city_b, {"economic": 4, "social": 8, "clustered_sme": 30}),
    ):
        f.distribution(region, "value_class", counts)
        f.distribution(region, "stage", {"A": 5, "B": 10, "C": 60, "D": 20, "E": 5})
        f.distribution(region, "churn_risk", {"low": 70, "medium": 20, "high": 10})
    gz = [
        AccountFactory(code=f"GZNEW{i}", owner=w.am_a, region=w.district_a1,
                       joined_on=dt.date(2026, 7, 5 + i))
        for i in range(3)
    ]  # fmt: skip
    sz = [
        AccountFactory(code=f"SZNEW{i}", owner=w.am_b, region=w.city_b,
                       joined_on=dt.date(2026, 7, 5 + i))
        for i in range(2)
    ]  # fmt: skip
    return Kpi(world=w, scheme=scheme, gz_accounts=gz, sz_accounts=sz)
