from __future__ import annotations

import pytest

from accounts.tests.factories import UserFactory
from lifecycle.campaigns import demo
from lifecycle.models import Campaign, CampaignCall
from org.models import User

from .conftest import high_risk
from .factories import AS_OF

pytestmark = pytest.mark.django_db


def test_demo_campaigns_are_generated_split_and_partly_recorded(org, billed_accounts):
    UserFactory(username="rm_gz", role=User.Role.REGIONAL_MANAGER, region=org["city"])
    for account in billed_accounts[:4]:
        high_risk(account)
    out = demo.demo_campaigns(as_of=AS_OF, seed=3)
    assert out[demo.QUESTIONNAIRE][0] == 6 and out[demo.RETENTION][0] == 4
    questionnaire = Campaign.objects.get(name=demo.QUESTIONNAIRE)
    assert questionnaire.status == "active" and questionnaire.callers.count() == 3
    assert CampaignCall.objects.values("caller").distinct().count() == 3
    recorded = CampaignCall.objects.filter(status="done").count()
    assert recorded > 0
    assert recorded == sum(r for _n, r in out.values())
    # Running the demo again keeps everything.
    again = demo.demo_campaigns(as_of=AS_OF, seed=3)
    assert {k: v[0] for k, v in again.items()} == {k: v[0] for k, v in out.items()}
    assert all(r == 0 for _n, r in again.values())
    assert CampaignCall.objects.filter(status="done").count() == recorded
    assert Campaign.objects.count() == 2


def test_demo_without_the_city_manager_does_nothing(org):
    assert demo.demo_campaigns(as_of=AS_OF, seed=3) == {}
