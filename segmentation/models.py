from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import domain


class ValueClass(models.TextChoices):
    ECONOMIC = domain.ECONOMIC, _("economic and social value (名利双收型)")
    SOCIAL = domain.SOCIAL, _("social benefit (社会效益型)")
    CLUSTERED_SME = domain.CLUSTERED_SME, _("clustered SME (聚类型)")


class IndicatorSource(models.TextChoices):
    SURVEY = "survey", _("survey")
    STATISTICS = "statistics", _("public statistics")
    ACCOUNT_MANAGER = "account_manager", _("account manager's assessment")
    IMPORT = "import", _("import")


# Verbose names of every indicator, shared by the model, forms, the API schema and the pages.
INDICATOR_LABELS = {
    "headcount": _("headcount"),
    "headcount_growth": _("headcount growth"),
    "revenue": _("revenue"),
    "revenue_growth": _("revenue growth"),
    "it_investment": _("IT investment"),
    "it_investment_growth": _("IT investment growth"),
    "it_staff": _("IT staff"),
    "it_staff_growth": _("IT staff growth"),
    "customer_count": _("customers"),
    "agent_count": _("agents"),
    "supplier_count": _("suppliers"),
    "solution_type_count": _("solution types"),
    "profit_margin": _("profit margin"),
    "profit_margin_growth": _("profit margin growth"),
    "it_awareness": _("IT awareness"),
    "it_importance": _("importance of IT"),
    "it_need_complexity": _("complexity of IT needs"),
    "standards_participation": _("participation in standards"),
    "local_economy_position": _("position in the local economy"),
    "government_relations": _("government relations"),
    "industry_info_participation": _("participation in industry informatisation"),
    "media_influence": _("media influence"),
    "industry_org_participation": _("participation in industry organisations"),
    "industry_reputation": _("industry reputation"),
}


def _quantitative(name: str) -> models.FloatField:
    # Double precision: ranking needs only the order, and a Python float round-trips exactly
    # through both PostgreSQL and SQLite, so the SQL and the pure rule compare the same numbers.
    return models.FloatField(INDICATOR_LABELS[name], null=True, blank=True)


def _rated(name: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(INDICATOR_LABELS[name], null=True, blank=True)


def _points(name: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        format_lazy(_("{indicator} points"), indicator=INDICATOR_LABELS[name]), null=True
    )


def _score(label: Any) -> models.DecimalField:
    return models.DecimalField(label, max_digits=3, decimal_places=2, null=True, blank=True)


class IndicatorSnapshot(models.Model):
    """The indicators of one account as known on `measured_on`. The latest (by `measured_on`, then
    id) on or before a run's date is what scoring uses; unknown indicators stay NULL."""

    Source = IndicatorSource

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="indicator_snapshots",
    )
    measured_on = models.DateField(_("measured on"))
    source = models.CharField(_("source"), max_length=20, choices=IndicatorSource.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    headcount = _quantitative("headcount")
    headcount_growth = _quantitative("headcount_growth")
    revenue = _quantitative("revenue")
    revenue_growth = _quantitative("revenue_growth")
    it_investment = _quantitative("it_investment")
    it_investment_growth = _quantitative("it_investment_growth")
    it_staff = _quantitative("it_staff")
    it_staff_growth = _quantitative("it_staff_growth")
    customer_count = _quantitative("customer_count")
    agent_count = _quantitative("agent_count")
    supplier_count = _quantitative("supplier_count")
    solution_type_count = _quantitative("solution_type_count")
    profit_margin = _quantitative("profit_margin")
    profit_margin_growth = _quantitative("profit_margin_growth")

    it_awareness = _rated("it_awareness")
    it_importance = _rated("it_importance")
    it_need_complexity = _rated("it_need_complexity")
    standards_participation = _rated("standards_participation")
    local_economy_position = _rated("local_economy_position")
    government_relations = _rated("government_relations")
    industry_info_participation = _rated("industry_info_participation")
    media_influence = _rated("media_influence")
    industry_org_participation = _rated("industry_org_participation")
    industry_reputation = _rated("industry_reputation")

    class Meta:
        verbose_name = _("indicator snapshot")
        verbose_name_plural = _("indicator snapshots")
        constraints = [
            # One snapshot per account, date and source: an import re-run updates, never duplicates.
            models.UniqueConstraint(
                fields=["account", "measured_on", "source"],
                name="seg_snapshot_account_date_source",
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=IndicatorSource.values), name="seg_snapshot_source"
            ),
            *(
                models.CheckConstraint(
                    condition=models.Q(**{f"{name}__isnull": True})
                    | models.Q(**{f"{name}__gte": 1, f"{name}__lte": 5}),
                    name=f"seg_snapshot_{name}_1_5",
                )
                for name in domain.RATED
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-measured_on", "-id"], name="seg_snapshot_latest_idx")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.measured_on} {self.source}"


class IndicatorCut(models.Model):
    """Phase 1 of a run: per indicator, the number of known values and the values a value must
    exceed for 2, 3, 4 and 5 points. Kept per run date, so a score can always be explained."""

    as_of = models.DateField(_("as of"))
    indicator = models.CharField(_("indicator"), max_length=40)
    known_count = models.PositiveIntegerField(_("accounts with a known value"))
    cut_2 = models.FloatField(_("above this for 2 points"), null=True)
    cut_3 = models.FloatField(_("above this for 3 points"), null=True)
    cut_4 = models.FloatField(_("above this for 4 points"), null=True)
    cut_5 = models.FloatField(_("above this for 5 points"), null=True)

    class Meta:
        verbose_name = _("indicator cut points")
        verbose_name_plural = _("indicator cut points")
        constraints = [
            models.UniqueConstraint(fields=["as_of", "indicator"], name="seg_cut_asof_indicator")
        ]

    def __str__(self) -> str:
        return f"{self.as_of} {self.indicator}"

    def as_cuts(self) -> domain.Cuts:
        return domain.Cuts(self.known_count, self.cut_2, self.cut_3, self.cut_4, self.cut_5)


class ScoreResult(models.Model):
    """One account's scores from the run of `as_of` (`as_of` is the run date, the word DOMAIN.md
    and the job ledger use). Upserted by (account, as_of): re-running a night changes nothing."""

    # The nightly job writes a million of these rows per night, so the table carries only what its
    # readers need (measured in bench/results/segmentation.md): no database foreign keys (a
    # deferred check per row locks every account row at commit: 40 % of the insert time; the
    # rows are derived from the accounts in the same statement, accounts are never hard-deleted
    # by a service, and Django still cascades a deletion), no index of its own on `account`
    # (the unique (account, as_of) index serves it) and none on `snapshot`.
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="score_results",
        db_constraint=False,
        db_index=False,
    )
    as_of = models.DateField(_("as of"))
    snapshot = models.ForeignKey(
        IndicatorSnapshot,
        verbose_name=_("indicator snapshot"),
        null=True,
        # The snapshot the score came from, kept as a reference: a result outlives a deleted
        # snapshot (the explanation then shows the points without the raw values).
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )

    headcount_points = _points("headcount")
    headcount_growth_points = _points("headcount_growth")
    revenue_points = _points("revenue")
    revenue_growth_points = _points("revenue_growth")
    it_investment_points = _points("it_investment")
    it_investment_growth_points = _points("it_investment_growth")
    it_staff_points = _points("it_staff")
    it_staff_growth_points = _points("it_staff_growth")
    customer_count_points = _points("customer_count")
    agent_count_points = _points("agent_count")
    supplier_count_points = _points("supplier_count")
    solution_type_count_points = _points("solution_type_count")
    profit_margin_points = _points("profit_margin")
    profit_margin_growth_points = _points("profit_margin_growth")

    step1_score = _score(_("scale"))
    step2_score = _score(_("IT investment"))
    step3_score = _score(_("IT complexity"))
    segment_score = _score(_("segment score"))
    economic_value_score = _score(_("economic value score"))
    social_value_score = _score(_("social value score"))
    value_class = models.CharField(
        _("value class (computed)"), max_length=20, choices=ValueClass.choices
    )

    class Meta:
        verbose_name = _("score result")
        verbose_name_plural = _("score results")
        constraints = [
            models.UniqueConstraint(fields=["account", "as_of"], name="seg_result_account_asof"),
            models.CheckConstraint(
                condition=models.Q(value_class__in=ValueClass.values), name="seg_result_class"
            ),
        ]
        indexes = [models.Index(fields=["as_of", "value_class"], name="seg_result_asof_class")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.as_of}"


class AccountScore(models.Model):
    """The latest scores of each account (the newest run that scored it): what lists filter on.
    A churned account is no longer scored and keeps its last row."""

    account = models.OneToOneField(
        "accounts.Account",
        verbose_name=_("account"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="current_score",
    )
    as_of = models.DateField(_("as of"))
    step1_score = _score(_("scale"))
    step2_score = _score(_("IT investment"))
    step3_score = _score(_("IT complexity"))
    segment_score = _score(_("segment score"))
    economic_value_score = _score(_("economic value score"))
    social_value_score = _score(_("social value score"))
    value_class = models.CharField(
        _("value class (computed)"), max_length=20, choices=ValueClass.choices
    )

    class Meta:
        verbose_name = _("current score")
        verbose_name_plural = _("current scores")
        indexes = [
            models.Index(fields=["value_class"], name="seg_current_class"),
            models.Index(fields=["segment_score"], name="seg_current_segment"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.as_of}"


class ScoreMonthlySummary(models.Model):
    """Runs older than the history horizon, summarised per account and month (their daily rows are
    then removed): averages of the scores, the class of the month's last run and the run count."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="score_months",
    )
    month_on = models.DateField(_("month"))
    runs = models.PositiveIntegerField(_("runs"))
    last_as_of = models.DateField(_("last run in the month"))
    step1_score = _score(_("scale (average)"))
    step2_score = _score(_("IT investment (average)"))
    step3_score = _score(_("IT complexity (average)"))
    segment_score = _score(_("segment score (average)"))
    economic_value_score = _score(_("economic value score (average)"))
    social_value_score = _score(_("social value score (average)"))
    value_class = models.CharField(
        _("value class at the month's last run"), max_length=20, choices=ValueClass.choices
    )

    class Meta:
        verbose_name = _("monthly score summary")
        verbose_name_plural = _("monthly score summaries")
        constraints = [
            models.UniqueConstraint(fields=["account", "month_on"], name="seg_month_account_month")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.month_on:%Y-%m}"


class ScoringChunk(models.Model):
    """Phase 2 bookkeeping: a chunk of account ids scored by one task. Upserted by (run, first id),
    so a redelivered chunk (a killed worker) is counted once."""

    run = models.ForeignKey("core.JobRun", on_delete=models.CASCADE, related_name="+")
    first_account_id = models.BigIntegerField()
    last_account_id = models.BigIntegerField()
    rows = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("scoring chunk")
        verbose_name_plural = _("scoring chunks")
        constraints = [
            models.UniqueConstraint(fields=["run", "first_account_id"], name="seg_chunk_run_first")
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.first_account_id}-{self.last_account_id}"


class ClassOverride(models.Model):
    """A regional manager's decision that an account belongs to another value class. Survives
    recomputation until removed; every change (and the removal) is in the audit history."""

    account = models.OneToOneField(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="class_override",
    )
    value_class = models.CharField(_("value class"), max_length=20, choices=ValueClass.choices)
    reason = models.CharField(_("reason"), max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("overridden by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    overridden_at = models.DateTimeField(_("overridden at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("class override")
        verbose_name_plural = _("class overrides")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(value_class__in=ValueClass.values), name="seg_override_class"
            ),
            models.CheckConstraint(condition=~models.Q(reason=""), name="seg_override_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} → {self.value_class}"
