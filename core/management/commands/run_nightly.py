"""`python manage.py run_nightly [--only STEP ...] [--as-of YYYY-MM-DD]`: the nightly run in this
process, synchronously, with a progress bar per step (DOMAIN.md §9)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from core import nightly


class Command(BaseCommand):
    help = "Run the nightly steps now, in this process, with a progress bar."

    def add_arguments(self, parser: Any) -> None:
        names = [step.name for step in nightly.STEPS]
        parser.add_argument(
            "--only", action="append", choices=names, help="run only this step (repeatable)"
        )
        parser.add_argument("--as-of", type=dt.date.fromisoformat, help="run date (default today)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of: dt.date = options["as_of"] or timezone.localdate()
        bars: list[tqdm] = []

        def progress_for(step: nightly.NightlyStep):  # type: ignore[no-untyped-def]
            bar = tqdm(
                desc=step.name, unit="chunk", disable=options["no_progress"], file=self.stderr
            )
            bars.append(bar)

            def progress(advance: int, total: int) -> None:
                bar.total = total
                bar.update(advance)

            return progress

        try:
            results = nightly.run_sync(
                as_of=as_of,
                only=options["only"],
                triggered_by="run_nightly",
                progress_for=progress_for,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            for bar in bars:
                bar.close()
        for result in results:
            self.stdout.write(
                f"{result.job} {result.as_of} {result.status}: {result.rows} rows "
                f"({(result.finished_at - result.started_at).total_seconds():.1f} s)"
            )
