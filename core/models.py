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
