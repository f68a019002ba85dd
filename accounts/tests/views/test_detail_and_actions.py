"""The 360° page and the actions on it: key persons, activities, service requests, account edit
with the optimistic-lock conflict."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, Activity, KeyPerson, ServiceRequest
from accounts.tests.factories import KeyPersonFactory
from org.models import AccountTeamMember

pytestmark = pytest.mark.django_db
HQ = "G-HQ-001"


def _detail(client, code: str = HQ) -> str:  # type: ignore[no-untyped-def]
    response = client.get(reverse("accounts:detail", args=[code]))
    assert response.status_code == 200
    return response.content.decode()


def test_360_page_shows_everything_in_bounded_queries(
    world, portfolio, login, django_assert_max_num_queries
):
    for i in range(6):
        KeyPersonFactory(
            account=portfolio["hq"], name=f"员工{i}", role="user", drivers=["belonging"]
        )
    client = login(world.am_a)
    # 15 whatever the number of key persons, activities, requests, members, branches or bill
    # lines (checked with 25 of each and 12 months × 6 products): session, user, account, two
    # member counts, branches, scores, key persons + care dates, activities, two request lists,
    # VIP members, two revenue queries (the scores panel loads on its own request).
    with django_assert_max_num_queries(15):
        body = _detail(client)
    assert "华南物流集团" in body and "G-HQ-001" in body
    assert "华南物流深圳分公司" in body and "other region" in body  # branch in Shenzhen
    assert "王总" in body and "decision maker" in body
    assert "direct phone call" in body and "highly confidential mobile mailbox" in body
    assert 'id="member-count">2<' in body and 'id="vip-count">1<' in body
    assert "139****0001" in body  # the VIP line
    assert "年度拜访" in body and "发送方案" in body  # the timeline with its next step
    assert "专线中断" in body and "SLA breached" in body
    for placeholder in ("Score", "Lifecycle", "Solutions", "coming soon"):
        assert placeholder not in body


def test_branch_page_links_to_its_parent(world, portfolio, login):
    body = _detail(login(world.am_b), "G-BR-002")
    assert "Branch of" in body and reverse("accounts:detail", args=[HQ]) in body


def test_other_portfolio_is_a_404(world, portfolio, login):
    client = login(world.am_a2)
    assert client.get(reverse("accounts:detail", args=[HQ])).status_code == 404
    assert client.get(reverse("accounts:edit", args=[HQ])).status_code == 404
    assert client.post(reverse("accounts:activity_log", args=[HQ]), {}).status_code == 404


def test_read_only_team_member_sees_but_cannot_act(world, portfolio, login):
    AccountTeamMember.objects.create(
        account=portfolio["hq"], user=world.am_a2, team_role="solution_engineer"
    )
    client = login(world.am_a2)
    body = _detail(client)
    assert "Edit account" not in body and "Log an activity" not in body
    assert client.get(reverse("accounts:edit", args=[HQ])).status_code == 403
    assert client.post(reverse("accounts:key_person_add", args=[HQ]), {}).status_code == 403


# --- key persons ---------------------------------------------------------------------------


def _person_post(**over):  # type: ignore[no-untyped-def]
    data = {
        "name": "赵主任",
        "title": "信息中心主任",
        "department": "信息中心",
        "role": "it_lead",
        "influence": "4",
        "relationship": "2",
        "drivers": ["orderliness", "security"],
        "phone": "13800000000",
        "email": "zhao@example.com",
        "birthday_on": "1980-05-04",
        "care_notes": "",
        "care-TOTAL_FORMS": "2",
        "care-INITIAL_FORMS": "0",
        "care-MIN_NUM_FORMS": "0",
        "care-MAX_NUM_FORMS": "6",
        "care-0-occasion": "mid_autumn",
        "care-0-month": "9",
        "care-0-day": "15",
        "care-0-note": "",
    }
    data.update(over)
    return data


def test_add_key_person(world, portfolio, login):
    client = login(world.am_a)
    assert client.get(reverse("accounts:key_person_add", args=[HQ])).status_code == 200
    response = client.post(reverse("accounts:key_person_add", args=[HQ]), _person_post())
    assert response.status_code == 302
    person = KeyPerson.objects.get(name="赵主任")
    assert person.drivers == ["orderliness", "security"] and person.influence == 4
    assert [(c.occasion, c.month, c.day) for c in person.care_dates.all()] == [
        ("mid_autumn", 9, 15)
    ]
    assert person.history.first().history_user == world.am_a
    body = _detail(client)
    assert "赵主任" in body and "structured SMS notices" in body


def test_key_person_field_errors_are_inline_and_translated(world, portfolio, login):
    data = _person_post(
        name="",
        email="not-an-email",
        drivers=["power", "security", "image", "financial"],
        **{"care-0-month": "2", "care-0-day": "30"},
    )
    response = login(world.am_a, "zh-hans").post(
        reverse("accounts:key_person_add", args=[HQ]), data
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('class="errorlist"') >= 4
    assert "必填" in body  # in the user's language
    assert "最多记录三个" in body  # ours
    assert not KeyPerson.objects.filter(email="not-an-email").exists()


def test_edit_key_person_keeps_care_dates_editable(world, portfolio, login):
    client = login(world.am_a)
    boss = portfolio["boss"]
    url = reverse("accounts:key_person_edit", args=[HQ, boss.pk])
    assert "王总" in client.get(url).content.decode()
    response = client.post(url, _person_post(name="王总", role="decision_maker", relationship="5"))
    assert response.status_code == 302
    boss.refresh_from_db()
    assert boss.relationship == 5 and boss.care_dates.count() == 1


def test_mark_key_person_as_left(world, portfolio, login):
    client = login(world.am_a)
    boss = portfolio["boss"]
    today = timezone.localdate()
    response = client.post(
        reverse("accounts:key_person_left", args=[HQ, boss.pk]), {"left_on": today.isoformat()}
    )
    assert response.status_code == 302
    boss.refresh_from_db()
    assert boss.left_on == today
    body = _detail(client)
    assert "1 former key person" in body
    future = (today + dt.timedelta(days=3)).isoformat()
    follow = client.post(
        reverse("accounts:key_person_left", args=[HQ, portfolio["champion"].pk]),
        {"left_on": future},
        follow=True,
    )
    assert "The date cannot be in the future." in follow.content.decode()


# --- activities ----------------------------------------------------------------------------


def _activity_post(**over):  # type: ignore[no-untyped-def]
    data = {
        "kind": "meeting",
        "subject": "方案评审会",
        "occurred_on": timezone.localdate().isoformat(),
        "key_person": "",
        "outcome": "客户同意试点",
        "next_step": "提交报价",
        "next_step_on": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
    }
    data.update(over)
    return data


def test_log_activity_appears_on_the_timeline(world, portfolio, login):
    client = login(world.am_a)
    assert client.get(reverse("accounts:activity_log", args=[HQ])).status_code == 200
    data = _activity_post(key_person=str(portfolio["boss"].pk))
    response = client.post(reverse("accounts:activity_log", args=[HQ]), data)
    assert response.status_code == 302 and response["Location"].endswith("#activities")
    activity = Activity.objects.get(subject="方案评审会")
    assert activity.created_by == world.am_a and activity.key_person == portfolio["boss"]
    body = _detail(client)
    assert body.index("方案评审会") < body.index("年度拜访")  # newest first


def test_log_activity_with_htmx_returns_the_refreshed_panel(world, portfolio, login):
    response = login(world.am_a).post(
        reverse("accounts:activity_log", args=[HQ]), _activity_post(), HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'id="activity-panel"' in body and "方案评审会" in body
    assert "The activity was logged." in body


def test_activity_errors_inline(world, portfolio, login):
    client = login(world.am_a)
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    response = client.post(
        reverse("accounts:activity_log", args=[HQ]),
        _activity_post(occurred_on=future, subject="", next_step=""),
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "An activity cannot be logged for a future date." in body
    assert "Say what the next step is." in body
    assert "This field is required." in body
    # The service's own rule (next step before the activity) lands on its field.
    past = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    response = client.post(
        reverse("accounts:activity_log", args=[HQ]), _activity_post(next_step_on=past)
    )
    assert "The next step cannot be before the activity." in response.content.decode()
    assert not Activity.objects.filter(subject="方案评审会").exists()


# --- service requests ----------------------------------------------------------------------


def test_open_update_and_close_a_service_request(world, portfolio, login):
    client = login(world.am_a)
    assert client.get(reverse("accounts:sr_open", args=[HQ])).status_code == 200
    response = client.post(
        reverse("accounts:sr_open", args=[HQ]),
        {"kind": "request", "title": "新增专线", "severity": "high", "description": "两条"},
    )
    assert response.status_code == 302
    sr = ServiceRequest.objects.get(title="新增专线")
    assert sr.sla_due_at - sr.opened_at == dt.timedelta(hours=24)
    url = reverse("accounts:sr_update", args=[HQ, sr.pk])
    assert "新增专线" in client.get(url).content.decode()
    response = client.post(url, {"status": "in_progress", "severity": "critical", "resolution": ""})
    sr.refresh_from_db()
    assert sr.status == "in_progress" and sr.sla_due_at - sr.opened_at == dt.timedelta(hours=4)
    response = client.post(url, {"status": "resolved", "severity": "critical", "resolution": ""})
    assert response.status_code == 200 and "Say how it was resolved." in response.content.decode()
    response = client.post(
        url, {"status": "resolved", "severity": "critical", "resolution": "已开通"}
    )
    assert response.status_code == 302
    sr.refresh_from_db()
    assert sr.status == "resolved" and sr.resolved_at is not None
    assert "SLA met" in _detail(client)


def test_open_service_request_field_errors(world, portfolio, login):
    response = login(world.am_a).post(
        reverse("accounts:sr_open", args=[HQ]), {"kind": "rumour", "title": "", "severity": "high"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.count('class="errorlist"') == 2


# --- account edit and the optimistic lock ------------------------------------------------------


def _edit_post(account: Account, **over):  # type: ignore[no-untyped-def]
    data = {
        "version": str(account.version),
        "name": account.name,
        "credit_code": account.credit_code,
        "org_kind": account.org_kind,
        "industry": account.industry,
        "size_band": account.size_band,
        "status": account.status,
        "joined_on": "2022-01-01",
        "contract_end": "",
        "parent": "",
    }
    data.update(over)
    return data


def test_edit_account(world, portfolio, login):
    client = login(world.am_a)
    body = client.get(reverse("accounts:edit", args=[HQ])).content.decode()
    assert 'name="version"' in body and 'name="owner"' not in body
    account = portfolio["hq"]
    response = client.post(
        reverse("accounts:edit", args=[HQ]), _edit_post(account, name="华南物流集团股份")
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "华南物流集团股份" and account.version == 2


def test_edit_errors_inline(world, portfolio, login):
    account = portfolio["hq"]
    response = login(world.am_a).post(
        reverse("accounts:edit", args=[HQ]),
        _edit_post(
            account, credit_code="91440101MA59XXXXX1", parent="NOPE", contract_end="2020-01-01"
        ),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Unknown account." in body
    account.refresh_from_db()
    assert account.version == 1
    response = login(world.am_a).post(
        reverse("accounts:edit", args=[HQ]),
        _edit_post(account, credit_code="91440101MA59XXXXX1"),
    )
    assert (
        "GB 32100-2015" in response.content.decode() or "18 characters" in response.content.decode()
    )


def test_optimistic_lock_conflict_keeps_input_and_can_be_resolved(world, portfolio, login):
    account = portfolio["hq"]
    mine = login(world.am_a)
    theirs = login(world.rm_a)
    stale = _edit_post(account, name="我的名称", status="churned")
    # The regional manager saves first.
    other = _edit_post(account, name="经理改的名称", owner="am_gz", region="GZ-TH")
    assert theirs.post(reverse("accounts:edit", args=[HQ]), other).status_code == 302
    response = mine.post(reverse("accounts:edit", args=[HQ]), stale)
    body = response.content.decode()
    assert response.status_code == 200 and 'id="conflict"' in body
    assert "Someone else saved this account" in body and "now version 2" in body
    assert 'value="我的名称"' in body  # the user's input is kept
    assert "经理改的名称" in body  # and what is saved now is shown
    assert 'name="version" value="2"' in body
    account.refresh_from_db()
    assert account.name == "经理改的名称"
    # Saving again deliberately applies the user's version.
    response = mine.post(reverse("accounts:edit", args=[HQ]), {**stale, "version": "2"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "我的名称" and account.status == "churned" and account.version == 3


def test_manager_edit_can_move_owner_and_region(world, portfolio, login):
    client = login(world.rm_a)
    account = portfolio["hq"]
    body = client.get(reverse("accounts:edit", args=[HQ])).content.decode()
    assert 'name="owner"' in body
    response = client.post(
        reverse("accounts:edit", args=[HQ]), _edit_post(account, owner="am_gz2", region="GZ")
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.owner == world.am_a2 and account.region == world.city_a
