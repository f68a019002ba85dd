"""Demo call campaigns: a questionnaire for customers billed ≥ 120 CNY in any 3 months of one city
and a retention-care campaign for its high churn risk accounts, each split among three callers,
with some calls already recorded. Runs after the lifecycle step (churn risk must exist);
re-running keeps the campaigns and their outcomes."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from lifecycle.models import Campaign, CampaignCall
from org.models import User

from . import services

CITY_MANAGER = "rm_gz"
CALLERS = 3
QUESTIONNAIRE = "集团客户网络满意度回访"
RETENTION = "高流失风险客户关怀外呼"
QUESTIONS = [
    {"text": "您对我们的网络质量满意吗？", "options": ["非常满意", "满意", "一般", "不满意"]},
    {"text": "您对客户经理的服务满意吗？", "options": ["非常满意", "满意", "一般", "不满意"]},
    {"text": "未来一年贵单位是否有新的信息化需求？", "options": ["有", "暂无", "不确定"]},
    {"text": "您还希望我们提供哪些服务？", "options": []},
]
SUGGESTIONS = ["5G专网", "云视频会议", "物联网定位", "企业宽带提速", "数据中心托管"]
ISSUES = ["晚高峰专线丢包", "账单明细看不懂", "投诉处理太慢", "竞争对手报价更低", "装机等待时间长"]
FOLLOW_UPS = ["客户经理上门拜访", "发送优惠资费方案", "安排工程师现场测试", "约见信息部负责人"]


def _campaign(actor: User, callers: list[User], as_of: dt.date, **data: Any) -> Campaign:
    existing = Campaign.objects.filter(name=data["name"], created_by=actor).first()
    if existing is not None:
        return existing
    return services.campaign_create(
        actor=actor,
        data={
            "region": actor.region,
            "starts_on": as_of,
            "ends_on": as_of + dt.timedelta(days=45),
            "window_months": 12,
            "callers": callers,
            **data,
        },
    )


def _record_some(campaign: Campaign, rng: random.Random, share: float) -> int:
    """Records the outcome of about `share` of the campaign's pending calls."""
    today = timezone.localdate()
    recorded = 0
    calls = list(
        CampaignCall.objects.filter(campaign=campaign, status="pending")
        .select_related("caller")
        .order_by("id")
    )
    for call in calls:
        if rng.random() > share:
            continue
        reached = rng.random() < 0.75
        data: dict[str, Any] = {"reached": reached}
        if reached:
            answers = {
                str(i): rng.choice(q["options"]) for i, q in enumerate(QUESTIONS) if q["options"]
            }
            if rng.random() < 0.5:
                answers["3"] = rng.choice(SUGGESTIONS)
            data["answers"] = answers if campaign.kind == Campaign.Kind.QUESTIONNAIRE else {}
            if campaign.kind == Campaign.Kind.RETENTION_CARE:
                data["offer_accepted"] = rng.random() < 0.45
            if rng.random() < 0.25:
                data["issue_raised"] = rng.choice(ISSUES)
            if rng.random() < 0.3:
                data["follow_up"] = rng.choice(FOLLOW_UPS)
                data["follow_up_on"] = today + dt.timedelta(days=rng.randint(1, 14))
        services.call_record(actor=call.caller, call_id=call.pk, data=data)
        recorded += 1
    return recorded


def demo_campaigns(*, as_of: dt.date, seed: int) -> dict[str, tuple[int, int]]:
    """Returns {campaign name: (calls listed, calls recorded now)}."""
    manager = User.objects.select_related("region").filter(username=CITY_MANAGER).first()
    if manager is None or manager.region is None:
        return {}
    callers = list(
        services.eligible_callers(manager.region)
        .filter(role=User.Role.ACCOUNT_MANAGER)
        .order_by("username")[:CALLERS]
    )
    if not callers:
        return {}
    rng = random.Random(f"{seed}/campaigns")
    out = {}
    for campaign, share in (
        (
            _campaign(
                manager,
                callers,
                as_of,
                name=QUESTIONNAIRE,
                kind=Campaign.Kind.QUESTIONNAIRE,
                min_monthly_amount=Decimal("120"),
                min_months=3,
                questions=QUESTIONS,
            ),
            0.3,
        ),
        (
            _campaign(
                manager,
                callers,
                as_of,
                name=RETENTION,
                kind=Campaign.Kind.RETENTION_CARE,
                churn_risks=["high"],
                questions=[],
            ),
            0.4,
        ),
    ):
        services.campaign_generate(campaign_id=campaign.pk, as_of=as_of, triggered_by="demo")
        # Outcomes only once: a re-run keeps the recorded calls as they are.
        untouched = not campaign.calls.filter(status=CampaignCall.Status.DONE).exists()
        recorded = _record_some(campaign, rng, share) if untouched else 0
        out[campaign.name] = (campaign.calls.count(), recorded)
    return out


def demo_step(run: Any) -> None:
    """The demo command's step (after the lifecycle step)."""
    for name, (listed, recorded) in demo_campaigns(
        as_of=run.spec.as_of, seed=run.spec.seed
    ).items():
        run.say(f"      {name}: {listed:,} calls, {recorded:,} recorded")


def demo_reset_step(run: Any) -> None:
    """With --reset, before the province is regenerated: campaigns go first (they protect their
    region, creator and callers). Their calls go with them."""
    if run.reset:
        CampaignCall.objects.all().delete()
        Campaign.objects.all().delete()
