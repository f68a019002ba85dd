from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import CareDate
from accounts.tests.factories import (
    AccountFactory,
    ActivityFactory,
    KeyPersonFactory,
    MemberFactory,
    ServiceRequestFactory,
)


@pytest.fixture
def login():  # type: ignore[no-untyped-def]
    def _login(user, language: str = "en") -> Client:  # type: ignore[no-untyped-def]
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def portfolio(world):  # type: ignore[no-untyped-def]
    """am_gz's portfolio: a headquarters account with a branch in Shenzhen, people, history."""
    hq_account = AccountFactory(
        code="G-HQ-001",
        name="华南物流集团",
        owner=world.am_a,
        region=world.district_a1,
        industry="logistics_transport",
        size_band="large",
    )
    branch = AccountFactory(
        code="G-BR-002",
        name="华南物流深圳分公司",
        owner=world.am_b,
        region=world.city_b,
        parent=hq_account,
    )
    others = [
        AccountFactory(
            code=f"G-AM-{i:03d}",
            name=f"广州制造{i}厂",
            owner=world.am_a,
            region=world.district_a1,
            status="prospect" if i % 3 == 0 else "active",
        )
        for i in range(1, 8)
    ]
    other_am = AccountFactory(
        code="G-X-900", name="别人的客户", owner=world.am_a2, region=world.city_a
    )
    today = timezone.localdate()
    boss = KeyPersonFactory(
        account=hq_account,
        name="王总",
        role="decision_maker",
        drivers=["power", "security"],
        birthday_on=dt.date(1975, today.month, today.day),
    )
    champion = KeyPersonFactory(
        account=hq_account, name="李经理", role="champion", drivers=["achievement"]
    )
    CareDate.objects.create(
        key_person=champion, occasion="anniversary", month=today.month, day=today.day
    )
    MemberFactory(account=hq_account, is_vip=True, number_masked="139****0001")
    MemberFactory(account=hq_account, is_vip=False, number_masked="139****0002")
    ActivityFactory(
        account=hq_account,
        subject="年度拜访",
        occurred_on=today - dt.timedelta(days=3),
        next_step="发送方案",
        next_step_on=today + dt.timedelta(days=1),
        key_person=boss,
    )
    sr = ServiceRequestFactory(
        account=hq_account,
        title="专线中断",
        severity="critical",
        opened_at=timezone.now() - dt.timedelta(hours=5),
        sla_due_at=timezone.now() - dt.timedelta(hours=1),
    )
    return {
        "hq": hq_account,
        "branch": branch,
        "others": others,
        "other_am": other_am,
        "boss": boss,
        "champion": champion,
        "sr": sr,
    }
