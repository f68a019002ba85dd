"""`{% revenue_trend account %}`: the 12-month revenue trend and products billed on the account
360° page; billing owns what it shows, the account page includes it with one line. The page
passes the account it already read through the visibility policy, so it is not fetched again."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from .. import selectors

register = template.Library()


@register.inclusion_tag("billing/_revenue_trend.html", takes_context=True)
def revenue_trend(context: template.Context, account: Any) -> dict[str, Any]:
    as_of = context.get("today") or timezone.localdate()
    trend = selectors.account_revenue_trend_of(account=account, as_of=as_of)
    rows = [
        {"month": month, "revenue": revenue, "member_lines": members}
        for month, revenue, members in zip(
            trend.months, trend.revenue, trend.member_lines, strict=True
        )
    ]
    return {"trend": trend, "rows": rows, "chart": trend.chart_data()}
