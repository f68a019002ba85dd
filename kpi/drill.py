"""The accounts behind a snapshot's number (drill-down), as a filter on a queryset the caller has
already restricted to what the user may see (org.visibility.accounts_visible_to).

The filters are the definitions of `kpi.metrics` in the ORM. A region scope is the region's
subtree; for the credited metrics (`metrics.CREDITED_METRICS`) it also holds the branches whose
group root lies in the subtree (they count there with the coordination share). A user scope is the
accounts the user owns."""

# RawSQL from fixed fragments; every value is a bound parameter.
# ruff: noqa: S608, S611

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate

from accounts.models import Account, Activity, KeyPerson, KeyPersonRole, ServiceRequest
from billing.models import BillLine
from lifecycle.models import RetentionTask, StageChange
from org.models import Region

from . import metrics as m
from .sql import BRANCH_ROOTS_SQL, day_bounds

NO_DENOMINATOR = m.COUNT_METRICS | {m.VISITS_PER_AM}


def _high_value() -> Q:
    """The effective value class (an override first, else the computed class) is high value."""
    classes = sorted(m.HIGH_VALUE_CLASSES)
    return Q(class_override__value_class__in=classes) | Q(
        class_override__isnull=True, current_score__value_class__in=classes
    )


def _active_at_start(start: dt.date) -> Q:
    first = StageChange.objects.order_by("changed_on").values_list("changed_on", flat=True).first()
    if first is not None and first <= start:
        return Q(_in_stage_on(start, m.ACTIVE_STAGES))
    return Q(status=m.ACTIVE, joined_on__lt=start)


def _metric_filter(metric: str, window: m.Window, denominator: bool) -> Q:
    start, as_of = window.start, window.as_of
    if metric in (m.CHURN_RATE, m.HIGH_VALUE_CHURN_RATE):
        if denominator:
            q = _active_at_start(start)
        else:
            q = Q(
                Exists(
                    StageChange.objects.filter(
                        account=OuterRef("pk"),
                        to_stage=m.CHURNED_STAGE,
                        changed_on__range=(start, as_of),
                    )
                )
            )
        return q & _high_value() if metric == m.HIGH_VALUE_CHURN_RATE else q
    if metric == m.IT_PENETRATION:
        if denominator:
            return Q(status=m.ACTIVE)
        first, last = m.closed_months(as_of)
        return Q(status=m.ACTIVE) & Q(
            Exists(
                BillLine.objects.filter(
                    account=OuterRef("pk"),
                    period_on__range=(first, last),
                    amount__gt=0,
                    product__module__layer=m.APPLICATION_LAYER,
                )
            )
        )
    if metric == m.NEW_ACCOUNTS:
        return Q(joined_on__range=(start, as_of))
    if metric == m.ACCOUNTS_IN_GROWTH:
        # The current state when its run is on or before as_of, else the stage history.
        current = Q(lifecycle__as_of__lte=as_of)
        history = Q(lifecycle__isnull=True) | Q(lifecycle__as_of__gt=as_of)
        return (current & Q(lifecycle__stage=m.GROWTH_STAGE)) | (
            history & Q(_in_stage_on(as_of, {m.GROWTH_STAGE}))
        )
    if metric == m.RETENTION_ON_TIME:
        tasks = RetentionTask.objects.filter(account=OuterRef("pk"), due_on__range=(start, as_of))
        if not denominator:
            tasks = tasks.annotate(closed_on=TruncDate("closed_at")).filter(
                status=RetentionTask.Status.CLOSED, closed_on__lte=F("due_on")
            )
        return Q(Exists(tasks))
    if metric == m.COMPLAINT_SLA:
        start_at, end_at = day_bounds(start, as_of)
        complaints = ServiceRequest.objects.filter(
            account=OuterRef("pk"),
            kind=ServiceRequest.Kind.COMPLAINT,
            sla_due_at__gte=start_at,
            sla_due_at__lt=end_at,
        )
        if not denominator:
            complaints = complaints.filter(
                resolved_at__isnull=False, resolved_at__lte=F("sla_due_at")
            )
        return Q(Exists(complaints))
    if metric == m.KEY_PERSON_COVERAGE:
        if denominator:
            return _high_value()
        return _high_value() & Q(
            Exists(
                KeyPerson.objects.filter(
                    Q(left_on__isnull=True) | Q(left_on__gt=as_of),
                    account=OuterRef("pk"),
                    role=KeyPersonRole.DECISION_MAKER,
                )
            )
        )
    if metric == m.VISITS_PER_AM:
        return Q(
            Exists(
                Activity.objects.filter(
                    account=OuterRef("pk"),
                    kind=Activity.Kind.VISIT,
                    occurred_on__range=(start, as_of),
                )
            )
        )
    if metric == m.BILLED_REVENUE:
        return Q(
            Exists(
                BillLine.objects.filter(
                    account=OuterRef("pk"), period_on__range=(start, as_of)
                ).exclude(amount=0)
            )
        )
    raise ValueError(f"unknown metric {metric!r}")


def _in_stage_on(day: dt.date, stages: Iterable[str]) -> Exists:
    """The account's last stage change on or before `day` went to one of `stages`: a change in
    them with no later one up to `day` (two probes of the (account, changed_on) index)."""
    later = StageChange.objects.filter(
        account=OuterRef("account"), changed_on__gt=OuterRef("changed_on"), changed_on__lte=day
    )
    return Exists(
        StageChange.objects.filter(
            account=OuterRef("pk"), changed_on__lte=day, to_stage__in=sorted(stages)
        ).filter(~Exists(later))
    )


def _region_scope(metric: str, region: Region) -> Q:
    in_subtree = Q(region__path__startswith=region.path)
    if metric not in m.CREDITED_METRICS:
        return in_subtree
    branches = RawSQL(
        f"SELECT b.account_id FROM ({BRANCH_ROOTS_SQL}) b JOIN org_region r "
        "ON r.id = b.root_region_id WHERE r.path LIKE %s",
        [region.path.replace("%", r"\%").replace("_", r"\_") + "%"],
    )
    return in_subtree | Q(pk__in=branches)


def accounts_behind(
    *,
    metric: str,
    as_of: dt.date,
    period: str,
    accounts: QuerySet[Account],
    region: Region | None = None,
    user: Any = None,
    denominator: bool = False,
) -> QuerySet[Account]:
    """The accounts behind a snapshot row's numerator (or, with `denominator=True`, its
    denominator), among `accounts`. Exactly one of `region` and `user` names the scope. Counts
    and sums (and visits per account manager, whose denominator is people) have no denominator:
    asking for it raises ValueError."""
    if metric not in m.METRICS:
        raise ValueError(f"unknown metric {metric!r}")
    if (region is None) == (user is None):
        raise ValueError("give exactly one of region and user")
    if denominator and metric in NO_DENOMINATOR:
        raise ValueError(f"{metric} has no denominator of accounts")
    window = m.window(as_of, period)
    scope = Q(owner=user) if user is not None else _region_scope(metric, region)  # type: ignore[arg-type]
    return accounts.filter(scope).filter(_metric_filter(metric, window, denominator))
