"""KPI schemes, targets and the nightly metric snapshots (DOMAIN.md §8, §3 for credit).

Metrics are defined once in `kpi.metrics` (pure) and `kpi.snapshots` (set-based). A snapshot row
holds one metric for one scope (a region's whole subtree, with cross-region credit applied, or one
account manager's portfolio) over one period to date (the month, quarter or year containing
`as_of`), as numerator and denominator so that ratios add up over scopes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Metric(models.TextChoices):
    CHURN_RATE = "churn_rate", _("churn rate")
    HIGH_VALUE_CHURN_RATE = "high_value_churn_rate", _("high-value churn rate")
    IT_PENETRATION = "it_penetration", _("key IT-service penetration")
    NEW_ACCOUNTS = "new_accounts", _("new accounts")
    ACCOUNTS_IN_GROWTH = "accounts_in_growth", _("accounts in growth")
    RETENTION_ON_TIME = "retention_on_time", _("retention tasks closed on time")
    COMPLAINT_SLA = "complaint_sla", _("complaints answered within SLA")
    KEY_PERSON_COVERAGE = "key_person_coverage", _("key-person coverage")
    VISITS_PER_AM = "visits_per_am", _("visits per account manager")
    BILLED_REVENUE = "billed_revenue", _("billed revenue")


class Direction(models.TextChoices):
    HIGHER = "higher", _("higher is better")
    LOWER = "lower", _("lower is better")


class ScoringRule(models.TextChoices):
    # points = weight × attainment against the realistic target, capped (cap_percent)
    LINEAR = "linear", _("proportional to attainment")
    # full weight at the realistic target, nothing below it
    THRESHOLD = "threshold", _("all or nothing at the target")
    # 0 below 80 % of realistic, 60 % of the weight at realistic, full weight at stretch,
    # linear in between
    BANDED = "banded", _("bands: realistic and stretch")


class Period(models.TextChoices):
    MONTH = "month", _("month to date")
    QUARTER = "quarter", _("quarter to date")
    YEAR = "year", _("year to date")


class KpiScheme(models.Model):
    """hq's KPI scheme for one year: its metrics' weights sum to 100 points."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("KPI scheme")
        verbose_name_plural = _("KPI schemes")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


class SchemeMetric(models.Model):
    scheme = models.ForeignKey(
        KpiScheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="metrics"
    )
    metric = models.CharField(_("metric"), max_length=32, choices=Metric.choices)
    weight = models.PositiveSmallIntegerField(_("weight (points)"))
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    rule = models.CharField(
        _("scoring rule"), max_length=16, choices=ScoringRule.choices, default=ScoringRule.LINEAR
    )
    cap_percent = models.PositiveSmallIntegerField(_("attainment cap (%)"), default=120)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("scheme metric")
        verbose_name_plural = _("scheme metrics")
        ordering = ["-weight", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "metric"], name="kpi_scheme_metric_unique"),
            models.CheckConstraint(
                condition=models.Q(weight__lte=100), name="kpi_scheme_metric_weight_max"
            ),
            models.CheckConstraint(
                condition=models.Q(metric__in=Metric.values), name="kpi_scheme_metric_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme_id} {self.metric} {self.weight}"


class KpiTarget(models.Model):
    """A target for one metric, for one region (its subtree) or one account manager, for one
    quarter (Q1–Q4, cumulative: rising to the annual value) or the whole year (Y)."""

    class Quarter(models.TextChoices):
        Q1 = "Q1", _("Q1")
        Q2 = "Q2", _("Q2")
        Q3 = "Q3", _("Q3")
        Q4 = "Q4", _("Q4")
        YEAR = "Y", _("year")

    scheme = models.ForeignKey(
        KpiScheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="targets"
    )
    metric = models.CharField(_("metric"), max_length=32, choices=Metric.choices)
    quarter = models.CharField(_("period"), max_length=2, choices=Quarter.choices)
    region = models.ForeignKey(
        "org.Region",
        verbose_name=_("region"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    realistic = models.DecimalField(_("realistic target"), max_digits=16, decimal_places=4)
    stretch = models.DecimalField(_("stretch target"), max_digits=16, decimal_places=4)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "metric", "quarter", "region", "user"],
                name="kpi_target_unique",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(region__isnull=False, user__isnull=True)
                    | models.Q(region__isnull=True, user__isnull=False)
                ),
                name="kpi_target_one_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme_id} {self.metric} {self.quarter}"


class MetricSnapshot(models.Model):
    """One metric for one scope over one period to date, as computed by the night of `as_of`.
    Exactly one of `region` (the region's subtree, credited per DOMAIN.md §3) and `user` (an
    account manager's own accounts) is set. `value` = numerator / denominator (or the numerator
    for counts and sums); NULL when the denominator is 0."""

    as_of = models.DateField(_("as of"))
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    metric = models.CharField(_("metric"), max_length=32, choices=Metric.choices)
    region = models.ForeignKey(
        "org.Region",
        verbose_name=_("region"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        db_constraint=False,
        db_index=False,  # kpi_snapshot_region leads with it
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        db_constraint=False,
        db_index=False,  # kpi_snapshot_user leads with it
    )
    numerator = models.DecimalField(_("numerator"), max_digits=18, decimal_places=4)
    denominator = models.DecimalField(_("denominator"), max_digits=18, decimal_places=4, null=True)
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4, null=True)

    class Meta:
        verbose_name = _("metric snapshot")
        verbose_name_plural = _("metric snapshots")
        constraints = [
            # One row per (night, period, metric, scope): a partial unique key per scope (the
            # check below makes the scope exactly one of them). They are the nightly upsert's
            # ON CONFLICT targets on SQLite and PostgreSQL alike; a five-column NULLS NOT
            # DISTINCT key would add a third unique index to every insert for nothing.
            models.UniqueConstraint(
                fields=["as_of", "period", "metric", "region"],
                condition=models.Q(region__isnull=False),
                name="kpi_snapshot_region_key",
            ),
            models.UniqueConstraint(
                fields=["as_of", "period", "metric", "user"],
                condition=models.Q(user__isnull=False),
                name="kpi_snapshot_user_key",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(region__isnull=False, user__isnull=True)
                    | models.Q(region__isnull=True, user__isnull=False)
                ),
                name="kpi_snapshot_one_scope",
            ),
        ]
        indexes = [
            models.Index(fields=["region", "period", "as_of"], name="kpi_snapshot_region"),
            models.Index(fields=["user", "period", "as_of"], name="kpi_snapshot_user"),
        ]

    def __str__(self) -> str:
        return f"{self.as_of} {self.period} {self.metric}"


class Dimension(models.TextChoices):
    VALUE_CLASS = "value_class", _("value class")
    STAGE = "stage", _("lifecycle stage")
    CHURN_RISK = "churn_risk", _("churn risk")


class DistributionSnapshot(models.Model):
    """How many accounts of a region's whole subtree (by each account's own region, no credit
    split) fell in each bucket of a dimension on `as_of`, so dashboards show distributions
    without counting accounts. `bucket` is the value (a value class, a stage letter, a churn
    risk) or "" for none (never scored, no stage, no lifecycle run on or before `as_of`). Value
    classes are the current ones (no history is kept); stages follow the stage history."""

    as_of = models.DateField(_("as of"))
    region = models.ForeignKey(
        "org.Region",
        verbose_name=_("region"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    dimension = models.CharField(_("dimension"), max_length=16, choices=Dimension.choices)
    bucket = models.CharField(_("bucket"), max_length=20, blank=True)
    accounts = models.PositiveIntegerField(_("accounts"))

    class Meta:
        verbose_name = _("distribution snapshot")
        verbose_name_plural = _("distribution snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["as_of", "region", "dimension", "bucket"], name="kpi_distribution_key"
            ),
            models.CheckConstraint(
                condition=models.Q(dimension__in=Dimension.values), name="kpi_distribution_dim"
            ),
        ]
        indexes = [
            models.Index(fields=["region", "dimension", "as_of"], name="kpi_distribution_region"),
        ]

    def __str__(self) -> str:
        return f"{self.as_of} {self.region_id} {self.dimension} {self.bucket}: {self.accounts}"


class ManagerRanking(models.Model):
    """A stored league table: every account manager's total points, province-wide (all regions,
    every manager with snapshots on `as_of`), for one scheme, score period (ScorePeriod.code:
    "2026Q3", "2026") and snapshot day, computed from one data version (the sha1 of
    kpi.selectors.data_version: the snapshot run, the scheme and the newest target and scheme
    metric edits). A manager's total does not depend on the subtree looked at, so one ranking
    answers every region's league table (kpi.selectors.league_table).

    A header with its rows (ManagerTotal) rather than one wide table: the key (scheme, period,
    day, version) is written once instead of on 5,000 rows, "is this version stored" is one
    probe of a small table, and a superseded version goes with its header (kpi.services keeps
    the newest few per scheme and period)."""

    scheme = models.ForeignKey(
        KpiScheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="+"
    )
    period = models.CharField(_("period"), max_length=8)
    as_of = models.DateField(_("as of"))
    version = models.CharField(_("data version"), max_length=40)
    managers = models.PositiveIntegerField(_("account managers"), default=0)
    computed_at = models.DateTimeField(_("computed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("manager ranking")
        verbose_name_plural = _("manager rankings")
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "period", "as_of", "version"], name="kpi_ranking_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme_id} {self.period} {self.as_of} {self.version[:8]}"


class ManagerTotal(models.Model):
    """One account manager's total in a stored ranking. `position` is the province-wide rank
    (1 = best; by total desc, then user id, as ordered by the ranking statement), so a subtree's
    league is the province's order restricted to it: ranked by position, renumbered 1..n.

    The manager's region is not stored: a league table joins the user's current region (and
    role), so a manager who moves or changes role is listed where they are now, as a fresh
    computation would, and nothing has to be recomputed when a user is edited."""

    ranking = models.ForeignKey(
        ManagerRanking,
        verbose_name=_("manager ranking"),
        on_delete=models.CASCADE,
        related_name="totals",
        db_index=False,  # both unique keys lead with it
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    position = models.PositiveIntegerField(_("rank"))
    total = models.DecimalField(_("total score"), max_digits=20, decimal_places=10)

    class Meta:
        verbose_name = _("manager total")
        verbose_name_plural = _("manager totals")
        constraints = [
            models.UniqueConstraint(fields=["ranking", "user"], name="kpi_manager_total_user"),
            # also the index of "the top n of a subtree": walk a ranking by position
            models.UniqueConstraint(
                fields=["ranking", "position"], name="kpi_manager_total_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ranking_id} #{self.position} {self.user_id}: {self.total}"
