"""`{% account_lifecycle account %}`: the lifecycle section of the account page (timeline, flags,
retention tasks, the stage's question and strategy, campaign calls). The account page includes it
with one line; it loads after the page is shown (htmx), so the page's own query budget is
untouched, from `lifecycle:account_panel`, which reads through the visibility policy."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.utils import timezone

from .. import labels, selectors

register = template.Library()


@register.inclusion_tag("lifecycle/_account_panel_lazy.html")
def account_lifecycle(account: Any) -> dict[str, Any]:
    return {"account": account}


def panel_context(account: Any) -> dict[str, Any]:
    panel = selectors.account_panel(account=account, today=timezone.localdate())
    return {
        "account": account,
        "panel": panel,
        "chart_json": json.dumps(panel.chart, ensure_ascii=False),
        "risk_label": labels.RISK_LABELS.get(panel.state.churn_risk, "") if panel.state else "",
        "stage_labels": labels.STAGE_LABELS,
        "outcome_labels": labels.OUTCOME_LABELS,
        "today": timezone.localdate(),
    }


@register.filter
def stage_label(stage: str | None) -> Any:
    return labels.STAGE_LABELS.get(stage or None, stage)


@register.filter
def playbook(msgid: str) -> str:
    return labels.playbook_text(msgid)


@register.filter
def cny(value: Any) -> str:
    """An amount without decimals grouped by thousands, as the evidence shows it."""
    return labels.amount(value)
