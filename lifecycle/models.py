"""Lifecycle stages A–E, churn flags, retention tasks and outbound call campaigns (DOMAIN.md §5).

The nightly step writes `AccountLifecycle` (the current state, one row per account, what lists
filter and sort on), appends a `StageChange` whenever an account's stage differs from its current
one, raises and clears `ChurnFlag`s and opens a `RetentionTask` per high-risk episode. Every write
is keyed so that re-running the same `as_of` changes nothing."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Stage(models.TextChoices):
    NEW = "A", _("A new")
    GROWTH = "B", _("B growth")
    MATURE = "C", _("C mature")
    DECLINE = "D", _("D decline")
    CHURNED = "E", _("E churned")


class ChurnRisk(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")


class FlagCode(models.TextChoices):
    REVENUE_DROP = "revenue_drop", _("revenue drop")
    ZERO_REVENUE = "zero_revenue", _("zero revenue")
    MEMBER_DROP = "member_drop", _("member lines drop")
    PRODUCT_CANCELLED = "product_cancelled", _("product cancelled")
    CONTRACT_EXPIRING = "contract_expiring", _("contract expiring")
    COMPLAINTS = "complaints", _("complaints")
    KEY_PERSON_LEFT = "key_person_left", _("key person left")
    NO_CONTACT = "no_contact", _("no contact")


# The order of risk for sorting (high first): a CASE over these in selectors.
RISK_ORDER = {ChurnRisk.HIGH: 0, ChurnRisk.MEDIUM: 1, ChurnRisk.LOW: 2}


class AccountLifecycle(models.Model):
    """The current lifecycle state of an account: written by the newest nightly run that saw it.
    `stage` is NULL for a prospect that has never had revenue. The evidence columns are the numbers
    of DOMAIN.md §5.1 for the run of `as_of` (revenues in CNY, m1 = the month before as_of's)."""

    account = models.OneToOneField(
        "accounts.Account",
        verbose_name=_("account"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="lifecycle",
    )
    as_of = models.DateField(_("as of"))
    stage = models.CharField(_("stage"), max_length=1, choices=Stage.choices, null=True)
    stage_since = models.DateField(_("stage since"), null=True)
    churn_risk = models.CharField(
        _("churn risk"), max_length=8, choices=ChurnRisk.choices, default=ChurnRisk.LOW
    )
    flag_count = models.PositiveSmallIntegerField(_("open flags"), default=0)
    # The open flags' codes as bits (lifecycle.domain.FLAG_BITS), written with flag_count by the
    # same nightly statement: the retention desk filters on a flag inside its ordered index walk
    # instead of joining every open ChurnFlag row of that code (820 ms → see
    # bench/results/lifecycle_pages.md).
    open_flags = models.PositiveSmallIntegerField(_("open flag bits"), default=0, db_default=0)
    # The first as_of of the current high-risk episode (NULL when not high): the retention
    # task's key, so a re-run of any night in the episode finds the same task.
    high_risk_since = models.DateField(_("high risk since"), null=True)
    revenue_r3 = models.DecimalField(_("revenue m1–m3"), max_digits=16, decimal_places=2, default=0)
    revenue_p3 = models.DecimalField(_("revenue m4–m6"), max_digits=16, decimal_places=2, default=0)
    products_m1 = models.PositiveIntegerField(_("products in m1"), default=0)
    products_m4 = models.PositiveIntegerField(_("products in m4"), default=0)
    first_revenue_on = models.DateField(_("first month with revenue"), null=True)
    # The retention desk's order, fixed by the nightly run (lifecycle.domain.desk_key: churn risk,
    # then value class, then the largest revenue drop); NULL when the account was not on the desk
    # that night (no open flag, no open task), and only the night raises flags and opens tasks.
    # An index walk in this order serves a region's or the province's desk page without sorting
    # every flagged account.
    desk_key = models.BigIntegerField(_("desk order"), null=True, blank=True)

    class Meta:
        verbose_name = _("lifecycle state")
        verbose_name_plural = _("lifecycle states")
        indexes = [
            # Stage alone, or with churn risk: a rare pair (stage B, high risk: 29 of 1M) is one
            # index range instead of every account of the stage rechecked (80 ms).
            models.Index(fields=["stage", "churn_risk"], name="lc_state_stage_risk"),
            models.Index(fields=["churn_risk"], name="lc_state_risk"),
            models.Index(
                fields=["desk_key"],
                name="lc_state_desk_key",
                condition=models.Q(desk_key__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stage__isnull=True) | models.Q(stage__in=Stage.values),
                name="lc_state_stage_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(churn_risk__in=ChurnRisk.values), name="lc_state_risk_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(high_risk_since__isnull=True) | models.Q(churn_risk="high"),
                name="lc_state_high_since_only_high",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.stage or '-'} {self.churn_risk}"


class StageChange(models.Model):
    """Dated history: the run of `changed_on` found the account in `to_stage` after `from_stage`
    (NULL for its first stage). The stage in any month is the last change on or before its end."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="stage_changes",
        db_index=False,  # lc_change_account_date leads with it
    )
    changed_on = models.DateField(_("changed on"))
    from_stage = models.CharField(_("from stage"), max_length=1, choices=Stage.choices, null=True)
    to_stage = models.CharField(_("to stage"), max_length=1, choices=Stage.choices, null=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "changed_on"], name="lc_change_account_date"
            ),
        ]
        indexes = [models.Index(fields=["changed_on"], name="lc_change_date")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.changed_on} {self.from_stage}→{self.to_stage}"


class StageMigration(models.Model):
    """Per region (the account's own region) and month: how many accounts were in `from_stage` at
    the end of the previous month and in `to_stage` at the end of `month_on` (the current month:
    as of the latest run). Refreshed by the nightly step for the run's month; the regional
    manager's migration matrix sums it over the region's subtree."""

    region = models.ForeignKey(
        "org.Region", verbose_name=_("region"), on_delete=models.CASCADE, related_name="+"
    )
    month_on = models.DateField(_("month"))
    from_stage = models.CharField(_("from stage"), max_length=1, choices=Stage.choices, null=True)
    to_stage = models.CharField(_("to stage"), max_length=1, choices=Stage.choices, null=True)
    accounts = models.PositiveIntegerField(_("accounts"))

    class Meta:
        verbose_name = _("stage migration")
        verbose_name_plural = _("stage migrations")
        constraints = [
            models.UniqueConstraint(
                fields=["month_on", "region", "from_stage", "to_stage"],
                name="lc_migration_unique",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.month_on:%Y-%m} {self.from_stage}→{self.to_stage}"


class ChurnFlag(models.Model):
    """One churn warning: raised by the run of `raised_on` with its evidence (the numbers that
    raised it), cleared by the first run whose condition no longer holds. At most one open flag
    per account and code."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="churn_flags",
        db_index=False,  # lc_flag_account_code_raised leads with it
    )
    code = models.CharField(_("flag"), max_length=24, choices=FlagCode.choices)
    raised_on = models.DateField(_("raised on"))
    cleared_on = models.DateField(_("cleared on"), null=True, blank=True)
    evidence = models.JSONField(_("evidence"), default=dict)

    class Meta:
        verbose_name = _("churn flag")
        verbose_name_plural = _("churn flags")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "code"],
                condition=models.Q(cleared_on__isnull=True),
                name="lc_flag_one_open",
            ),
            models.UniqueConstraint(
                fields=["account", "code", "raised_on"], name="lc_flag_account_code_raised"
            ),
            models.CheckConstraint(
                condition=models.Q(code__in=FlagCode.values), name="lc_flag_code_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(cleared_on__isnull=True)
                | models.Q(cleared_on__gte=models.F("raised_on")),
                name="lc_flag_cleared_after_raised",
            ),
        ]
        indexes = [models.Index(fields=["raised_on"], name="lc_flag_raised")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.code} {self.raised_on}"


class RetentionTask(models.Model):
    """Retention work for one high-risk episode of one account (keyed by the episode's first
    night), assigned to the owner at the time, with the stage's question and strategy."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    class Outcome(models.TextChoices):
        RETAINED = "retained", _("retained")
        DOWNGRADED = "downgraded", _("downgraded")
        LOST = "lost", _("lost")
        FALSE_ALARM = "false_alarm", _("false alarm")

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="retention_tasks",
        db_index=False,  # lc_task_account_episode leads with it
    )
    episode_on = models.DateField(_("episode started on"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="retention_tasks",
        null=True,
    )
    stage = models.CharField(_("stage at opening"), max_length=1, choices=Stage.choices, null=True)
    flags = models.JSONField(_("flags at opening"), default=list)
    question = models.CharField(_("question"), max_length=300)
    strategy = models.CharField(_("strategy"), max_length=500)
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, blank=True, default=""
    )
    outcome_note = models.CharField(_("outcome note"), max_length=1000, blank=True)
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    overdue_notified_on = models.DateField(_("overdue notified on"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("retention task")
        verbose_name_plural = _("retention tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "episode_on"], name="lc_task_account_episode"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status="open", outcome="", closed_at__isnull=True)
                    | (models.Q(status="closed", closed_at__isnull=False) & ~models.Q(outcome=""))
                ),
                name="lc_task_closed_has_outcome",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status", "due_on"], name="lc_task_owner_status_due"),
            models.Index(fields=["status", "due_on"], name="lc_task_status_due"),
            # The overdue lists (managers' overview, home pages) read open tasks in due order.
            models.Index(
                fields=["due_on", "id"],
                name="lc_task_open_due",
                condition=models.Q(status="open"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.episode_on} {self.status}"


class RetentionAction(models.Model):
    """Something the owner did for a retention task (a visit, an offer, a call …)."""

    task = models.ForeignKey(
        RetentionTask, verbose_name=_("task"), on_delete=models.CASCADE, related_name="actions"
    )
    done_on = models.DateField(_("done on"))
    note = models.CharField(_("what was done"), max_length=1000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("retention action")
        verbose_name_plural = _("retention actions")
        ordering = ["-done_on", "-id"]

    def __str__(self) -> str:
        return f"{self.task_id} {self.done_on}"


class Campaign(models.Model):
    """An outbound call campaign (the phone-manager service): a target rule over the creator's
    region, a question list for questionnaire calls, dates and callers."""

    class Kind(models.TextChoices):
        QUESTIONNAIRE = "questionnaire", _("questionnaire")
        RETENTION_CARE = "retention_care", _("retention care")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ACTIVE = "active", _("active (list generated)")
        CLOSED = "closed", _("closed")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    region = models.ForeignKey(
        "org.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    # The target rule, every part optional and all parts combined with AND:
    # billed ≥ min_monthly_amount in at least min_months of the last window_months closed months,
    # and churn risk / stage / value class among the listed values (empty = any).
    min_monthly_amount = models.DecimalField(
        _("billed at least (CNY a month)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    min_months = models.PositiveSmallIntegerField(_("in at least (months)"), null=True, blank=True)
    window_months = models.PositiveSmallIntegerField(
        _("of the last (months)"), default=12, blank=True
    )
    churn_risks = models.JSONField(_("churn risk"), default=list, blank=True)
    stages = models.JSONField(_("stages"), default=list, blank=True)
    value_classes = models.JSONField(_("value classes"), default=list, blank=True)
    questions = models.JSONField(_("questions"), default=list, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    callers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("callers"), related_name="campaigns_calling"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.DRAFT
    )
    generated_at = models.DateTimeField(_("list generated at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("call campaign")
        verbose_name_plural = _("call campaigns")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="lc_campaign_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignCall(models.Model):
    """One account on a campaign's call list, assigned to a caller, with the call's outcome."""

    class Status(models.TextChoices):
        PENDING = "pending", _("to call")
        DONE = "done", _("called")

    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        related_name="calls",
        db_index=False,  # lc_call_campaign_account leads with it
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="campaign_calls",
    )
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("caller"),
        on_delete=models.PROTECT,
        related_name="campaign_calls",
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    reached = models.BooleanField(_("reached"), null=True, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    issue_raised = models.CharField(_("issue raised"), max_length=1000, blank=True)
    offer_accepted = models.BooleanField(_("offer accepted"), null=True, blank=True)
    follow_up = models.CharField(_("follow-up"), max_length=500, blank=True)
    follow_up_on = models.DateField(_("follow-up due"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("campaign call")
        verbose_name_plural = _("campaign calls")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "account"], name="lc_call_campaign_account"
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending") | models.Q(called_at__isnull=False),
                name="lc_call_done_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["caller", "status"], name="lc_call_caller_status"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.account_id}"
