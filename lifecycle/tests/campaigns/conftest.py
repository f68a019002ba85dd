from __future__ import annotations

import pytest
from django.test import Client

from accounts.tests.factories import AccountFactory, KeyPersonFactory, UserFactory
from lifecycle.models import AccountLifecycle
from org.models import User

from .factories import AS_OF, bill, province_with_city


@pytest.fixture
def client():  # type: ignore[no-untyped-def]
    """Pages in English (the default language is zh-hans; test_translations checks that)."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def org(db):
    """A province with two cities; an hq user, a regional manager per city, account managers."""
    province, city, other = province_with_city()
    return {
        "province": province,
        "city": city,
        "other": other,
        "hq": UserFactory(username="hq1", role=User.Role.HQ, region=province),
        "rm": UserFactory(username="rm_city", role=User.Role.REGIONAL_MANAGER, region=city),
        "rm_other": UserFactory(username="rm_other", role=User.Role.REGIONAL_MANAGER, region=other),
        "am1": UserFactory(username="am1", region=city),
        "am2": UserFactory(username="am2", region=city),
        "am3": UserFactory(username="am3", region=city),
        "am_other": UserFactory(username="am_other", region=other),
    }


@pytest.fixture
def billed_accounts(org):
    """Six accounts in the city billing ≥ 120 in 3 months (owned by am1), two that do not, and
    one matching account in the other city."""
    months = {AS_OF.replace(day=1, month=m): "150.00" for m in (8, 9, 10)}
    matching = []
    for i in range(6):
        account = AccountFactory(
            owner=org["am1"], region=org["city"], size_band="large" if i % 2 else "small"
        )
        bill(account, months)
        KeyPersonFactory(
            account=account, role="decision_maker", name=f"张总{i}", phone=f"1380000{i:04d}"
        )
        matching.append(account)
    for _ in range(2):
        bill(
            AccountFactory(owner=org["am1"], region=org["city"]),
            {AS_OF.replace(day=1, month=10): "150.00"},
        )
    elsewhere = AccountFactory(owner=org["am_other"], region=org["other"])
    bill(elsewhere, months)
    return matching


def high_risk(account):  # type: ignore[no-untyped-def]
    return AccountLifecycle.objects.create(
        account=account, as_of=AS_OF, stage="D", churn_risk="high", high_risk_since=AS_OF
    )
