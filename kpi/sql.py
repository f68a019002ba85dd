"""SQL fragments and boundaries shared by the snapshot step and the drill-down."""

# Set-based SQL assembled from fixed fragments; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings

from .credit import MAX_DEPTH

# Every branch (an account whose group root lies in another region) with its root's region:
# walk up through `parent` from each account that has one, at most MAX_DEPTH steps (a cycle never
# reaches a root, so it gets no split: kpi.credit.group_roots does the same).
BRANCH_ROOTS_SQL = (
    "WITH RECURSIVE kpi_up(account_id, node_id, depth) AS ("
    " SELECT id, parent_id, 1 FROM accounts_account WHERE parent_id IS NOT NULL"
    " UNION ALL"
    " SELECT u.account_id, p.parent_id, u.depth + 1 FROM kpi_up u"
    " JOIN accounts_account p ON p.id = u.node_id"
    f" WHERE p.parent_id IS NOT NULL AND u.depth < {MAX_DEPTH})"
    " SELECT u.account_id, r.region_id AS root_region_id FROM kpi_up u"
    " JOIN accounts_account r ON r.id = u.node_id"
    " JOIN accounts_account a ON a.id = u.account_id"
    " WHERE r.parent_id IS NULL AND r.region_id <> a.region_id"
)


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_bounds(start: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants bounding the local days `start` … `last`: [start 00:00, day after 00:00)."""
    zone = local_zone()
    begin = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return begin, end
