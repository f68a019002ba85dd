"""Bill lines and the ledger of every batch that brought them.

A bill line is keyed by its natural key (account, period, product). A correction replaces the
line's values and bumps its `version`; the values it replaced are copied into `BillLineVersion` by
a database trigger (see migration 0002), so no write path — the bulk upsert, the admin, a shell —
can change a line without keeping what it was.

`AccountMonth` and `FirstRevenue` sum the lines per account and month (and keep each account's
first month with revenue). Database triggers on the bill line table keep them exact in the same
statement as every write (migration 0003), so the nightly lifecycle step and the campaign rules
read ~one narrow row per account and month instead of every line."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IngestBatch(models.Model):
    """One received request (API batch, hq CSV upload or demo feed), kept with its payload."""

    class Source(models.TextChoices):
        API = "api", _("API")
        CSV = "csv", _("CSV upload")
        DEMO = "demo", _("demo generator")

    class Status(models.TextChoices):
        PROCESSING = "processing", _("processing")
        COMPLETED = "completed", _("completed")

    # NULL once the key has outlived its retention (BILLING["IDEMPOTENCY_KEY_DAYS"]): the batch
    # and its payload stay for traceability, only the replay guarantee expires.
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, null=True, blank=True)
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="billing_batches",
        db_index=False,  # billing_batch_client_id (client, -id) leads with it
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PROCESSING
    )
    body_sha256 = models.CharField(_("body SHA-256"), max_length=64)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    payload = models.BinaryField(_("payload (zlib)"))
    payload_bytes = models.PositiveIntegerField(_("payload size"), default=0)
    record_count = models.PositiveIntegerField(_("records"), default=0)
    inserted_count = models.PositiveIntegerField(_("inserted"), default=0)
    updated_count = models.PositiveIntegerField(_("corrected"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    quarantined_count = models.PositiveIntegerField(_("quarantined"), default=0)
    response_status = models.PositiveSmallIntegerField(_("response status"), default=0)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    key_expired_at = models.DateTimeField(_("key expired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ingest batch")
        verbose_name_plural = _("ingest batches")
        constraints = [
            models.UniqueConstraint(
                fields=["client", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="billing_batch_client_key_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(status="processing") | models.Q(completed_at__isnull=False),
                name="billing_batch_completed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["client", "-id"], name="billing_batch_client_id")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.source} {self.idempotency_key or ''}"


class BillLine(models.Model):
    # No separate indexes on account and product: the natural key's unique index leads with the
    # account. Every index is written for each of the millions of lines a year brings.
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="bill_lines",
        db_index=False,
    )
    # The billing month, stored as its first day.
    period_on = models.DateField(_("period"))
    product = models.ForeignKey(
        "solutions.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="bill_lines",
        db_index=False,
    )
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    quantity = models.BigIntegerField(_("quantity"))
    member_count = models.IntegerField(_("member lines"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    # Line → batch is a key lookup; batch → lines is forensic and rare, so no index on it. No
    # database FK either: the batch row is inserted by the very transaction that writes the line
    # (and batches are never deleted), while PostgreSQL's per-row FK check on one hot batch row
    # cost ~30 % of ingestion time (bench/results/billing_ingest.md). Account and product keep
    # their FKs: those rows are written by other people.
    batch = models.ForeignKey(
        IngestBatch,
        verbose_name=_("last written by batch"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("bill line")
        verbose_name_plural = _("bill lines")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "period_on", "product"], name="billing_line_natural_key"
            ),
            models.CheckConstraint(
                condition=models.Q(period_on__day=1), name="billing_line_period_first_day"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="billing_line_quantity_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(member_count__isnull=True) | models.Q(member_count__gte=0),
                name="billing_line_member_count_not_negative",
            ),
        ]
        # Only the natural key's index (account, period, product): per-account reads use it;
        # monthly jobs over all accounts read a period's lines in one scan anyway. Each extra
        # index costs ~15 % of ingestion throughput (bench/results/billing_ingest.md).

    def __str__(self) -> str:
        return f"{self.account_id} {self.period_on:%Y-%m} {self.product_id} {self.amount}"


class AccountMonth(models.Model):
    """One account's billed month, summed from its bill lines. Written only by the triggers of
    migration 0003 (recomputed from the lines of every (account, month) a statement touched), so
    it always equals the lines; `billing.summary.check()` proves it and `rebuild()` redoes it."""

    pk = models.CompositePrimaryKey("account_id", "period_on")
    # No database FK: the row exists only while the account has bill lines, and a bill line's
    # own FK already protects the account (every FK is checked per row at each month's load).
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,  # the primary key leads with it
    )
    period_on = models.DateField(_("period"))
    # The month's amounts summed, in fen (exact integers on both databases).
    revenue_cents = models.BigIntegerField(_("revenue (fen)"))
    # Lines with a positive amount, and their product ids in ascending order.
    products = models.IntegerField(_("products billed"))
    product_ids = models.JSONField(_("product ids billed"), default=list)
    members = models.BigIntegerField(_("member lines"))

    class Meta:
        verbose_name = _("account month")
        verbose_name_plural = _("account months")

    def __str__(self) -> str:
        return f"{self.account_id} {self.period_on:%Y-%m} {self.revenue_cents}"


class FirstRevenue(models.Model):
    """The first month in which an account's billed revenue was positive (kept by the same
    triggers as `AccountMonth`; no row for an account that never had revenue)."""

    account = models.OneToOneField(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.DO_NOTHING,
        primary_key=True,
        related_name="+",
        db_constraint=False,
    )
    period_on = models.DateField(_("first month with revenue"))

    class Meta:
        verbose_name = _("first revenue month")
        verbose_name_plural = _("first revenue months")

    def __str__(self) -> str:
        return f"{self.account_id} {self.period_on:%Y-%m}"


class BillLineVersion(models.Model):
    """A superseded version of a bill line: the values it had before a correction."""

    line = models.ForeignKey(
        BillLine,
        verbose_name=_("bill line"),
        on_delete=models.CASCADE,
        related_name="versions",
        db_index=False,  # billing_version_unique (line, version) leads with it
    )
    version = models.PositiveIntegerField(_("version"))
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    quantity = models.BigIntegerField(_("quantity"))
    member_count = models.IntegerField(_("member lines"), null=True, blank=True)
    batch = models.ForeignKey(
        IngestBatch,
        verbose_name=_("written by batch"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # billing_version_batch
    )
    superseded_by_batch = models.ForeignKey(
        IngestBatch,
        verbose_name=_("superseded by batch"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # billing_version_superseded_by
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    superseded_at = models.DateTimeField(_("superseded at"))

    class Meta:
        verbose_name = _("bill line version")
        verbose_name_plural = _("bill line versions")
        constraints = [
            models.UniqueConstraint(fields=["line", "version"], name="billing_version_unique")
        ]
        indexes = [
            models.Index(fields=["superseded_by_batch"], name="billing_version_superseded_by"),
            models.Index(fields=["batch"], name="billing_version_batch"),
        ]

    def __str__(self) -> str:
        return f"line {self.line_id} v{self.version}"


class QuarantinedRecord(models.Model):
    """An invalid record of a batch, kept verbatim with its errors until it is reprocessed."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        REPROCESSED = "reprocessed", _("reprocessed")
        # A newer batch already wrote the same natural key: applying this older record would
        # undo a later correction, so it is closed instead.
        SUPERSEDED = "superseded", _("superseded")

    batch = models.ForeignKey(
        IngestBatch,
        verbose_name=_("batch"),
        on_delete=models.PROTECT,
        related_name="quarantined",
        db_index=False,  # billing_quarantine_unique (batch, index) leads with it
    )
    index = models.PositiveIntegerField(_("index in batch"))
    # The record exactly as received, as JSON text (text, not jsonb: jsonb refuses \u0000).
    raw = models.TextField(_("raw record"))
    errors = models.JSONField(_("errors"), default=list)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    reprocessed_at = models.DateTimeField(_("reprocessed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("quarantined record")
        verbose_name_plural = _("quarantined records")
        constraints = [
            models.UniqueConstraint(fields=["batch", "index"], name="billing_quarantine_unique")
        ]
        indexes = [
            models.Index(
                fields=["batch", "index"],
                condition=models.Q(status="open"),
                name="billing_quarantine_open",
            )
        ]

    def __str__(self) -> str:
        return f"batch {self.batch_id} #{self.index} {self.status}"
