"""Factories and small builders for call-campaign tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from accounts.tests.factories import AccountFactory, RegionFactory, UserFactory
from billing.models import BillLine
from lifecycle.models import Campaign, CampaignCall
from org.models import Region, User
from solutions.models import Product

AS_OF = dt.date(2026, 11, 15)


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"回访活动{n}")
    kind = Campaign.Kind.QUESTIONNAIRE
    region = factory.SubFactory(RegionFactory)
    min_monthly_amount = Decimal("120.00")
    min_months = 3
    window_months = 12
    questions = factory.LazyFunction(
        lambda: [
            {"text": "您对我们的网络质量满意吗？", "options": ["非常满意", "满意", "不满意"]},
            {"text": "您还希望我们提供哪些服务？", "options": []},
        ]
    )
    starts_on = dt.date(2026, 11, 16)
    ends_on = dt.date(2026, 12, 31)
    created_by = factory.SubFactory(
        UserFactory,
        role=User.Role.REGIONAL_MANAGER,
        region=factory.SelfAttribute("..region"),
    )

    @factory.post_generation
    def callers(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.callers.set(extracted)


class CampaignCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignCall

    campaign = factory.SubFactory(CampaignFactory)
    account = factory.SubFactory(AccountFactory, region=factory.SelfAttribute("..campaign.region"))
    caller = factory.SubFactory(UserFactory, region=factory.SelfAttribute("..campaign.region"))
    status = CampaignCall.Status.PENDING


class DoneCampaignCallFactory(CampaignCallFactory):
    status = CampaignCall.Status.DONE
    called_at = factory.LazyFunction(timezone.now)
    reached = True
    answers = factory.LazyFunction(lambda: {"0": "满意"})


def province_with_city() -> tuple[Region, Region, Region]:
    """A province, a city in it, and another city of it."""
    province = RegionFactory(level=Region.Level.PROVINCE)
    city = RegionFactory(parent=province)
    other = RegionFactory(parent=province)
    return province, city, other


def product() -> Product:
    from billing.tests.helpers import ensure_catalogue

    ensure_catalogue()
    first = Product.objects.order_by("id").first()
    assert first is not None
    return first


def bill(
    account: Any, months: dict[dt.date, str], *, products: list[Product] | None = None
) -> None:
    """Bill lines of `account`: month (first day) → amount; with several products the amount is
    split as evenly as cents allow."""
    products = products or [product()]
    now = timezone.now()
    lines = []
    for month, amount in months.items():
        total = Decimal(amount)
        share = (total / len(products)).quantize(Decimal("0.01"))
        for i, prod in enumerate(products):
            part = share if i < len(products) - 1 else total - share * (len(products) - 1)
            lines.append(
                BillLine(
                    account=account,
                    period_on=month,
                    product=prod,
                    amount=part,
                    quantity=1,
                    batch_id=1,
                    created_at=now,
                    updated_at=now,
                )
            )
    BillLine.objects.bulk_create(lines)
