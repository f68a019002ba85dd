"""The target rule of `rules.py`, set-based in SQL (SQLite and PostgreSQL alike).

`target_accounts` is one queryset: the campaign region's subtree, active accounts, and each given
rule part as a filter. The billing part is one aggregate over the window's account months
(billing's per-account monthly sums in whole fen, kept by database triggers), compared in whole
cents like `rules.to_cents`, so SQLite and PostgreSQL give the same answer.

`insert_calls` wraps that queryset in one `INSERT … SELECT … ON CONFLICT DO NOTHING`; the caller
is dealt round-robin by `row_number()` over an ordering that spreads value classes and regions.
"""

# Table names below are module constants and every value is a bound parameter.
# ruff: noqa: S608, S611

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import connection, transaction
from django.db.models import CharField, Exists, F, OuterRef, QuerySet, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, RowNumber

from accounts.models import Account
from billing.models import AccountMonth
from lifecycle.models import Campaign, CampaignCall
from org.visibility import region_subtree_ids
from segmentation.selectors import fallback_class_expression

from . import rules

CALL_TABLE = CampaignCall._meta.db_table
MONTH_TABLE = AccountMonth._meta.db_table


def rule_of(campaign: Campaign) -> rules.TargetRule:
    return rules.TargetRule(
        min_monthly_amount=campaign.min_monthly_amount,
        min_months=campaign.min_months,
        window_months=campaign.window_months or 12,
        churn_risks=frozenset(campaign.churn_risks or ()),
        stages=frozenset(campaign.stages or ()),
        value_classes=frozenset(campaign.value_classes or ()),
    )


def _billed_accounts(rule: rules.TargetRule, as_of: dt.date) -> RawSQL:
    """Accounts with at least `months_needed` months of the window billed at or above the
    threshold: one scan of the window's account months (billing's per-month sums, in fen)."""
    start, end = rules.window_bounds(as_of, rule.window_months)
    sql = (
        f"SELECT m.account_id FROM {MONTH_TABLE} m "
        "WHERE m.period_on >= %s AND m.period_on < %s AND m.revenue_cents >= %s "
        "GROUP BY m.account_id HAVING COUNT(*) >= %s"
    )
    return RawSQL(sql, (start, end, rule.threshold_cents, rule.months_needed))


def tune_session() -> None:
    """PostgreSQL, for the current transaction: the window's month sums aggregate in memory
    rather than in spilled hash partitions, and no JIT compilation (it costs more than it saves
    on this one-off statement)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL jit = off")


def effective_class() -> Coalesce:
    """The account's value class as every page shows it: the override, else the latest computed
    class, else segmentation's fallback for a never-scored account."""
    return Coalesce(
        F("class_override__value_class"),
        F("current_score__value_class"),
        fallback_class_expression(),
        output_field=CharField(),
    )


def target_accounts(
    *, rule: rules.TargetRule, region_ids: Sequence[int], as_of: dt.date
) -> QuerySet:
    """The accounts matching the rule, annotated with `campaign_class` (for the spread order)."""
    qs = Account.objects.filter(status=rules.ACTIVE, region_id__in=list(region_ids)).annotate(
        campaign_class=effective_class()
    )
    if rule.min_monthly_amount is not None:
        qs = qs.filter(id__in=_billed_accounts(rule, as_of))
    if rule.churn_risks:
        qs = qs.filter(lifecycle__churn_risk__in=sorted(rule.churn_risks))
    if rule.stages:
        qs = qs.filter(lifecycle__stage__in=sorted(rule.stages))
    if rule.value_classes:
        qs = qs.filter(campaign_class__in=sorted(rule.value_classes))
    return qs.order_by()


def campaign_targets(campaign: Campaign, *, as_of: dt.date) -> QuerySet:
    return target_accounts(
        rule=rule_of(campaign), region_ids=list(region_subtree_ids(campaign.region)), as_of=as_of
    )


def _not_listed(qs: QuerySet, campaign_id: int) -> QuerySet:
    listed = CampaignCall.objects.filter(campaign_id=campaign_id, account_id=OuterRef("pk"))
    return qs.exclude(Exists(listed))


def count_targets(campaign: Campaign, *, as_of: dt.date) -> tuple[int, int]:
    """(accounts matching now, of which not yet on the list)."""
    with transaction.atomic():
        tune_session()
        targets = campaign_targets(campaign, as_of=as_of)
        matching = targets.count()
        if not CampaignCall.objects.filter(campaign_id=campaign.pk).exists():
            return matching, matching
        return matching, _not_listed(targets, campaign.pk).count()


def _caller_case(callers: Sequence[int], offset: int, position: str) -> tuple[str, list[int]]:
    whens = " ".join(f"WHEN {i} THEN %s" for i in range(len(callers)))
    return (
        f"CASE (({position} - 1 + {int(offset)}) %% {len(callers)}) {whens} END",
        list(callers),
    )


def insert_calls(*, campaign: Campaign, callers: Sequence[int], as_of: dt.date, offset: int) -> int:
    """Adds every matching account not yet on the list as a pending call: one statement. Returns
    the number of rows inserted."""
    if not callers:
        return 0
    ranked = (
        _not_listed(campaign_targets(campaign, as_of=as_of), campaign.pk)
        .annotate(
            position=Window(
                RowNumber(),
                order_by=[F("campaign_class").asc(), F("region_id").asc(), F("id").asc()],
            )
        )
        .values_list("id", "position")
    )
    inner, inner_params = ranked.query.sql_with_params()
    case, case_params = _caller_case(callers, offset, "t.position")
    tune_session()
    # `WHERE 1 = 1`: SQLite needs it to tell the upsert's ON from a join's ON.
    sql = (
        f"INSERT INTO {CALL_TABLE} (campaign_id, account_id, caller_id, status, answers, "
        "issue_raised, follow_up) "
        f"SELECT %s, t.id, {case}, 'pending', '{{}}', '', '' FROM ({inner}) t WHERE 1 = 1 "
        "ON CONFLICT (campaign_id, account_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign.pk, *case_params, *inner_params])
        return max(cursor.rowcount, 0)


def resplit_pending(*, campaign: Campaign, callers: Sequence[int]) -> int:
    """Deals the campaign's pending calls round-robin among `callers` again (same spread order);
    calls already made keep their caller. One statement; returns the pending calls."""
    if not callers:
        return 0
    # From the accounts side, so the spread order is the generation's (class, region, id).
    ranked = (
        Account.objects.filter(
            campaign_calls__campaign_id=campaign.pk,
            campaign_calls__status=CampaignCall.Status.PENDING,
        )
        .annotate(campaign_class=effective_class(), call_id=F("campaign_calls__id"))
        .annotate(
            position=Window(
                RowNumber(),
                order_by=[F("campaign_class").asc(), F("region_id").asc(), F("id").asc()],
            )
        )
        .order_by()
        .values_list("call_id", "position")
    )
    inner, inner_params = ranked.query.sql_with_params()
    case, case_params = _caller_case(callers, 0, "r.position")
    tune_session()
    sql = (
        f"UPDATE {CALL_TABLE} SET caller_id = {case} "
        f"FROM ({inner}) r WHERE r.call_id = {CALL_TABLE}.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*case_params, *inner_params])
        return max(cursor.rowcount, 0)
