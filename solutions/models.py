from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel

from . import domain


class SolutionModule(models.Model):
    """One of the nine fixed business modules; rows are seeded by a data migration."""

    class Code(models.TextChoices):
        TRANSMISSION = "transmission", _("information transmission")
        TERMINAL_ACCESS = "terminal_access", _("terminal and network access")
        IT_INFRASTRUCTURE = "it_infrastructure", _("basic IT systems")
        FINANCE = "finance", _("financial management")
        OFFICE = "office", _("office (OA)")
        HR = "hr", _("human resources")
        PRODUCTION = "production", _("production and work processes")
        CUSTOMER_MGMT = "customer_mgmt", _("customer management (CRM)")
        PARTNER_MGMT = "partner_mgmt", _("partner management (PRM)")

    class Layer(models.TextChoices):
        BASIC = domain.LAYER_BASIC, _("basic needs")
        APPLICATION = domain.LAYER_APPLICATION, _("application")

    class Scope(models.TextChoices):
        NONE = "", _("—")
        INTERNAL = domain.SCOPE_INTERNAL, _("internal")
        EXTERNAL = domain.SCOPE_EXTERNAL, _("external")

    code = models.CharField(_("code"), max_length=32, unique=True, choices=Code.choices)
    layer = models.CharField(_("layer"), max_length=16, choices=Layer.choices)
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, blank=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("solution module")
        verbose_name_plural = _("solution modules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__in=list(domain.MODULE_CODES)),
                name="solutions_module_code_fixed",
            ),
            models.CheckConstraint(
                condition=models.Q(layer=domain.LAYER_BASIC, scope="")
                | models.Q(
                    layer=domain.LAYER_APPLICATION,
                    scope__in=[domain.SCOPE_INTERNAL, domain.SCOPE_EXTERNAL],
                ),
                name="solutions_module_layer_scope",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Product(TimeStampedModel):
    """A billable product. `product_code` is the code the billing system sends on bill lines."""

    product_code = models.CharField(_("product code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    module = models.ForeignKey(
        SolutionModule,
        verbose_name=_("module"),
        on_delete=models.PROTECT,
        related_name="products",
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(product_code__regex=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"),
                name="solutions_product_code_shape",
            )
        ]
        indexes = [models.Index(fields=["module", "product_code"], name="solutions_prod_module")]

    def __str__(self) -> str:
        return f"{self.name} ({self.product_code})"
