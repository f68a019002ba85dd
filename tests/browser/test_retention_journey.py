"""The retention journey in a real browser, in Chinese and in English: an account manager opens the
retention desk, opens the overdue task, records an action and closes the task with an outcome; the
account page's lifecycle timeline draws; a regional manager opens the stage migration matrix and
drills into a cell."""

from __future__ import annotations

import json
from typing import Any

import pytest

from billing import services as billing_services
from billing.tests.helpers import body, ensure_catalogue, record
from lifecycle.models import RetentionAction, RetentionTask
from lifecycle.tests.conftest import scene  # noqa: F401  (the lifecycle scenario fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


TEXT = {
    "zh-CN": {
        "desk": "客户保有工作台",
        "evidence": "近三月收入 8,200，前三月 12,000：−32 %",
        "question": "如何延长客户生命周期？",
        "recorded": "跟进记录已保存。",
        "closed": "任务已关闭。",
        "outcome": "已挽留",
        "overview": "生命周期概览",
        "drill": "从 C 成熟期 到 D 衰退期",
        "panel": "生命周期、流失预警与客户保有",
    },
    "en-US": {
        "desk": "Retention desk",
        "evidence": "revenue m1–m3 8,200 vs 12,000 before: −32 %",
        "question": "How to extend the lifecycle?",
        "recorded": "The action was recorded.",
        "closed": "The task was closed.",
        "outcome": "retained",
        "overview": "Lifecycle overview",
        "drill": "From C mature to D decline",
        "panel": "Stages, churn warnings and retention",
    },
}

PAINTED = """(id) => {
  const canvas = document.getElementById(id);
  if (!canvas || !window.Chart || !window.Chart.getChart(canvas)) return [-1, 0];
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
  return [painted, canvas.width * canvas.height];
}"""


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pass-word-123")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/")


def _painted(page: Any, canvas_id: str) -> tuple[int, int]:
    """Poll from Python: a predicate string would be eval'd in the page, which the CSP forbids."""
    for _attempt in range(50):
        painted, area = page.evaluate(PAINTED, canvas_id)
        if painted > 0:
            return painted, area
        page.wait_for_timeout(100)
    return painted, area


def _bill(world: Any, account: Any) -> None:
    ensure_catalogue()
    records = [
        record(account.code, period=f"2026-{m:02d}", amount=str(amount))
        for m, amount in zip(
            range(1, 11), [4000, 4000, 4100, 4000, 4000, 4000, 4000, 2800, 2700, 2700], strict=True
        )
    ]
    raw = body(records)
    billing_services.batch_ingest(
        client=world.billing, idempotency_key="journey", body=raw,
        records=json.loads(raw)["records"],
    )  # fmt: skip


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_retention_journey(live_server, open_page, scene, locale):  # type: ignore[no-untyped-def]  # noqa: F811
    text = TEXT[locale]
    lang = "zh" if locale == "zh-CN" else "en"
    base = live_server.url
    _bill(scene.world, scene.high)

    w = open_page(f"retention-{lang}", locale)
    page = w.page
    _login(page, base, "am_gz")
    page.click(f"nav.mainnav >> text={text['desk']}")
    page.wait_for_selector("#desk")
    assert text["desk"] in page.locator("h1").inner_text()
    first = page.locator("#desk tbody tr").first
    assert first.get_attribute("data-account") == scene.high.code
    assert text["evidence"] in first.inner_text()
    w.shot("desk")

    first.locator("a[href*='/lifecycle/tasks/']").click()
    page.wait_for_selector("#task-play")
    assert text["question"] in page.locator("#task-play").inner_text()
    page.fill("#action_done_on", "2026-11-18")
    page.fill("#action_note", "上门拜访信息部负责人")
    page.click("#action-form button[type=submit]")
    page.wait_for_selector(".msg.success")
    assert text["recorded"] in page.locator(".messages").inner_text()
    assert "上门拜访信息部负责人" in page.locator("#task-actions").inner_text()
    page.select_option("#close_outcome", "retained")
    page.fill("#close_note", "续签两年")
    page.click("#close-form button[type=submit]")
    page.wait_for_selector("#task-outcome")
    assert text["closed"] in page.locator(".messages").inner_text()
    assert text["outcome"] in page.locator("#task-outcome").inner_text()
    w.shot("task")
    task = RetentionTask.objects.get(pk=scene.task.pk)
    assert task.status == "closed" and task.outcome == "retained"
    assert RetentionAction.objects.filter(task=task).count() == 1

    # The account page: the lifecycle section arrives by htmx and its timeline draws.
    page.goto(f"{base}/accounts/{scene.high.code}/")
    page.wait_for_selector("#lc-timeline")
    assert text["panel"] in page.locator("#lifecycle-panel h2").inner_text()
    painted, area = _painted(page, "lc-timeline")
    assert painted > area * 0.03
    stages = page.evaluate(
        "() => window.Chart.getChart(document.getElementById('lc-timeline')).data.labels"
    )
    assert stages[-1][1] == "D" and stages[-2][1] == "C" and stages[0][1] == "–", stages
    page.locator("#lifecycle-panel").scroll_into_view_if_needed()
    w.shot("account")

    # The regional manager: the migration matrix, then one of its cells.
    rm = open_page(f"migration-{lang}", locale)
    _login(rm.page, base, "rm_gz")
    rm.page.click("nav.mainnav a[href='/lifecycle/overview/']")
    rm.page.wait_for_selector("#migration-matrix")
    assert text["overview"] in rm.page.locator("h1").inner_text()
    rm.shot("matrix")
    rm.page.click("#migration-matrix td[data-from='C'][data-to='D'] a")
    rm.page.wait_for_selector("#drill")
    assert text["drill"] in rm.page.locator("h1").inner_text()
    codes = rm.page.locator("#drill tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.account)"
    )
    assert codes == [scene.high.code]
    rm.shot("drill")
