from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from html import unescape

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import Account
from core.models import JobRun
from segmentation import services
from segmentation.models import (
    AccountScore,
    ClassOverride,
    IndicatorSnapshot,
    ScoreMonthlySummary,
    ScoreResult,
)

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture
def population(world, account_factory):
    """Ten GZ accounts with distinct revenue (1..10) and one SZ account; ranks over all 11."""
    accounts = []
    for i in range(10):
        accounts.append(
            account_factory(code=f"GZ{i:03d}", owner=world.am_a, region=world.district_a1)
        )
    sz = account_factory(code="SZ000", owner=world.am_b, region=world.city_b, size_band="large")
    for i, account in enumerate(accounts):
        IndicatorSnapshot.objects.create(
            account=account,
            measured_on=AS_OF,
            source="survey",
            revenue=float(i + 1),
            headcount=float(i + 1),
            it_awareness=5,
            standards_participation=1,
        )
    IndicatorSnapshot.objects.create(
        account=sz, measured_on=AS_OF, source="survey", revenue=100.0, it_awareness=1
    )
    return accounts, sz


def test_run_nightly_command_scores_and_is_idempotent(population, capsys):
    call_command("run_nightly", "--only", "segmentation", "--as-of", "2026-06-30", "--no-progress")
    assert ScoreResult.objects.filter(as_of=AS_OF).count() == 11
    top = ScoreResult.objects.get(account__code="GZ009")
    assert top.revenue_points == 5  # r = 10 of n = 11: 1 + (5·9) div 10 = 5
    assert ScoreResult.objects.get(account__code="GZ000").revenue_points == 1
    call_command("run_nightly", "--only", "segmentation", "--as-of", "2026-06-30", "--no-progress")
    assert ScoreResult.objects.filter(as_of=AS_OF).count() == 11
    runs = JobRun.objects.filter(job="segmentation", status="succeeded")
    assert runs.count() == 2 and all(r.rows == 11 and r.total == 11 for r in runs)
    assert "segmentation 2026-06-30 succeeded: 11 rows" in capsys.readouterr().out


def test_churned_account_keeps_its_last_scores(population):
    accounts, _sz = population
    services.scoring_run(as_of=AS_OF)
    Account.objects.filter(pk=accounts[0].pk).update(status="churned")
    services.scoring_run(as_of=AS_OF + dt.timedelta(days=1))
    assert not ScoreResult.objects.filter(account=accounts[0], as_of=AS_OF + dt.timedelta(days=1))
    assert AccountScore.objects.get(account=accounts[0]).as_of == AS_OF
    assert ScoreResult.objects.filter(as_of=AS_OF + dt.timedelta(days=1)).count() == 10


def test_api_account_resource_has_scores_and_filters(world, api, population):
    services.scoring_run(as_of=AS_OF)
    client = api(world.hq)
    body = client.get("/api/v1/accounts/?value_class=clustered_sme").json()
    codes = {row["code"] for row in body["results"]}
    expected = set(
        ScoreResult.objects.filter(value_class="clustered_sme").values_list(
            "account__code", flat=True
        )
    )
    # SZ000 is large, but it has scores (economic 3.00 = mean of scale 5 and IT attitude 1), so the
    # rule decides, not the size-band fallback.
    assert codes == expected and "SZ000" in codes
    detail = client.get("/api/v1/accounts/GZ009/").json()
    assert detail["scores"]["scored_on"] == "2026-06-30"
    assert detail["segment_score"] is not None
    high = client.get("/api/v1/accounts/?segment_score_min=3").json()["results"]
    assert high and all(Decimal(r["segment_score"]) >= 3 for r in high)
    assert {r["code"] for r in high} < {
        r["code"] for r in client.get("/api/v1/accounts/").json()["results"]
    }
    # Account managers see only their own accounts' scores.
    mine = api(world.am_b).get("/api/v1/accounts/").json()["results"]
    assert [r["code"] for r in mine] == ["SZ000"]


def test_api_indicators_post_and_list(world, api, population):
    client = api(world.am_a)
    payload = {
        "measured_on": "2026-07-01",
        "source": "account_manager",
        "revenue": -0.5,
        "it_awareness": 4,
    }
    response = client.post("/api/v1/accounts/GZ001/indicators/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["revenue"] == -0.5
    bad = client.post(
        "/api/v1/accounts/GZ001/indicators/", {**payload, "it_awareness": 7}, format="json"
    )
    assert bad.status_code == 400 and "it_awareness" in bad.json()["error"]["fields"]
    listed = client.get("/api/v1/accounts/GZ001/indicators/").json()["results"]
    assert [r["measured_on"] for r in listed] == ["2026-07-01", "2026-06-30"]
    # Another portfolio: 404, never 403.
    assert api(world.am_b).get("/api/v1/accounts/GZ001/indicators/").status_code == 404
    assert (
        api(world.am_b)
        .post("/api/v1/accounts/GZ001/indicators/", payload, format="json")
        .status_code
        == 404
    )


def test_override_survives_recomputation_and_is_audited(world, api, population):
    services.scoring_run(as_of=AS_OF)
    client = api(world.rm_a)
    response = client.put(
        "/api/v1/accounts/GZ000/class-override/",
        {"value_class": "economic", "reason": "省级重点项目"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["value_class"] == "economic"
    assert response.json()["computed_class"] != "economic"
    services.scoring_run(as_of=AS_OF + dt.timedelta(days=1))
    detail = client.get("/api/v1/accounts/GZ000/").json()
    assert detail["value_class"] == "economic" and detail["class_overridden"] is True
    assert detail["scores"]["class_override"]["reason"] == "省级重点项目"
    filtered = client.get("/api/v1/accounts/?value_class=economic").json()["results"]
    assert "GZ000" in {r["code"] for r in filtered}
    # Account managers may not override; the other region's manager cannot even see it.
    assert (
        api(world.am_a)
        .put(
            "/api/v1/accounts/GZ000/class-override/",
            {"value_class": "social", "reason": "x"},
            format="json",
        )
        .status_code
        == 403
    )
    assert api(world.rm_b).delete("/api/v1/accounts/GZ000/class-override/").status_code == 404
    assert client.delete("/api/v1/accounts/GZ000/class-override/").status_code == 204
    assert not ClassOverride.objects.exists()
    history = ClassOverride.history.filter(account_id=Account.objects.get(code="GZ000").pk)
    assert [h.history_type for h in history.order_by("history_date")] == ["+", "-"]
    assert all(h.history_user == world.rm_a for h in history)


def test_score_history_and_monthly_summary(world, api, population, settings):
    settings.SEGMENTATION = {**settings.SEGMENTATION, "HISTORY_HORIZON_DAYS": 30}
    for day in (dt.date(2026, 3, 10), dt.date(2026, 3, 20), dt.date(2026, 6, 1)):
        services.scoring_run(as_of=day)
    # The June run summarises March (older than 30 days, whole month): one row per account.
    assert ScoreMonthlySummary.objects.filter(month_on=dt.date(2026, 3, 1), runs=2).count() == 11
    assert not ScoreResult.objects.filter(as_of__lt=dt.date(2026, 4, 1)).exists()
    body = api(world.am_a).get("/api/v1/accounts/GZ005/scores/").json()
    assert [(e["kind"], e["on"]) for e in body] == [("run", "2026-06-01"), ("month", "2026-03-01")]
    assert body[1]["runs"] == 2


def test_hq_starts_a_run_from_the_api(world, api, population, django_capture_on_commit_callbacks):
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = api(world.hq).post(
                "/api/v1/segmentation/runs/", {"as_of": "2026-06-30"}, format="json"
            )
    finally:
        app.conf.task_always_eager = app.conf.get(
            "CELERY_TASK_ALWAYS_EAGER", app.conf.task_always_eager
        )
    assert response.status_code == 202
    run = JobRun.objects.get(job="segmentation")
    assert run.status == "succeeded" and run.rows == 11
    runs = api(world.hq).get(f"/api/v1/segmentation/runs/{run.pk}/").json()
    assert runs["rows"] == 11
    assert api(world.rm_a).post("/api/v1/segmentation/runs/", {}, format="json").status_code == 403


def test_billing_client_sees_no_scores(world, api, population):
    from conftest import client_for

    client = client_for(None, key=world.billing_key)
    assert client.get("/api/v1/accounts/GZ001/scores/").status_code in (401, 403)


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_overview_page_per_region_and_export(world, population):
    services.scoring_run(as_of=AS_OF)
    Account.objects.filter(code="GZ000").update(org_kind="government")
    services.scoring_run(as_of=AS_OF + dt.timedelta(days=1))
    page = _login(world.rm_a).get(reverse("segmentation:overview"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "GZ000" in html  # changed class: now social
    assert "SZ000" not in html
    export = _login(world.rm_a).get(reverse("segmentation:export"))
    body = b"".join(export.streaming_content).decode()
    assert "GZ005" in body and "SZ000" not in body
    hq_page = _login(world.hq).get(reverse("segmentation:overview")).content.decode()
    assert "Run scoring now" in hq_page or "立即运行评分" in hq_page


def test_account_page_loads_the_scores_panel(world, population):
    services.scoring_run(as_of=AS_OF)
    client = _login(world.rm_a)
    page = client.get(reverse("accounts:detail", args=["GZ004"])).content.decode()
    assert reverse("segmentation:account_panel", args=["GZ004"]) in page
    html = client.get(reverse("segmentation:account_panel", args=["GZ004"])).content.decode()
    assert 'data-indicator="revenue"' in html
    assert 'id="override-form"' in html
    # No <script> at all: htmx drops them from swapped content (allowScriptTags is off), so the
    # chart data is an attribute, JSON that the browser unescapes.
    assert "<script" not in html
    holder = re.search(r'id="seg-charts" data-radar="([^"]+)"', html)
    assert holder is not None
    radar = json.loads(unescape(holder.group(1)))
    assert len(radar["labels"]) == 5 and len(radar["values"]) == 5
    # The account manager sees the panel without the override form; another portfolio: 404.
    own = _login(world.am_a).get(reverse("segmentation:account_panel", args=["GZ004"]))
    assert own.status_code == 200 and 'id="override-form"' not in own.content.decode()
    assert (
        _login(world.am_b).get(reverse("segmentation:account_panel", args=["GZ004"])).status_code
        == 404
    )


def test_indicator_form_page(world, population):
    client = _login(world.am_a)
    url = reverse("segmentation:indicator_add", args=["GZ002"])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "measured_on": "2026-07-02",
            "source": "account_manager",
            "revenue": "12.5",
            "it_importance": "4",
        },
    )
    assert response.status_code == 302
    snap = IndicatorSnapshot.objects.get(account__code="GZ002", measured_on=dt.date(2026, 7, 2))
    assert snap.revenue == 12.5 and snap.it_importance == 4 and snap.headcount is None
    assert _login(world.am_b).get(url).status_code == 404


def test_import_dry_run_and_confirm(world, population):
    client = _login(world.am_a)
    csv_text = (
        "code,measured_on,revenue,it_awareness\n"
        "GZ001,2026-07-05,1000,5\n"
        "GZ002,2026-07-05,abc,9\n"
        "SZ000,2026-07-05,1,1\n"
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("ind.csv", csv_text.encode("gbk"), content_type="text/csv")
    page = client.post(reverse("segmentation:import"), {"file": upload}).content.decode()
    assert 'id="problem-count"' in page
    assert IndicatorSnapshot.objects.filter(measured_on=dt.date(2026, 7, 5)).count() == 0
    good = SimpleUploadedFile(
        "ind.csv",
        b"code,measured_on,revenue\nGZ001,2026-07-05,1000\n",
        content_type="text/csv",
    )
    page = client.post(reverse("segmentation:import"), {"file": good})
    token = page.context["token"]
    client.post(reverse("segmentation:import_confirm"), {"token": token})
    snap = IndicatorSnapshot.objects.get(measured_on=dt.date(2026, 7, 5))
    assert snap.source == "import" and snap.revenue == 1000


def test_a_deleted_snapshot_leaves_the_scores_and_their_points(world, population):
    """ScoreResult keeps the id of the snapshot it came from without a database constraint
    (migration 0002): deleting the snapshot leaves the history intact and the panel working."""
    accounts, _sz = population
    services.scoring_run(as_of=AS_OF)
    account = accounts[4]
    IndicatorSnapshot.objects.filter(account=account).delete()
    result = ScoreResult.objects.select_related("snapshot").get(account=account, as_of=AS_OF)
    assert result.snapshot is None and result.snapshot_id is not None
    assert result.revenue_points is not None
    response = _login(world.rm_a).get(reverse("segmentation:account_panel", args=[account.code]))
    assert response.status_code == 200
    assert 'data-indicator="revenue"' in response.content.decode()
