from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


class JobRun(models.Model):
    """The ledger of nightly and bulk work: every run is recorded, with progress while it runs."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    job = models.CharField(_("job"), max_length=100)
    as_of = models.DateField(_("as of"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RUNNING
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    rows = models.PositiveBigIntegerField(_("rows"), default=0)
    total = models.PositiveBigIntegerField(_("total"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    triggered_by = models.CharField(_("triggered by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        indexes = [models.Index(fields=["job", "-started_at"], name="core_jobrun_job_started")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(finished_at__isnull=True)
                | models.Q(finished_at__gte=models.F("started_at")),
                name="core_jobrun_finished_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.as_of or ''} {self.status}"


class Notification(models.Model):
    """An in-app notification for one user (also sent by e-mail when the user has an address).
    `key` makes creation idempotent: a nightly re-run that would notify again finds the row."""

    class Kind(models.TextChoices):
        HIGH_RISK = "high_risk", _("new high churn risk")
        TASK_OVERDUE = "task_overdue", _("retention task overdue")

    recipient = models.ForeignKey(
        "org.User",
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # core_notification_recipient leads with it
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=100)
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    # Stored as plain parameters, rendered in the reader's language when shown.
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "key"], name="core_notification_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient", "read_at", "-created_at"],
                name="core_notification_recipient",
            ),
            # The e-mail queue: only the notifications not yet e-mailed, walked in id order in
            # batches (the first lifecycle night queues 140k at 1M accounts).
            models.Index(
                fields=["id"],
                condition=models.Q(emailed_at__isnull=True),
                name="core_notification_unsent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind} {self.key}"
