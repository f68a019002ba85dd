"""The segmentation charts really draw, in Chinese and in English: the radar and history charts of
an account's scores panel (loaded by htmx after the page) and the overview's score distribution.
"Draws" means Chart.js owns the canvas and the canvas has a substantial number of painted pixels
in more than one colour, not just that a <canvas> element exists."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accounts.tests.factories import AccountFactory
from segmentation import services
from segmentation.models import IndicatorSnapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST, SECOND = dt.date(2026, 5, 31), dt.date(2026, 6, 30)

TEXT = {
    "zh-CN": {
        "panel": "客户细分与价值",
        "radar": [
            "第一步：规模",
            "第二步：信息化投入",
            "第三步：信息化复杂度",
            "经济价值",
            "社会价值",
        ],
        "overview": "客户细分与价值分类",
        "histogram": "细分得分分布",
        "economic": "名利双收型",
    },
    "en-US": {
        "panel": "Segmentation and value",
        "radar": [
            "Step 1: scale",
            "Step 2: IT investment",
            "Step 3: IT complexity",
            "Economic value",
            "Social value",
        ],
        "overview": "Segmentation and value classes",
        "histogram": "Segment score distribution",
        "economic": "economic and social value",
    },
}

# Painted pixels of a canvas, and how many distinct colours they use; -1 before Chart.js owns it.
PAINTED = """(id) => {
  const canvas = document.getElementById(id);
  if (!canvas || !window.Chart || !window.Chart.getChart(canvas)) return [-1, 0, 0];
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  const colours = new Set();
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i + 3] > 0) {
      painted += 1;
      colours.add((pixels[i] >> 4) + "," + (pixels[i + 1] >> 4) + "," + (pixels[i + 2] >> 4));
    }
  }
  return [painted, colours.size, canvas.width * canvas.height];
}"""

# The same, as a predicate for wait_for_function (a function, not a string: the CSP forbids eval).
DRAWN = PAINTED.replace(
    "return [painted, colours.size, canvas.width * canvas.height];", "return painted > 0;"
).replace("return [-1, 0, 0];", "return false;")

STATE = """(id) => ({
  canvas: !!document.getElementById(id),
  chartJs: typeof window.Chart,
  chart: !!(window.Chart && window.Chart.getChart(document.getElementById(id))),
  drawnFlag: (document.getElementById(id) || {dataset: {}}).dataset.drawn || null,
  data: id === "seg-histogram"
    ? !!document.getElementById("seg-histogram-data")
    : !!(document.getElementById("seg-charts") || {dataset: {}}).dataset.radar,
})"""


@pytest.fixture
def scored(world: Any) -> Any:
    """Twelve Tianhe accounts with indicators, scored on two nights; the first one improves."""
    accounts = []
    for i in range(12):
        account = AccountFactory(
            code=f"GZ-SEG-{i:03d}",
            name=f"广州数智科技{i}有限公司",
            owner=world.am_a,
            region=world.district_a1,
            size_band=["large", "medium", "small", "micro"][i % 4],
        )
        IndicatorSnapshot.objects.create(
            account=account,
            measured_on=FIRST - dt.timedelta(days=10),
            source="survey",
            headcount=50.0 * (i + 1),
            revenue=1e6 * (i + 1),
            revenue_growth=0.02 * (i - 4),
            it_investment=1e4 * ((i * 7) % 12 + 1),
            it_staff=float(i % 5),
            customer_count=float(100 + i),
            solution_type_count=float(i % 4),
            profit_margin=0.01 * i,
            it_awareness=1 + i % 5,
            it_importance=1 + (i + 2) % 5,
            government_relations=1 + (i * 3) % 5,
            media_influence=1 + (i + 1) % 5,
        )
        accounts.append(account)
    services.scoring_run(as_of=FIRST)
    top = accounts[0]
    IndicatorSnapshot.objects.create(
        account=top,
        measured_on=SECOND - dt.timedelta(days=5),
        source="account_manager",
        headcount=5000.0,
        revenue=5e7,
        revenue_growth=0.4,
        it_investment=9e5,
        it_staff=40.0,
        customer_count=900.0,
        solution_type_count=6.0,
        profit_margin=0.3,
        it_awareness=5,
        it_importance=5,
        government_relations=2,
        media_influence=2,
    )
    services.scoring_run(as_of=SECOND)
    return top


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pass-word-123")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/")


def _assert_drawn(page: Any, canvas_id: str) -> None:
    try:
        page.wait_for_function(DRAWN, arg=canvas_id)
    except Exception as exc:  # say what was there instead
        state = page.evaluate(STATE, canvas_id)
        pytest.fail(f"{canvas_id} was not drawn: {state} ({exc})")
    painted, colours, area = page.evaluate(PAINTED, canvas_id)
    # A chart, not a blank or single-colour box: axes, grid, labels and the data in colour.
    assert painted > area * 0.03, (canvas_id, painted, area)
    assert colours >= 3, (canvas_id, colours)


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_radar_history_and_overview_charts_draw(live_server, open_page, world, scored, locale):  # type: ignore[no-untyped-def]
    text = TEXT[locale]
    lang = "zh" if locale == "zh-CN" else "en"
    base = live_server.url
    w = open_page(f"seg-charts-{lang}", locale)
    page = w.page
    _login(page, base, "rm_gz")

    # The account page: the scores panel arrives by htmx, then its charts draw.
    page.goto(f"{base}/accounts/{scored.code}/")
    page.wait_for_selector("#seg-radar")
    assert text["panel"] in page.locator("#segmentation-panel h2").inner_text()
    _assert_drawn(page, "seg-radar")
    _assert_drawn(page, "seg-history")
    labels = page.evaluate(
        "() => window.Chart.getChart(document.getElementById('seg-radar')).data.labels"
    )
    assert labels == text["radar"]
    values = page.evaluate(
        "() => window.Chart.getChart(document.getElementById('seg-radar')).data.datasets[0].data"
    )
    assert len(values) == 5 and all(v is not None and 1 <= v <= 5 for v in values), values
    history = page.evaluate(
        "() => window.Chart.getChart(document.getElementById('seg-history')).data.labels"
    )
    assert history == [FIRST.isoformat(), SECOND.isoformat()]
    page.locator("#segmentation-panel").scroll_into_view_if_needed()
    w.shot("account")

    # The overview of the regional manager's city: the distribution chart draws.
    page.goto(f"{base}/segmentation/")
    assert text["overview"] in page.locator("h1").inner_text()
    assert text["histogram"] in page.locator("#scores h2").inner_text()
    _assert_drawn(page, "seg-histogram")
    counts = page.evaluate(
        "() => window.Chart.getChart(document.getElementById('seg-histogram'))"
        ".data.datasets[0].data"
    )
    assert sum(counts) == 12, counts
    # The accounts that changed class name the classes in the page's language, not by code.
    changed = page.locator("#changed table").inner_text()
    assert scored.code in changed
    assert text["economic"] in changed
    assert "clustered_sme" not in changed and "economic\t" not in changed
    w.shot("overview")
