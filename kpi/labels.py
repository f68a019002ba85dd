"""What the pages say about each metric (DOMAIN.md §8): its exact definition, the direction in
which it is better and its unit. The sentences follow `kpi.metrics` word for word; change both
together."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from . import metrics as m

# One translatable sentence per metric, shown next to the number (hover or info panel).
METRIC_DEFINITIONS = {
    m.CHURN_RATE: _(
        "Accounts that reached stage E (churned) in the period, divided by the accounts active "
        "at the period's start (stage A to D then; before any lifecycle history, status active "
        "and joined before the start). Cross-region groups are credited per the coordination "
        "share."
    ),
    m.HIGH_VALUE_CHURN_RATE: _(
        "The churn rate of economic and social accounts only (a class override takes "
        "precedence over the computed class)."
    ),
    m.IT_PENETRATION: _(
        "Active accounts billed a positive amount for a product of an application-layer module "
        "in the last 3 closed months, divided by active accounts. Cross-region groups are "
        "credited per the coordination share."
    ),
    m.NEW_ACCOUNTS: _("Accounts that joined in the period."),
    m.ACCOUNTS_IN_GROWTH: _("Accounts in lifecycle stage B (growth) on the snapshot date."),
    m.RETENTION_ON_TIME: _(
        "Retention tasks due in the period (up to the snapshot date) that were closed on or "
        "before their due date, divided by those tasks."
    ),
    m.COMPLAINT_SLA: _(
        "Complaints whose SLA due time fell in the period (up to the snapshot date) and that "
        "were resolved by it, divided by those complaints."
    ),
    m.KEY_PERSON_COVERAGE: _(
        "Economic and social accounts with a decision maker on record who has not left, "
        "divided by economic and social accounts."
    ),
    m.VISITS_PER_AM: _(
        "Visits logged in the period on the scope's accounts, divided by the scope's account "
        "managers (1 for an account manager's own portfolio)."
    ),
    m.BILLED_REVENUE: _(
        "The sum of bill lines of the months in the period, in CNY. Cross-region groups are "
        "credited per the coordination share."
    ),
}

# A branch of a cross-region group (DOMAIN.md §3), said once under the scorecard.
CREDIT_NOTE = _(
    "A branch whose group headquarters lies in another region counts %(branch)s%% for its own "
    "region and %(hq)s%% for the headquarters' region in revenue, churn and penetration; an "
    "account manager's own figures count their accounts in full."
)

PERCENT = "percent"
COUNT = "count"
CNY = "cny"
RATIO = "ratio"

# How to show a value: a fraction as a percentage, a count, money, or a plain ratio.
METRIC_UNITS = {
    m.CHURN_RATE: PERCENT,
    m.HIGH_VALUE_CHURN_RATE: PERCENT,
    m.IT_PENETRATION: PERCENT,
    m.NEW_ACCOUNTS: COUNT,
    m.ACCOUNTS_IN_GROWTH: COUNT,
    m.RETENTION_ON_TIME: PERCENT,
    m.COMPLAINT_SLA: PERCENT,
    m.KEY_PERSON_COVERAGE: PERCENT,
    m.VISITS_PER_AM: RATIO,
    m.BILLED_REVENUE: CNY,
}

# The natural direction (the scheme may say otherwise).
METRIC_DIRECTIONS = {
    metric: ("lower" if metric in m.LOWER_IS_BETTER else "higher") for metric in m.METRICS
}

DIMENSION_BUCKET_NONE = _("none")
