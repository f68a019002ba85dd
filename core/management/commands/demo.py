"""`python manage.py demo`: migrate, generate a realistic province, print logins, serve.

The work is a list of steps (`STEPS`); each is one line naming a function that takes the
`DemoRun`. A later capability adds its demo data by adding one line, e.g. billing's
`Step("bill_lines", _("Ingest 12 months of bill lines"), billing_demo_step)`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from billing.demo import demo_reset_step as billing_demo_reset_step
from billing.demo import demo_step as billing_demo_step
from core.demo import services
from core.demo.generator import DemoSpec, plan_staff
from kpi.demo import demo_step as kpi_demo_step
from kpi.demo_targets import demo_reset_step as kpi_reset_step
from kpi.demo_targets import demo_step as kpi_targets_demo_step
from lifecycle.campaigns.demo import demo_reset_step as campaigns_reset_step
from lifecycle.campaigns.demo import demo_step as campaigns_demo_step
from lifecycle.demo import demo_step as lifecycle_demo_step
from segmentation.demo import demo_step as segmentation_demo_step


@dataclass
class DemoRun:
    """What the steps share: the options, the spec and what earlier steps produced."""

    command: BaseCommand
    spec: DemoSpec
    reset: bool
    verbosity: int
    generated: bool = False
    logins: dict[str, tuple[str, str]] = field(default_factory=dict)
    billing_key: str = ""

    def say(self, message: str) -> None:
        self.command.stdout.write(message)


def step_migrate(run: DemoRun) -> None:
    call_command("migrate", interactive=False, verbosity=max(0, run.verbosity - 1))


def step_generate(run: DemoRun) -> None:
    if services.demo_exists():
        if not run.reset:
            run.say(_("Demo data already present; keeping it (use --reset to regenerate)."))
            return
        run.say(_("Removing the existing demo data…"))
        services.demo_reset(spec=run.spec)
    elif run.reset:
        services.demo_reset(spec=run.spec)
    try:
        result = services.demo_generate(spec=run.spec, triggered_by="manage.py demo")
    except IntegrityError as exc:
        raise CommandError(
            _("The database already holds conflicting regions or users (%(error)s). Run again "
              "with --reset to replace them with the demo province.") % {"error": exc}
        ) from exc  # fmt: skip
    run.generated = True
    counts = ", ".join(f"{label.split('.')[1]} {n:,}" for label, n in result.counts.items())
    run.say(
        _("Generated in %(seconds).1f s: %(counts)s")
        % {"seconds": result.seconds, "counts": counts}
    )


def step_logins(run: DemoRun) -> None:
    run.logins = services.demo_set_passwords(plan=plan_staff(run.spec))


def step_billing_client(run: DemoRun) -> None:
    run.billing_key = services.demo_billing_client().key


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    action: Callable[[DemoRun], None]


STEPS: tuple[Step, ...] = (
    Step("migrate", N_("Apply database migrations"), step_migrate),
    Step("bill_reset", N_("With --reset: remove bill data first"), billing_demo_reset_step),
    Step("campaign_reset", N_("With --reset: remove call campaigns"), campaigns_reset_step),
    Step("kpi_reset", N_("With --reset: remove KPI schemes, targets and snapshots"), kpi_reset_step),  # noqa: E501
    Step("generate", N_("Generate the province: regions, staff, accounts and their records"), step_generate),  # noqa: E501
    Step("logins", N_("Give every demo user their role's known password"), step_logins),
    Step("billing_client", N_("Issue an API key for the billing machine client"), step_billing_client),  # noqa: E501
    Step("segmentation", N_("Record indicators and score every account"), segmentation_demo_step),
    Step("bill_lines", N_("Ingest 12 months of bill lines"), billing_demo_step),
    Step("lifecycle", N_("Compute lifecycle stages, churn flags and retention tasks"), lifecycle_demo_step),  # noqa: E501
    Step("campaigns", N_("Create call campaigns and record some calls"), campaigns_demo_step),
    Step("kpi", N_("Compute a year of KPI snapshots (month-ends and the last 30 days)"), kpi_demo_step),  # noqa: E501
    Step("kpi_targets", N_("Create the KPI scheme and targets from the snapshots"), kpi_targets_demo_step),  # noqa: E501
)  # fmt: skip


class Command(BaseCommand):
    help = "Migrate, generate a deterministic demo province, print the logins and serve the app."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=2024)
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            default=None,
            help="the 'today' the data is generated around (default: today)",
        )
        parser.add_argument("--reset", action="store_true", help="replace existing demo data")
        parser.add_argument("--no-serve", action="store_true", help="stop after printing logins")
        parser.add_argument("--addrport", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["accounts"] < 1:
            raise CommandError(_("--accounts must be at least 1."))
        spec = DemoSpec(
            accounts=options["accounts"],
            seed=options["seed"],
            as_of=options["as_of"] or services.default_as_of(),
        )
        run = DemoRun(
            command=self, spec=spec, reset=options["reset"], verbosity=options["verbosity"]
        )
        for number, step in enumerate(STEPS, start=1):
            started = time.monotonic()
            self.stdout.write(f"[{number}/{len(STEPS)}] {_(step.title)}…")
            step.action(run)
            self.stdout.write(f"      {time.monotonic() - started:.1f} s")
        self._print_logins(run, options["addrport"])
        if not options["no_serve"]:
            call_command("runserver", options["addrport"], use_reloader=False)

    def _print_logins(self, run: DemoRun, addrport: str) -> None:
        labels = {
            "hq": _("headquarters"),
            "regional_manager": _("regional manager (Guangzhou)"),
            "account_manager": _("account manager (Guangzhou Tianhe)"),
        }
        lines = ["", self.style.SUCCESS(_("GroupCRM demo is ready at http://%s/") % addrport), ""]
        for role, (username, password) in run.logins.items():
            # Label last: CJK labels are double width and would break a padded column.
            lines.append(f"  {username:<14} / {password:<16} {labels[role]}")
        lines.append("")
        lines.append(
            _("  Every demo user of a role shares its password (e.g. rm_sz, am_sz_ns_01).")
        )
        lines.append(
            _("  Billing machine client key (header 'Authorization: Api-Key <key>'): %s")
            % run.billing_key
        )
        lines.append("")
        self.stdout.write("\n".join(lines))
