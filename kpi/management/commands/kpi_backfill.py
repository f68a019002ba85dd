"""`python manage.py kpi_backfill [--as-of YYYY-MM-DD] [--date YYYY-MM-DD ...]`: KPI snapshots of
several nights in this process (default: the month-ends of the last KPI["BACKFILL_MONTHS"] closed
months and the last KPI["BACKFILL_DAYS"] days)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from kpi.runs import backfill_run


class Command(BaseCommand):
    help = "Compute KPI snapshots for past nights (month-ends and recent days)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
        parser.add_argument(
            "--date", dest="dates", type=dt.date.fromisoformat, action="append", default=None
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = options["as_of"] or timezone.localdate()
        run = backfill_run(as_of=as_of, dates=options["dates"], triggered_by="manage.py")
        self.stdout.write(f"{run.total} nights, {run.rows} rows, run {run.pk} {run.status}")
