"""Services: create (who may, where), generation (round-robin, idempotent), re-split, recording."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from accounts.models import Activity
from accounts.tests.factories import AccountFactory
from core.models import JobRun
from lifecycle.campaigns import services
from lifecycle.models import Campaign, CampaignCall

from .conftest import high_risk
from .factories import AS_OF, bill

pytestmark = pytest.mark.django_db


def _data(org, **over):  # type: ignore[no-untyped-def]
    data = {
        "name": "网络满意度回访",
        "kind": Campaign.Kind.QUESTIONNAIRE,
        "region": org["city"],
        "min_monthly_amount": Decimal("120"),
        "min_months": 3,
        "window_months": 12,
        "churn_risks": [],
        "stages": [],
        "value_classes": [],
        "questions": [
            {"text": "满意吗？", "options": ["满意", "不满意"]},
            {"text": "建议？", "options": []},
        ],
        "starts_on": dt.date(2026, 11, 16),
        "ends_on": dt.date(2026, 12, 31),
        "callers": [org["am1"], org["am2"], org["am3"]],
    }
    data.update(over)
    return data


def test_create_rights(org):
    campaign = services.campaign_create(actor=org["rm"], data=_data(org))
    assert campaign.created_by == org["rm"] and campaign.history.count() == 1
    assert services.campaign_create(
        actor=org["hq"], data=_data(org, region=org["other"], callers=[org["am_other"]])
    )
    with pytest.raises(ValidationError) as exc:  # outside the manager's region
        services.campaign_create(actor=org["rm"], data=_data(org, region=org["province"]))
    assert "region" in exc.value.error_dict
    with pytest.raises(PermissionDenied):
        services.campaign_create(actor=org["am1"], data=_data(org))
    assert Campaign.objects.count() == 2


def test_create_validation(org):
    cases = [
        (_data(org, callers=[org["am_other"]]), "callers"),  # caller outside the region
        (_data(org, callers=[org["hq"]]), "callers"),  # hq is not a caller
        (_data(org, callers=[]), "callers"),
        (_data(org, questions=[]), "questions"),
        (_data(org, min_months=13), "min_months"),
        (_data(org, min_monthly_amount=None), "min_monthly_amount"),
        (_data(org, ends_on=dt.date(2026, 11, 1)), "ends_on"),
    ]
    for data, field in cases:
        with pytest.raises(ValidationError) as exc:
            services.campaign_create(actor=org["rm"], data=data)
        assert field in exc.value.error_dict, field
    # A retention-care campaign needs no questions.
    services.campaign_create(actor=org["rm"], data=_data(org, kind="retention_care", questions=[]))


def test_generate_split_and_idempotent(org, billed_accounts, django_assert_max_num_queries):
    campaign = services.campaign_create(actor=org["rm"], data=_data(org))
    preview = services.campaign_preview(actor=org["rm"], campaign_id=campaign.pk, as_of=AS_OF)
    assert (preview.matching, preview.new, preview.listed, preview.callers, preview.per_caller) == (
        6,
        6,
        0,
        3,
        2,
    )
    # Set-based: a fixed number of statements whatever the list size (one INSERT … SELECT; on
    # PostgreSQL two SET LOCALs tune it).
    with django_assert_max_num_queries(14):
        added = services.campaign_generate(
            campaign_id=campaign.pk, as_of=AS_OF, triggered_by="rm_city"
        )
    assert added == 6
    calls = CampaignCall.objects.filter(campaign=campaign)
    assert set(calls.values_list("account_id", flat=True)) == {a.pk for a in billed_accounts}
    assert Counter(calls.values_list("caller_id", flat=True)) == {
        org["am1"].pk: 2,
        org["am2"].pk: 2,
        org["am3"].pk: 2,
    }
    # The spread order deals each value class among different callers.
    by_class = Counter((c.account.size_band, c.caller_id) for c in calls.select_related("account"))
    assert max(by_class.values()) == 1
    campaign.refresh_from_db()
    assert campaign.status == "active" and campaign.generated_at is not None
    run = JobRun.objects.get(job=services.generation_job(campaign.pk))
    assert (run.status, run.rows, run.total, run.triggered_by) == ("succeeded", 6, 6, "rm_city")

    # Record one outcome; a newcomer starts matching; regenerate.
    first = calls.order_by("id").first()
    services.call_record(
        actor=first.caller, call_id=first.pk, data={"reached": True, "answers": {"0": "满意"}}
    )
    newcomer = AccountFactory(owner=org["am1"], region=org["city"])
    bill(newcomer, {dt.date(2026, m, 1): "120.00" for m in (1, 2, 3)})
    assert services.campaign_generate(campaign_id=campaign.pk, as_of=AS_OF) == 1
    assert services.campaign_generate(campaign_id=campaign.pk, as_of=AS_OF) == 0
    assert calls.count() == 7
    first.refresh_from_db()
    assert first.status == "done" and first.answers == {"0": "满意"}
    # The newcomer goes to the next caller in turn (6 listed before: 6 % 3 → the first caller).
    assert calls.get(account=newcomer).caller_id == org["am1"].pk


def test_generate_refuses_closed_or_callerless(org, billed_accounts):
    campaign = services.campaign_create(actor=org["rm"], data=_data(org))
    campaign.callers.clear()
    with pytest.raises(ValidationError):
        services.campaign_generate(campaign_id=campaign.pk, as_of=AS_OF)
    assert JobRun.objects.get(job=services.generation_job(campaign.pk)).status == "failed"
    services.campaign_close(actor=org["rm"], campaign_id=campaign.pk)
    with pytest.raises(ValidationError):
        services.campaign_generate_request(actor=org["rm"], campaign_id=campaign.pk, as_of=AS_OF)
    assert not CampaignCall.objects.exists()


def test_large_list_goes_to_the_task(
    org, billed_accounts, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "SYNC_LIMIT", 2)
    campaign = services.campaign_create(actor=org["rm"], data=_data(org))
    with django_capture_on_commit_callbacks(execute=True):
        preview, added = services.campaign_generate_request(
            actor=org["rm"], campaign_id=campaign.pk, as_of=AS_OF
        )
    assert added is None and not preview.sync
    # Eager Celery in tests: the task ran on commit.
    assert CampaignCall.objects.filter(campaign=campaign).count() == 6


def test_resplit_moves_only_pending_calls(org, billed_accounts):
    campaign = services.campaign_create(
        actor=org["rm"], data=_data(org, callers=[org["am1"], org["am2"]])
    )
    services.campaign_generate(campaign_id=campaign.pk, as_of=AS_OF)
    done = CampaignCall.objects.filter(campaign=campaign, caller=org["am1"]).order_by("id").first()
    services.call_record(actor=org["am1"], call_id=done.pk, data={"reached": False})
    # Callers change: am2 leaves, am3 joins; the pending calls are dealt among am1 and am3.
    services.campaign_update(
        actor=org["rm"], campaign_id=campaign.pk, data={"callers": [org["am1"], org["am3"]]}
    )
    pending = CampaignCall.objects.filter(campaign=campaign, status="pending")
    assert Counter(pending.values_list("caller_id", flat=True)) == {
        org["am1"].pk: 3,
        org["am3"].pk: 2,
    }
    done.refresh_from_db()
    assert done.caller_id == org["am1"].pk and done.status == "done"
    assert services.campaign_resplit(actor=org["rm"], campaign_id=campaign.pk) == 5
    with pytest.raises(Http404):
        services.campaign_resplit(actor=org["rm_other"], campaign_id=campaign.pk)


def test_questions_fixed_once_calls_recorded(org, billed_accounts):
    campaign = services.campaign_create(actor=org["rm"], data=_data(org))
    services.campaign_generate(campaign_id=campaign.pk, as_of=AS_OF)
    call = CampaignCall.objects.filter(campaign=campaign).first()
    services.call_record(actor=call.caller, call_id=call.pk, data={"reached": True})
    with pytest.raises(ValidationError) as exc:
        services.campaign_update(
            actor=org["rm"],
            campaign_id=campaign.pk,
            data={"questions": [{"text": "新问题", "options": []}]},
        )
    assert "questions" in exc.value.error_dict


def test_call_record_rules_and_audit(org, billed_accounts):
    campaign = services.campaign_create(
        actor=org["rm"], data=_data(org, kind="retention_care", questions=[], callers=[org["am2"]])
    )
    services.campaign_generate(campaign_id=campaign.pk, as_of=AS_OF)
    call = CampaignCall.objects.filter(campaign=campaign).order_by("id").first()
    with pytest.raises(Http404):  # neither the caller nor a manager
        services.call_record(actor=org["am_other"], call_id=call.pk, data={"reached": True})
    with pytest.raises(PermissionDenied):  # a manager reads, the caller records
        services.call_record(actor=org["rm"], call_id=call.pk, data={"reached": True})
    for data, field in [
        ({}, "reached"),
        ({"reached": False, "offer_accepted": True}, "reached"),
        ({"reached": True, "answers": {"0": "x"}}, "answers.0"),
        ({"reached": True, "follow_up_on": timezone.localdate()}, "follow_up"),
        ({"reached": True, "follow_up": "x", "follow_up_on": dt.date(2020, 1, 1)}, "follow_up_on"),
    ]:
        with pytest.raises(ValidationError) as exc:
            services.call_record(actor=org["am2"], call_id=call.pk, data=data)
        assert field in exc.value.error_dict, data
    due = timezone.localdate() + dt.timedelta(days=3)
    services.call_record(
        actor=org["am2"],
        call_id=call.pk,
        data={
            "reached": True,
            "offer_accepted": True,
            "issue_raised": "专线晚高峰丢包",
            "follow_up": "安排工程师上门测试",
            "follow_up_on": due,
        },
    )
    call.refresh_from_db()
    assert (call.status, call.reached, call.offer_accepted, call.issue_raised) == (
        "done",
        True,
        True,
        "专线晚高峰丢包",
    )
    assert call.called_at is not None
    latest = call.history.latest()
    assert latest.history_user == org["am2"] and latest.status == "done"
    # am2 does not own the account: the follow-up goes to its owner's next steps, naming am2.
    activity = Activity.objects.get(account=call.account)
    assert (activity.kind, activity.next_step, activity.next_step_on) == (
        "call",
        "安排工程师上门测试",
        due,
    )
    assert activity.created_by == org["am1"] and org["am2"].label in activity.subject


def test_offer_only_for_retention_care(org, billed_accounts):
    campaign = services.campaign_create(actor=org["rm"], data=_data(org, callers=[org["am1"]]))
    services.campaign_generate(campaign_id=campaign.pk, as_of=AS_OF)
    call = CampaignCall.objects.filter(campaign=campaign).first()
    services.call_record(
        actor=org["am1"], call_id=call.pk, data={"reached": True, "offer_accepted": True}
    )
    call.refresh_from_db()
    assert call.offer_accepted is None


def test_retention_care_targets_high_risk(org, billed_accounts):
    for account in billed_accounts[:2]:
        high_risk(account)
    campaign = services.campaign_create(
        actor=org["hq"],
        data=_data(
            org,
            kind="retention_care",
            region=org["province"],
            questions=[],
            min_monthly_amount=None,
            min_months=None,
            churn_risks=["high"],
            stages=["D"],
            callers=[org["am1"], org["am_other"]],
        ),
    )
    assert services.campaign_generate(campaign_id=campaign.pk, as_of=AS_OF) == 2
