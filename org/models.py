from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel


def region_label(name: str, name_en: str | None, language: str | None = None) -> str:
    """A region's display name in `language` (default: the active one): `name_en` for English
    when it is set, the official name otherwise (and for Chinese)."""
    language = language if language is not None else (get_language() or "")
    if name_en and language.startswith("en"):
        return name_en
    return name


class Region(TimeStampedModel):
    """A node of the region tree: province → city → district, of any depth.

    `path` is the materialised path of codes ("/GD/GZ/TH/"), so a subtree is one indexed prefix
    match, for visibility and for KPI roll-ups alike."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("province")
        CITY = "city", _("city")
        DISTRICT = "district", _("district")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=512, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(code__contains="/"), name="org_region_code_has_no_slash"
            ),
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True) | ~models.Q(parent=models.F("id")),
                name="org_region_not_own_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name to show: the English name when the active language is English and one is
        recorded, else the official (Chinese) name. Exports and the API keep both columns."""
        return region_label(self.name, self.name_en)

    def compute_path(self) -> str:
        prefix = self.parent.path if self.parent_id and self.parent else "/"
        return f"{prefix}{self.code}/"


class User(AbstractUser):
    """Staff and machine principals. The role decides what the visibility policy lets them see."""

    class Role(models.TextChoices):
        ACCOUNT_MANAGER = "account_manager", _("account manager")
        REGIONAL_MANAGER = "regional_manager", _("regional manager")
        HQ = "hq", _("headquarters")
        BILLING_CLIENT = "billing_client", _("billing client")

    role = models.CharField(
        _("role"), max_length=32, choices=Role.choices, default=Role.ACCOUNT_MANAGER
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        # django-stubs type the inherited Meta's names as str; lazy translations are what Django
        # documents.
        verbose_name = _("user")  # type: ignore[assignment]
        verbose_name_plural = _("users")  # type: ignore[assignment]
        constraints = [
            # A regional manager without a region would see nothing or, worse, be special-cased.
            models.CheckConstraint(
                condition=~models.Q(role="regional_manager") | models.Q(region__isnull=False),
                name="org_user_regional_manager_has_region",
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def label(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class AccountTeamMember(TimeStampedModel):
    """Supporting staff on an account team (solution engineer, service manager, ...)."""

    class TeamRole(models.TextChoices):
        SOLUTION_ENGINEER = "solution_engineer", _("solution engineer")
        SERVICE_MANAGER = "service_manager", _("service manager")
        DEPUTY_MANAGER = "deputy_manager", _("deputy account manager")
        OTHER = "other", _("other")

    class Access(models.TextChoices):
        READ = "read", _("read")
        EDIT = "edit", _("edit")

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="team_members",
    )
    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="account_teams"
    )
    team_role = models.CharField(_("team role"), max_length=32, choices=TeamRole.choices)
    access = models.CharField(
        _("access"), max_length=8, choices=Access.choices, default=Access.READ
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("account team member")
        verbose_name_plural = _("account team members")
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="org_team_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.account_id}"


class MachineClientKey(AbstractAPIKey):
    """A hashed API key for a machine client (the billing system). The key itself is shown once;
    only its SHA-512 hash is stored. It expires, can be revoked, and carries scopes."""

    user = models.ForeignKey(
        User, verbose_name=_("client user"), on_delete=models.CASCADE, related_name="api_keys"
    )
    scopes = models.JSONField(_("scopes"), default=list)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("machine client key")  # type: ignore[assignment]
        verbose_name_plural = _("machine client keys")  # type: ignore[assignment]
