"""The retention desk's nightly order: the pure key sorts like the desk's rule, the nightly SQL
writes exactly the pure key (property test), and the desk reads its pages in that order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import AccountFactory
from lifecycle import domain, nightly
from lifecycle.models import AccountLifecycle
from lifecycle.tests.factories import AccountLifecycleFactory, RetentionTaskFactory
from segmentation.models import AccountScore, ClassOverride

RISKS = ("high", "medium", "low")
CLASSES = ("economic", "social", "clustered_sme")


def key(risk: str, klass: str | None, p3: str, r3: str) -> int:
    return domain.desk_key(
        churn_risk=risk, value_class=klass, revenue_p3=Decimal(p3), revenue_r3=Decimal(r3)
    )


def test_pure_key_sorts_by_risk_then_class_then_largest_drop() -> None:
    ordered = [
        key("high", "economic", "9000", "1000"),  # drop 8,000
        key("high", "economic", "2000", "1000"),  # drop 1,000
        key("high", "economic", "1000", "3000"),  # growth: a negative drop
        key("high", "social", "9000", "0"),
        key("high", "clustered_sme", "9000", "0"),
        key("high", None, "9000", "0"),  # no class: after every class
        key("medium", "economic", "99999999", "0"),
        key("low", "economic", "99999999", "0"),
    ]
    assert ordered == sorted(ordered)
    assert len(set(ordered)) == len(ordered)


def test_pure_key_clamps_absurd_amounts_within_its_band() -> None:
    huge = key("high", "economic", "99999999999999.99", "0")
    tiny = key("high", "economic", "0", "99999999999999.99")
    assert key("high", "economic", "0", "0") > huge >= 0
    assert tiny < key("high", "social", "0", "0")


amounts = st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2)
rows = st.lists(
    st.tuples(
        st.sampled_from(RISKS),
        st.sampled_from((*CLASSES, None)),
        st.booleans(),  # an override on top of the computed class
        amounts,
        amounts,
        st.integers(min_value=0, max_value=3),  # open flags
        st.booleans(),  # an open retention task
    ),
    min_size=1,
    max_size=6,
)


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=rows)
def test_nightly_sql_writes_the_pure_key(rows, world) -> None:  # type: ignore[no-untyped-def]
    expected: dict[int, int | None] = {}
    for risk, klass, overridden, p3, r3, flags, task in rows:
        account = AccountFactory(owner=world.am_a, region=world.district_a1)
        AccountLifecycleFactory(
            account=account,
            churn_risk=risk,
            flag_count=flags,
            revenue_p3=p3,
            revenue_r3=r3,
            desk_key=None,
        )
        effective = klass
        if klass is not None:
            AccountScore.objects.create(
                account=account, as_of=dt.date(2026, 11, 1), value_class=klass
            )
            if overridden:
                effective = "social" if klass != "social" else "economic"
                ClassOverride.objects.create(
                    account=account, value_class=effective, reason="test", created_by=world.rm_a
                )
        if task:
            RetentionTaskFactory(account=account)
        if effective is None:
            # Unscored: the fallback class from the account's own fields, as segmentation says.
            from segmentation.selectors import annotate_scores

            effective = (
                annotate_scores(type(account).objects.filter(pk=account.pk)).get().value_class
            )
        on_desk = flags > 0 or task
        expected[account.pk] = (
            domain.desk_key(churn_risk=risk, value_class=effective, revenue_p3=p3, revenue_r3=r3)
            if on_desk
            else None
        )
    nightly.refresh_desk_keys()
    got = dict(
        AccountLifecycle.objects.filter(account_id__in=expected).values_list(
            "account_id", "desk_key"
        )
    )
    assert got == expected
    assert nightly.refresh_desk_keys() == 0  # nothing changed: nothing written


@pytest.mark.django_db
def test_desk_pages_follow_the_nightly_order(world) -> None:  # type: ignore[no-untyped-def]
    names = {}
    for name, risk, p3, r3 in [
        ("小降幅高危", "high", "2000", "1000"),
        ("大降幅高危", "high", "9000", "1000"),
        ("中危客户", "medium", "9000", "0"),
    ]:
        account = AccountFactory(owner=world.am_a, region=world.district_a1, name=name)
        AccountLifecycleFactory(
            account=account, churn_risk=risk, revenue_p3=Decimal(p3), revenue_r3=Decimal(r3)
        )
        names[name] = account
    nightly.refresh_desk_keys()
    client = Client()
    client.force_login(world.rm_a)
    html = client.get(reverse("lifecycle:desk")).content.decode()
    assert html.index("大降幅高危") < html.index("小降幅高危") < html.index("中危客户")
    # An account the night did not put on the desk is not listed, whatever its flags say now.
    AccountLifecycle.objects.filter(account=names["中危客户"]).update(desk_key=None)
    html = client.get(reverse("lifecycle:desk")).content.decode()
    assert "中危客户" not in html
