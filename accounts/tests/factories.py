from __future__ import annotations

import datetime as dt
import random

import factory
from django.utils import timezone

from accounts.domain import CREDIT_CODE_CHARSET, credit_code_check_char
from accounts.models import Account, Activity, KeyPerson, Member, ServiceRequest
from org.models import AccountTeamMember, Region, User
from org.services import region_save


def valid_credit_code(seed: int) -> str:
    rng = random.Random(seed)
    body = "91" + "".join(rng.choice("0123456789") for _ in range(6))
    body += "".join(rng.choice(CREDIT_CODE_CHARSET) for _ in range(9))
    return body + credit_code_check_char(body)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"R{n:04d}")
    name = factory.Sequence(lambda n: f"地区{n}")
    level = Region.Level.CITY

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[no-untyped-def]
        return region_save(
            code=kwargs["code"],
            name=kwargs["name"],
            level=kwargs["level"],
            parent=kwargs.get("parent"),
        )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    role = User.Role.ACCOUNT_MANAGER
    display_name = factory.Sequence(lambda n: f"经理{n}")
    password = factory.django.Password("pass-word-123")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    code = factory.Sequence(lambda n: f"G{n:08d}")
    name = factory.Sequence(lambda n: f"测试集团{n}有限公司")
    credit_code = factory.Sequence(lambda n: valid_credit_code(n))
    org_kind = "enterprise"
    industry = "manufacturing"
    size_band = "medium"
    status = "active"
    owner = factory.SubFactory(UserFactory)
    region = factory.LazyAttribute(lambda o: o.owner.region or RegionFactory())
    joined_on = dt.date(2022, 1, 1)


class KeyPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyPerson

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"张{n}")
    role = "decision_maker"
    influence = 4
    relationship = 3
    drivers = ["power", "security"]


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    account = factory.SubFactory(AccountFactory)
    number_masked = factory.Sequence(lambda n: f"138****{n % 10000:04d}")
    cost_centre = "销售部"


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    account = factory.SubFactory(AccountFactory)
    kind = "visit"
    subject = "季度拜访"
    occurred_on = dt.date(2026, 10, 1)
    created_by = factory.LazyAttribute(lambda o: o.account.owner)


class ServiceRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceRequest

    account = factory.SubFactory(AccountFactory)
    kind = "complaint"
    title = "专线中断"
    severity = "high"
    opened_at = factory.LazyFunction(timezone.now)
    sla_due_at = factory.LazyAttribute(lambda o: o.opened_at + dt.timedelta(hours=24))
    opened_by = factory.LazyAttribute(lambda o: o.account.owner)


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountTeamMember

    account = factory.SubFactory(AccountFactory)
    user = factory.SubFactory(UserFactory, region=factory.SelfAttribute("..account.region"))
    team_role = AccountTeamMember.TeamRole.SOLUTION_ENGINEER
    access = AccountTeamMember.Access.READ
