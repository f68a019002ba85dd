"""The pure rules behind the workspace pages (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.domain import DRIVER_MEANS, SlaState, sla_state, upcoming_month_days
from accounts.labels import MEANS_LABELS, SLA_LABELS

OPENED = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("hours_after_open", "resolved_after", "sla_hours", "expected"),
    [
        (1, None, 24, SlaState.ON_TRACK),
        (17, None, 24, SlaState.ON_TRACK),  # 7 h left of 24: more than a quarter
        (19, None, 24, SlaState.DUE_SOON),  # 5 h left: within the last quarter
        (25, None, 24, SlaState.BREACHED),
        (3.5, None, 4, SlaState.DUE_SOON),  # a 4 h SLA warns in its last hour (minimum)
        (2.5, None, 4, SlaState.ON_TRACK),
        (30, 20, 24, SlaState.MET),
        (30, 24, 24, SlaState.MET),  # on the dot is in time
        (30, 25, 24, SlaState.MISSED),
    ],
)
def test_sla_state(hours_after_open, resolved_after, sla_hours, expected):
    due = OPENED + dt.timedelta(hours=sla_hours)
    resolved = OPENED + dt.timedelta(hours=resolved_after) if resolved_after is not None else None
    now = OPENED + dt.timedelta(hours=hours_after_open)
    assert sla_state(now=now, opened_at=OPENED, due_at=due, resolved_at=resolved) == expected


def test_upcoming_month_days_crosses_the_year_and_remembers_29_february():
    assert upcoming_month_days(dt.date(2026, 12, 30), 3) == [(12, 30), (12, 31), (1, 1)]
    days = upcoming_month_days(dt.date(2027, 2, 27), 3)  # 2027 is not a leap year
    assert (2, 29) in days and days[-1] == (3, 1)
    assert (2, 29) not in upcoming_month_days(dt.date(2028, 2, 27), 2)  # 2028 has one


def test_every_communication_means_and_sla_state_has_a_label():
    means = {m for options in DRIVER_MEANS.values() for m in options}
    assert means <= set(MEANS_LABELS)
    assert set(SlaState) == set(SLA_LABELS)
