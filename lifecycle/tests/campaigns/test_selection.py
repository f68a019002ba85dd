"""The set-based selection (selection.py) equals the pure rule (rules.py) on generated data, with
ties at the threshold, refunds, months outside the window, missing lifecycle and score rows, and
overrides; and generation deals the callers round-robin over the spread order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import AccountFactory, RegionFactory, UserFactory
from lifecycle.campaigns import rules, selection
from lifecycle.models import AccountLifecycle
from org.models import Region
from segmentation.models import AccountScore, ClassOverride

from .factories import AS_OF, bill, product

CLASSES = ["economic", "social", "clustered_sme"]
MONTHS = [rules.add_months(dt.date(2026, 11, 1), k) for k in range(-14, 1)]  # m14 … as_of's month
AMOUNTS = st.sampled_from(
    ["0.01", "50.00", "119.99", "120.00", "120.01", "-30.00", "999.50", "60.10"]
)


@st.composite
def account_rows(draw):  # type: ignore[no-untyped-def]
    return {
        "status": draw(st.sampled_from(["active", "active", "active", "churned", "prospect"])),
        "where": draw(st.sampled_from(["city", "district", "other"])),
        "months": draw(st.dictionaries(st.sampled_from(MONTHS), AMOUNTS, max_size=6)),
        "split": draw(st.booleans()),
        "risk": draw(st.sampled_from([None, "low", "medium", "high"])),
        "stage": draw(st.sampled_from([None, "A", "B", "C", "D", "E"])),
        "computed": draw(st.sampled_from([None, *CLASSES])),
        "override": draw(st.sampled_from([None, None, *CLASSES])),
        "org_kind": draw(st.sampled_from(["enterprise", "government"])),
        "size_band": draw(st.sampled_from(["large", "small"])),
    }


@st.composite
def target_rules(draw):  # type: ignore[no-untyped-def]
    window = draw(st.integers(1, 13))
    amount = draw(st.sampled_from([None, Decimal("120"), Decimal("120"), Decimal("60.10")]))
    return rules.TargetRule(
        min_monthly_amount=amount,
        min_months=draw(st.none() | st.integers(1, min(window, 3))) if amount is not None else None,
        window_months=window,
        churn_risks=frozenset(
            draw(st.sets(st.sampled_from(["low", "medium", "high"]), max_size=2))
        ),
        stages=frozenset(draw(st.sets(st.sampled_from(list("ABCDE")), max_size=2))),
        value_classes=frozenset(draw(st.sets(st.sampled_from(CLASSES), max_size=2))),
    )


def _fallback(org_kind: str, size_band: str) -> str:
    conf = django_settings.SEGMENTATION
    if org_kind in conf["SOCIAL_ORG_KINDS"]:
        return "social"
    if size_band in conf["FALLBACK_ECONOMIC_SIZE_BANDS"]:
        return "economic"
    return "clustered_sme"


@pytest.fixture
def world(db):
    province = RegionFactory(code="PP", level=Region.Level.PROVINCE)
    city = RegionFactory(code="PP-C", parent=province)
    district = RegionFactory(code="PP-C-D", parent=city, level=Region.Level.DISTRICT)
    other = RegionFactory(code="PP-O", parent=province)
    owner = UserFactory(username="sel_owner", region=city)
    products = [product()]
    from solutions.models import Product

    products.append(Product.objects.order_by("id")[1])
    return {
        "city": city,
        "district": district,
        "other": other,
        "owner": owner,
        "products": products,
    }


class _Rollback(Exception):
    pass


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(account_rows(), max_size=25), rule=target_rules())
def test_sql_selection_equals_pure_rule(world, rows, rule):
    try:
        with transaction.atomic():
            expected = set()
            for row in rows:
                account = AccountFactory(
                    status=row["status"],
                    region=world[row["where"]],
                    owner=world["owner"],
                    org_kind=row["org_kind"],
                    size_band=row["size_band"],
                )
                bill(
                    account,
                    row["months"],
                    products=world["products"] if row["split"] else world["products"][:1],
                )
                if row["risk"] is not None:
                    AccountLifecycle.objects.create(
                        account=account,
                        as_of=AS_OF,
                        stage=row["stage"],
                        churn_risk=row["risk"],
                        high_risk_since=AS_OF if row["risk"] == "high" else None,
                    )
                if row["computed"]:
                    AccountScore.objects.create(
                        account=account, as_of=AS_OF, value_class=row["computed"]
                    )
                if row["override"]:
                    ClassOverride.objects.create(
                        account=account,
                        value_class=row["override"],
                        reason="test",
                        created_by=world["owner"],
                    )
                facts = rules.AccountFacts(
                    status=row["status"],
                    in_region=row["where"] != "other",
                    monthly_amounts={m: Decimal(a) for m, a in row["months"].items()},
                    churn_risk=row["risk"],
                    stage=row["stage"] if row["risk"] is not None else None,
                    value_class=row["override"]
                    or row["computed"]
                    or _fallback(row["org_kind"], row["size_band"]),
                )
                if rules.matches(rule, facts, as_of=AS_OF):
                    expected.add(account.pk)
            region_ids = [world["city"].pk, world["district"].pk]
            got = set(
                selection.target_accounts(
                    rule=rule, region_ids=region_ids, as_of=AS_OF
                ).values_list("id", flat=True)
            )
            assert got == expected
            raise _Rollback
    except _Rollback:
        pass


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amounts", "expected"),
    [
        ({1: "120.00", 2: "120.00", 3: "120.00"}, True),  # exactly the threshold
        ({1: "60.10", 2: "120.00", 3: "119.99"}, False),  # a cent short in one month
        ({1: "500", 6: "130", 12: "121"}, True),  # any 3 of the window
        ({1: "500", 2: "500", 13: "500"}, False),  # m13 is outside the window
        ({0: "500", 1: "500", 2: "500"}, False),  # as_of's own month is not closed
        ({1: "-5", 2: "500", 3: "500"}, False),
    ],
)
def test_billing_part_in_sql(world, amounts, expected):
    account = AccountFactory(region=world["city"], owner=world["owner"])
    end = dt.date(2026, 11, 1)
    # Two products per month: the month's sum is what counts, not one line.
    bill(
        account,
        {rules.add_months(end, -k): a for k, a in amounts.items()},
        products=world["products"],
    )
    rule = rules.TargetRule(min_monthly_amount=Decimal("120"), min_months=3, window_months=12)
    facts = rules.AccountFacts(
        status="active",
        in_region=True,
        monthly_amounts={rules.add_months(end, -k): Decimal(a) for k, a in amounts.items()},
    )
    assert rules.matches(rule, facts, as_of=AS_OF) is expected
    got = selection.target_accounts(rule=rule, region_ids=[world["city"].pk], as_of=AS_OF)
    assert list(got.values_list("id", flat=True)) == ([account.pk] if expected else [])
