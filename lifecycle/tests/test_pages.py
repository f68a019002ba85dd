"""Page tests: status, key text, field errors, permissions and bounded query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from core.models import Notification
from lifecycle.models import RetentionAction, RetentionTask
from lifecycle.tests.factories import NotificationFactory, RetentionTaskFactory

pytestmark = pytest.mark.django_db


def login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


# --- desk ------------------------------------------------------------------------------------


def test_desk_lists_my_flagged_accounts_high_risk_first_with_evidence(
    scene, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    client = login(scene.world.am_a)
    # 8, and on PostgreSQL 2 more: the desk read's planner setting and its reset (core.planner).
    with django_assert_max_num_queries(10):
        response = client.get(reverse("lifecycle:desk"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(scene.high.name) < html.index(scene.medium.name)
    assert scene.calm.name not in html  # no open flag, no open task
    assert scene.foreign.name not in html  # another portfolio
    assert "revenue m1–m3 8,200 vs 12,000 before: −32 %" in html
    assert "member lines 45 vs 60 three months before: −25 %" in html
    assert "overdue" in html
    assert reverse("lifecycle:task", args=[scene.task.pk]) in html


def test_desk_filters(scene):  # type: ignore[no-untyped-def]
    client = login(scene.world.am_a)
    html = client.get(reverse("lifecycle:desk"), {"risk": "medium"}).content.decode()
    assert scene.medium.name in html and scene.high.name not in html
    html = client.get(reverse("lifecycle:desk"), {"overdue": "on"}).content.decode()
    assert scene.high.name in html and scene.medium.name not in html
    html = client.get(reverse("lifecycle:desk"), {"flag": "contract_expiring"}).content.decode()
    assert scene.medium.name in html and scene.high.name not in html
    html = client.get(reverse("lifecycle:desk"), {"stage": "C"}).content.decode()
    assert scene.medium.name in html and scene.high.name not in html


def test_desk_rm_sees_region_with_owner_filter_and_hq_sees_all(scene):  # type: ignore[no-untyped-def]
    html = login(scene.world.rm_a).get(reverse("lifecycle:desk")).content.decode()
    assert scene.high.name in html and scene.foreign.name not in html
    assert 'name="owner"' in html
    html = (
        login(scene.world.rm_a)
        .get(reverse("lifecycle:desk"), {"owner": scene.world.am_a2.pk})
        .content.decode()
    )
    assert scene.high.name not in html
    html = login(scene.world.hq).get(reverse("lifecycle:desk")).content.decode()
    assert scene.high.name in html and scene.foreign.name in html
    assert 'name="owner"' in html


def test_desk_open_task_without_flags_stays_on_the_desk(scene):  # type: ignore[no-untyped-def]
    scene.calm.churn_flags.all().delete()
    RetentionTaskFactory(account=scene.calm, stage="B")
    html = login(scene.world.am_a).get(reverse("lifecycle:desk")).content.decode()
    assert scene.calm.name in html


def test_desk_export_csv_and_xlsx_are_formula_safe(scene):  # type: ignore[no-untyped-def]
    scene.high.name = "=HYPERLINK(1)"
    scene.high.save()
    client = login(scene.world.am_a)
    response = client.get(reverse("lifecycle:desk_export"))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in body and scene.medium.code in body
    assert scene.foreign.code not in body
    response = client.get(reverse("lifecycle:desk_export"), {"format": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(response.content)).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "'=HYPERLINK(1)" in values


def test_desk_refuses_anonymous_and_billing(scene):  # type: ignore[no-untyped-def]
    response = Client().get(reverse("lifecycle:desk"))
    assert response.status_code == 302
    assert login(scene.world.billing).get(reverse("lifecycle:desk")).status_code == 403


# --- task page and forms ---------------------------------------------------------------------


def test_task_page_shows_play_flags_and_history(scene, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    client = login(scene.world.am_a)
    with django_assert_max_num_queries(10):
        response = client.get(
            reverse("lifecycle:task", args=[scene.task.pk]), HTTP_ACCEPT_LANGUAGE="en"
        )
    html = response.content.decode()
    assert response.status_code == 200
    assert "How to extend the lifecycle?" in html
    assert "revenue m1–m3 8,200 vs 12,000 before: −32 %" in html
    assert 'id="action-form"' in html and 'id="close-form"' in html
    assert "Audit history" in html


def test_task_page_finds_the_evidence_of_code_only_flags(scene):  # type: ignore[no-untyped-def]
    """The nightly step stores the codes of the flags at opening; the page shows their evidence."""
    scene.task.flags = ["member_drop", "revenue_drop"]
    scene.task.save()
    html = (
        login(scene.world.am_a)
        .get(reverse("lifecycle:task", args=[scene.task.pk]), HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "member lines 45 vs 60 three months before: −25 %" in html
    assert "revenue m1–m3 8,200 vs 12,000 before: −32 %" in html


def test_task_of_another_portfolio_is_404(scene):  # type: ignore[no-untyped-def]
    client = login(scene.world.am_a)
    url = reverse("lifecycle:task", args=[scene.foreign_task.pk])
    assert client.get(url).status_code == 404
    post = {"done_on": "2026-11-18", "note": "x"}
    assert (
        client.post(
            reverse("lifecycle:task_action", args=[scene.foreign_task.pk]), post
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("lifecycle:task_close", args=[scene.foreign_task.pk]),
            {"outcome": "lost", "note": "x"},
        ).status_code
        == 404
    )


def test_record_action_and_close(scene):  # type: ignore[no-untyped-def]
    client = login(scene.world.am_a)
    response = client.post(
        reverse("lifecycle:task_action", args=[scene.task.pk]),
        {"done_on": "2026-11-18", "note": "拜访信息部"},
    )
    assert response.status_code == 302
    assert RetentionAction.objects.get(task=scene.task).note == "拜访信息部"
    response = client.post(
        reverse("lifecycle:task_close", args=[scene.task.pk]),
        {"outcome": "retained", "note": "续约"},
    )
    assert response.status_code == 302
    scene.task.refresh_from_db()
    assert scene.task.status == "closed" and scene.task.outcome == "retained"
    assert scene.task.closed_by == scene.world.am_a
    html = client.get(
        reverse("lifecycle:task", args=[scene.task.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "拜访信息部" in html and 'id="close-form"' not in html
    assert html.count("<tr><td>") >= 3  # opened, action recorded, closed


def test_action_form_errors_inline(scene):  # type: ignore[no-untyped-def]
    client = login(scene.world.am_a)
    url = reverse("lifecycle:task_action", args=[scene.task.pk])
    response = client.post(url, {"done_on": "2026-12-30", "note": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html
    response = client.post(url, {"done_on": "2026-12-30", "note": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "The date cannot be in the future." in response.content.decode()
    assert not RetentionAction.objects.exists()


def test_close_form_errors_inline(scene):  # type: ignore[no-untyped-def]
    client = login(scene.world.am_a)
    url = reverse("lifecycle:task_close", args=[scene.task.pk])
    response = client.post(url, {"outcome": "maybe", "note": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Select a valid choice." in html and "This field is required." in html
    scene.task.refresh_from_db()
    assert scene.task.status == "open"


def test_reader_cannot_act(scene):  # type: ignore[no-untyped-def]
    from accounts.tests.factories import TeamMemberFactory

    TeamMemberFactory(account=scene.high, user=scene.world.am_a2)
    client = login(scene.world.am_a2)
    assert client.get(reverse("lifecycle:task", args=[scene.task.pk])).status_code == 200
    response = client.post(
        reverse("lifecycle:task_action", args=[scene.task.pk]),
        {"done_on": "2026-11-18", "note": "x"},
    )
    assert response.status_code == 403


def test_regional_manager_can_act(scene):  # type: ignore[no-untyped-def]
    response = login(scene.world.rm_a).post(
        reverse("lifecycle:task_close", args=[scene.task.pk]),
        {"outcome": "false_alarm", "note": "季节性波动"},
    )
    assert response.status_code == 302
    assert RetentionTask.objects.get(pk=scene.task.pk).outcome == "false_alarm"


# --- account page section --------------------------------------------------------------------


def test_account_page_includes_the_lazy_panel(scene):  # type: ignore[no-untyped-def]
    html = (
        login(scene.world.am_a)
        .get(reverse("accounts:detail", args=[scene.high.code]))
        .content.decode()
    )
    assert reverse("lifecycle:account_panel", args=[scene.high.code]) in html


def test_account_panel(scene, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    from accounts.tests.factories import UserFactory
    from lifecycle.models import Campaign, CampaignCall

    campaign = Campaign.objects.create(
        name="关怀回访", kind="retention_care", region=scene.world.city_a,
        starts_on=dt.date(2026, 11, 1), ends_on=dt.date(2026, 11, 30), created_by=scene.world.rm_a,
    )  # fmt: skip
    CampaignCall.objects.create(
        campaign=campaign, account=scene.high, caller=UserFactory(), issue_raised="资费偏高"
    )
    client = login(scene.world.am_a)
    url = reverse("lifecycle:account_panel", args=[scene.high.code])
    with django_assert_max_num_queries(10):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "D decline" in html and "How to extend the lifecycle?" in html
    assert "revenue m1–m3 8,200 vs 12,000 before: −32 %" in html
    assert "关怀回访" in html and "资费偏高" in html
    assert 'data-lifecycle-chart="{&quot;labels&quot;' in html and "<script" not in html
    assert reverse("lifecycle:task", args=[scene.task.pk]) in html
    calm = (
        login(scene.world.am_a)
        .get(reverse("lifecycle:account_panel", args=[scene.calm.code]), HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "Flags cleared recently" in calm and "no activity since 2026-04-01" in calm
    foreign = reverse("lifecycle:account_panel", args=[scene.foreign.code])
    assert client.get(foreign).status_code == 404


# --- overview, matrix, drill -----------------------------------------------------------------


def test_overview_for_regional_manager(scene, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    client = login(scene.world.rm_a)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("lifecycle:overview"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="migration-matrix"' in html
    assert "Stage migration in 2026-10" in html
    drill = (
        reverse("lifecycle:drill")
        + "?region=GZ&amp;month=2026-10-01&amp;from_stage=C&amp;to_stage=D"
    )
    assert drill in html
    assert scene.high.name in html  # overdue task of the region, with its owner
    assert scene.world.am_a.label in html
    assert scene.foreign.name not in html


def test_matrix_sums_over_the_subtree_only(scene):  # type: ignore[no-untyped-def]
    from lifecycle import selectors

    matrix = selectors.migration_matrix(region=scene.world.city_a, month_on=dt.date(2026, 10, 1))
    cells = {(r["from"], c["to"]): c["accounts"] for r in matrix.rows for c in r["cells"]}
    assert cells[("C", "D")] == 1 and cells[("B", "B")] == 1 and matrix.total == 3
    everything = selectors.migration_matrix(region=None, month_on=dt.date(2026, 10, 1))
    assert everything.total == 4


def test_overview_is_for_managers_only(scene):  # type: ignore[no-untyped-def]
    assert login(scene.world.am_a).get(reverse("lifecycle:overview")).status_code == 403
    assert login(scene.world.hq).get(reverse("lifecycle:overview")).status_code == 200
    # a region outside the manager's subtree
    assert (
        login(scene.world.rm_a).get(reverse("lifecycle:overview"), {"region": "SZ"}).status_code
        == 404
    )


def test_drill_lists_the_accounts_of_the_cell(scene, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    client = login(scene.world.rm_a)
    params = {"region": "GZ", "month": "2026-10-01", "from_stage": "C", "to_stage": "D"}
    with django_assert_max_num_queries(8):
        response = client.get(reverse("lifecycle:drill"), params, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert scene.high.name in html and scene.medium.name not in html
    assert scene.foreign.name not in html
    diag = client.get(reverse("lifecycle:drill"), {**params, "to_stage": "C"}).content.decode()
    assert scene.medium.name in diag and scene.high.name not in diag
    hq = (
        login(scene.world.hq)
        .get(reverse("lifecycle:drill"), {**params, "region": ""})
        .content.decode()
    )
    assert scene.high.name in hq and scene.foreign.name in hq
    assert client.get(reverse("lifecycle:drill"), {"month": "x"}).status_code == 400


def test_matrix_export(scene):  # type: ignore[no-untyped-def]
    response = login(scene.world.rm_a).get(
        reverse("lifecycle:matrix_export"), {"month": "2026-10-01"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("from stage")
    row_c = next(line for line in lines if line.startswith("C mature"))
    assert row_c.split(",")[1:6] == ["0", "0", "1", "1", "0"]
    assert login(scene.world.am_a).get(reverse("lifecycle:matrix_export")).status_code == 403


# --- home and notifications ------------------------------------------------------------------


def test_home_shows_overdue_tasks_and_unread_count(scene):  # type: ignore[no-untyped-def]
    NotificationFactory(recipient=scene.world.am_a, account=scene.high)
    html = login(scene.world.am_a).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="retention-overdue"' in html and scene.high.name in html
    assert "1 unread notification" in html
    rm = login(scene.world.rm_a).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert scene.high.name in rm and scene.world.am_a.label in rm


def test_notifications_page_renders_in_the_readers_language(scene, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    NotificationFactory(recipient=scene.world.am_a, account=scene.high)
    NotificationFactory(
        recipient=scene.world.am_a, account=scene.high, kind=Notification.Kind.TASK_OVERDUE,
        url="javascript:alert(1)",
    )  # fmt: skip
    NotificationFactory(recipient=scene.world.am_b, account=scene.foreign)
    client = login(scene.world.am_a)
    with django_assert_max_num_queries(6):
        html = client.get(reverse("notifications"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"New high churn risk: {scene.high.name} ({scene.high.code}) — revenue drop" in html
    assert "Retention task overdue since 2026-11-15" in html
    assert "javascript:" not in html
    assert scene.foreign.name not in html
    zh = client.get(reverse("notifications"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "流失风险" in zh


def test_mark_read_and_all_read(scene):  # type: ignore[no-untyped-def]
    mine = NotificationFactory(recipient=scene.world.am_a, account=scene.high)
    other = NotificationFactory(recipient=scene.world.am_a, account=scene.high)
    theirs = NotificationFactory(recipient=scene.world.am_b, account=scene.foreign)
    client = login(scene.world.am_a)
    assert client.get(reverse("notifications_badge")).content.decode().count("2") == 1
    assert client.post(reverse("notification_read", args=[mine.pk])).status_code == 302
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert client.post(reverse("notification_read", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notifications_read_all")).status_code == 302
    other.refresh_from_db()
    theirs.refresh_from_db()
    assert other.read_at is not None and theirs.read_at is None
    assert "badge" not in client.get(reverse("notifications_badge")).content.decode()


def test_stage_distribution_reads_the_matrix_and_matches_a_live_count(scene):  # type: ignore[no-untyped-def]
    from lifecycle import nightly, selectors
    from lifecycle.models import AccountLifecycle

    # The summary as the night writes it for the scene's states (replacing the factory cells).
    nightly.refresh_stage_migration(as_of=dt.date(2026, 10, 15))
    region = scene.world.city_a
    matrix = selectors.migration_matrix(region=region, month_on=dt.date(2026, 10, 1))
    from_matrix = selectors.stage_distribution(user=scene.world.rm_a, region=region, matrix=matrix)
    live = selectors.stage_distribution(user=scene.world.rm_a, region=region)
    assert from_matrix == live
    counted = AccountLifecycle.objects.filter(account__region__path__startswith=region.path)
    assert sum(d["accounts"] for d in from_matrix) == counted.exclude(stage=None).count() == 3
    # The matrix is what the page shows, under the month it is for.
    html = login(scene.world.rm_a).get(reverse("lifecycle:overview")).content.decode()
    assert "2026-10" in html.split('id="stage-distribution"')[1].split("</h2>")[0]
