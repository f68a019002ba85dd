from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel

from .querysets import AccountQuerySet


class OrgKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("enterprise")
    GOVERNMENT = "government", _("government")
    PUBLIC_INSTITUTION = "public_institution", _("public institution")
    NON_PROFIT = "non_profit", _("non-profit")


class Industry(models.TextChoices):
    FINANCE = "finance", _("finance")
    LOGISTICS_TRANSPORT = "logistics_transport", _("logistics and transport")
    PETROCHEMICAL = "petrochemical", _("petrochemical")
    GOVERNMENT = "government", _("government")
    RETAIL_CONSUMER = "retail_consumer", _("retail and consumer")
    POWER = "power", _("power")
    ELECTRONICS = "electronics", _("electronics")
    HEALTHCARE = "healthcare", _("healthcare")
    EDUCATION = "education", _("education")
    MANUFACTURING = "manufacturing", _("manufacturing")
    OTHER = "other", _("other")


class SizeBand(models.TextChoices):
    LARGE = "large", _("large")
    MEDIUM = "medium", _("medium")
    SMALL = "small", _("small")
    MICRO = "micro", _("micro")


class AccountStatus(models.TextChoices):
    PROSPECT = "prospect", _("prospect")
    ACTIVE = "active", _("active")
    CHURNED = "churned", _("churned")


class Account(TimeStampedModel):
    """A group customer (集团客户). `code` is the operator's group-customer code billing uses."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, default=""
    )
    org_kind = models.CharField(_("organisation kind"), max_length=32, choices=OrgKind.choices)
    industry = models.CharField(_("industry"), max_length=32, choices=Industry.choices)
    size_band = models.CharField(_("size band"), max_length=16, choices=SizeBand.choices)
    region = models.ForeignKey(
        "org.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="accounts"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.PROTECT,
        related_name="owned_accounts",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="branches",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=AccountStatus.choices, default=AccountStatus.PROSPECT
    )
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    contract_end = models.DateField(_("contract end"), null=True, blank=True)
    # Optimistic locking: every edit must name the version it was based on.
    version = models.PositiveIntegerField(_("version"), default=1)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = AccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("group customer")
        verbose_name_plural = _("group customers")
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~models.Q(credit_code=""),
                name="accounts_account_credit_code_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True) | ~models.Q(parent=models.F("id")),
                name="accounts_account_not_own_parent",
            ),
            models.CheckConstraint(
                condition=models.Q(org_kind__in=OrgKind.values), name="accounts_account_org_kind"
            ),
            models.CheckConstraint(
                condition=models.Q(industry__in=Industry.values), name="accounts_account_industry"
            ),
            models.CheckConstraint(
                condition=models.Q(size_band__in=SizeBand.values),
                name="accounts_account_size_band",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=AccountStatus.values),
                name="accounts_account_status",
            ),
            models.CheckConstraint(
                condition=models.Q(credit_code__regex=r"^([0-9A-Z]{18})?$"),
                name="accounts_account_credit_code_shape",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "code"], name="accounts_acc_owner_code"),
            models.Index(fields=["region", "code"], name="accounts_acc_region_code"),
            # min/max name per region for the list bounds (AccountQuerySet.region_bounded).
            models.Index(fields=["region", "name", "code"], name="accounts_acc_region_name_code"),
            models.Index(fields=["name", "code"], name="accounts_acc_name_code"),
            models.Index(fields=["industry", "code"], name="accounts_acc_industry_code"),
            models.Index(fields=["status", "code"], name="accounts_acc_status_code"),
            # The list API's other orderings, each with the `code` tiebreaker (bench/README.md).
            models.Index(fields=["joined_on", "code"], name="accounts_acc_joined_code"),
            models.Index(fields=["contract_end", "code"], name="accounts_acc_contract_code"),
            models.Index(fields=["updated_at", "code"], name="accounts_acc_updated_code"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class KeyPersonRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("decision maker")
    INFLUENCER = "influencer", _("influencer")
    IT_LEAD = "it_lead", _("IT lead")
    # The same English words mean other things elsewhere (the finance industry, a system user).
    FINANCE = "finance", pgettext_lazy("key person role", "finance")
    USER = "user", pgettext_lazy("key person role", "user")
    CHAMPION = "champion", _("champion")


class KeyPerson(TimeStampedModel):
    """关键个人: a person at the customer whose decisions or influence matter to us."""

    Role = KeyPersonRole

    class Driver(models.TextChoices):
        POWER = "power", pgettext_lazy("key person driver", "power")
        ACHIEVEMENT = "achievement", _("achievement")
        RECOGNITION = "recognition", _("recognition")
        BELONGING = "belonging", _("belonging")
        ORDERLINESS = "orderliness", _("orderliness")
        SECURITY = "security", _("security")
        FINANCIAL = "financial", _("financial (organisation)")
        PERFORMANCE = "performance", _("performance (organisation)")
        IMAGE = "image", _("image (organisation)")

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="key_persons"
    )
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("title"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    influence = models.PositiveSmallIntegerField(_("influence"), default=3)
    relationship = models.PositiveSmallIntegerField(_("relationship"), default=3)
    drivers = models.JSONField(_("top drivers"), default=list, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    birthday_on = models.DateField(_("birthday"), null=True, blank=True)
    care_notes = models.CharField(_("care notes"), max_length=500, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("key person")
        verbose_name_plural = _("key persons")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(influence__gte=1, influence__lte=5),
                name="accounts_keyperson_influence_1_5",
            ),
            models.CheckConstraint(
                condition=models.Q(relationship__gte=1, relationship__lte=5),
                name="accounts_keyperson_relationship_1_5",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=KeyPersonRole.values), name="accounts_keyperson_role"
            ),
        ]
        indexes = [models.Index(fields=["account", "role"], name="accounts_kp_account_role")]

    def __str__(self) -> str:
        return self.name


class CareDate(models.Model):
    """A yearly care occasion for a key person (festival, anniversary), recurring on month/day."""

    class Occasion(models.TextChoices):
        SPRING_FESTIVAL = "spring_festival", _("Spring Festival")
        MID_AUTUMN = "mid_autumn", _("Mid-Autumn Festival")
        DRAGON_BOAT = "dragon_boat", _("Dragon Boat Festival")
        NATIONAL_DAY = "national_day", _("National Day")
        NEW_YEAR = "new_year", _("New Year")
        TEACHERS_DAY = "teachers_day", _("Teachers' Day")
        ANNIVERSARY = "anniversary", _("company anniversary")
        OTHER = "other", _("other")

    key_person = models.ForeignKey(
        KeyPerson, verbose_name=_("key person"), on_delete=models.CASCADE, related_name="care_dates"
    )
    occasion = models.CharField(_("occasion"), max_length=32, choices=Occasion.choices)
    month = models.PositiveSmallIntegerField(_("month"))
    day = models.PositiveSmallIntegerField(_("day"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("care date")
        verbose_name_plural = _("care dates")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(month__gte=1, month__lte=12, day__gte=1, day__lte=31),
                name="accounts_caredate_valid_day",
            )
        ]
        indexes = [models.Index(fields=["month", "day"], name="accounts_caredate_month_day")]

    def __str__(self) -> str:
        return f"{self.get_occasion_display()} {self.month}-{self.day}"


class Member(TimeStampedModel):
    """成员: an individual subscriber line under the group, stored masked."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="members"
    )
    number_masked = models.CharField(_("number (masked)"), max_length=16)
    cost_centre = models.CharField(_("department or cost centre"), max_length=100, blank=True)
    is_vip = models.BooleanField(_("personal VIP"), default=False)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("member line")
        verbose_name_plural = _("member lines")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number_masked__regex=r"^[0-9]{3}\*{4}[0-9]{4}$"),
                name="accounts_member_number_is_masked",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "is_vip"], name="accounts_member_account_vip"),
            models.Index(fields=["account", "cost_centre"], name="accounts_member_acc_cc"),
        ]

    def __str__(self) -> str:
        return self.number_masked


class ActivityKind(models.TextChoices):
    VISIT = "visit", _("visit")
    CALL = "call", _("call")
    MEETING = "meeting", _("meeting")
    EMAIL = "email", _("e-mail")
    CARE = "care", _("care action")


class Activity(TimeStampedModel):
    Kind = ActivityKind

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="activities"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    occurred_on = models.DateField(_("date"))
    key_person = models.ForeignKey(
        KeyPerson,
        verbose_name=_("key person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    outcome = models.TextField(_("outcome"), blank=True, max_length=4000)
    next_step = models.CharField(_("next step"), max_length=500, blank=True)
    next_step_on = models.DateField(_("next step due"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ActivityKind.values), name="accounts_activity_kind"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-occurred_on", "-id"], name="accounts_act_timeline"),
            models.Index(fields=["created_by", "next_step_on"], name="accounts_act_due"),
        ]

    def __str__(self) -> str:
        return self.subject


class ServiceRequest(TimeStampedModel):
    """A service request or complaint, with severity and an SLA (hours to resolve)."""

    class Kind(models.TextChoices):
        REQUEST = "request", _("service request")
        COMPLAINT = "complaint", _("complaint")

    class Severity(models.TextChoices):
        LOW = "low", _("low")
        MEDIUM = "medium", _("medium")
        HIGH = "high", _("high")
        CRITICAL = "critical", _("critical")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        IN_PROGRESS = "in_progress", _("in progress")
        RESOLVED = "resolved", _("resolved")

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="service_requests",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=4000)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    opened_at = models.DateTimeField(_("opened at"))
    sla_due_at = models.DateTimeField(_("SLA due at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True, max_length=4000)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True)
                | models.Q(resolved_at__gte=models.F("opened_at")),
                name="accounts_sr_resolved_after_opened",
            ),
            models.CheckConstraint(
                condition=models.Q(sla_due_at__gte=models.F("opened_at")),
                name="accounts_sr_sla_after_opened",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="resolved") | models.Q(resolved_at__isnull=False),
                name="accounts_sr_resolved_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "status"], name="accounts_sr_account_status"),
            models.Index(fields=["status", "sla_due_at"], name="accounts_sr_status_due"),
        ]

    def __str__(self) -> str:
        return self.title
