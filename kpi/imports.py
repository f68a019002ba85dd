"""Importing KPI targets from CSV or Excel, with a dry run listing problems by row and column.

The file is read by the account import's safe readers (`accounts.imports`: size, encoding UTF-8 /
GBK, zip-bomb limits on .xlsx, no formulas). One row is one target: the scope (a `region` code or
an `account_manager` username, exactly one), the `metric`, the `quarter` (Q1–Q4 or Y), and the
`realistic` and `stretch` values. Rates may be written as fractions (0.04) or percentages (4 %).
Nothing is written unless every row passes; then all rows go through `services.targets_set`."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from accounts import imports as account_imports
from org.models import Region, User

from . import domain, services
from .models import KpiScheme, Metric

ImportRejected = account_imports.ImportRejected

COLUMNS: dict[str, tuple[str, ...]] = {
    "region": ("region", "区域", "区域编码", "地区"),
    "account_manager": ("account_manager", "客户经理", "客户经理账号"),
    "metric": ("metric", "指标", "考核指标"),
    "quarter": ("quarter", "季度", "期间"),
    "realistic": ("realistic", "基本目标", "目标值"),
    "stretch": ("stretch", "挑战目标"),
}
REQUIRED = ("metric", "quarter", "realistic", "stretch")
QUARTER_ALIASES = {
    "q1": "Q1", "q2": "Q2", "q3": "Q3", "q4": "Q4", "y": "Y", "year": "Y",
    "一季度": "Q1", "二季度": "Q2", "三季度": "Q3", "四季度": "Q4", "全年": "Y", "年度": "Y",
}  # fmt: skip
MAX_VALUE = Decimal("1e11")


@dataclass
class Problem:
    row: int
    column: str
    message: str


@dataclass
class TargetDryRun:
    entries: list[services.TargetEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    total: int = 0
    creates: int = 0
    updates: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and self.total > 0


def _norm(text: str) -> str:
    return "".join(str(text).split()).lower()


_ALIASES = {_norm(alias): name for name, aliases in COLUMNS.items() for alias in aliases}


def _metric_lookup() -> dict[str, str]:
    lookup = {}
    for value, label in Metric.choices:
        lookup[_norm(value)] = value
        lookup[_norm(str(label))] = value
    from django.utils import translation

    with translation.override("zh-hans"):
        for value, label in Metric.choices:
            lookup[_norm(str(label))] = value
    return lookup


def read_file(filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """Rows as (line number, column → text). Rejects the whole file if it is unsafe, a column is
    unknown or a required one is missing."""
    lim = account_imports.limits()
    if not data:
        raise ImportRejected(_("The file is empty."))
    if len(data) > lim["max_bytes"]:
        raise ImportRejected(_("The file is too large."))
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        tables = account_imports._read_xlsx(data, lim)
        table = tables[0][1] if tables else []
    elif lower.endswith(".csv"):
        table = account_imports._read_csv(data)
    else:
        raise ImportRejected(_("Upload a .csv or .xlsx file."))
    table = [row for row in table if any(str(c).strip() for c in row if c is not None)]
    if len(table) < 2:
        raise ImportRejected(_("The file has no data rows."))
    header = [_ALIASES.get(_norm(h)) for h in table[0]]
    unknown = [str(h) for h, name in zip(table[0], header, strict=True) if name is None]
    if unknown:
        raise ImportRejected(_("Unknown columns: %(columns)s.") % {"columns": ", ".join(unknown)})
    for required in REQUIRED:
        if required not in header:
            raise ImportRejected(_("The column %(column)s is missing.") % {"column": required})
    if "region" not in header and "account_manager" not in header:
        raise ImportRejected(_("Add a region or an account_manager column."))
    if len(table) - 1 > lim["max_rows"]:
        raise ImportRejected(_("The file has too many rows."))
    rows = []
    for number, raw in enumerate(table[1:], start=2):
        values = {}
        for name, cell in zip(header, raw, strict=False):
            text = account_imports._cell_text(cell).strip() if cell is not None else ""
            if account_imports._is_formula(text):
                raise ImportRejected(
                    _("Formulas are not accepted (row %(row)s). Paste values only.")
                    % {"row": number}
                )
            values[str(name)] = text
        rows.append((number, values))
    return rows


def _number(text: str) -> Decimal:
    cleaned = text.replace(",", "").replace("，", "").strip()
    percent = cleaned.endswith(("%", "％"))
    if percent:
        cleaned = cleaned[:-1].strip()
    value = Decimal(cleaned)
    if not value.is_finite() or abs(value) > MAX_VALUE:
        raise InvalidOperation(text)
    return (value / 100 if percent else value).quantize(Decimal("0.0001"))


def dry_run(*, scheme: KpiScheme, rows: list[tuple[int, dict[str, str]]]) -> TargetDryRun:
    """Every row checked (bulk look-ups, no query per row), then the whole set against the target
    rules merged over what is stored (quarters rising to the year, stretch beyond realistic)."""
    result = TargetDryRun(total=len(rows))
    region_codes = sorted({v.get("region", "") for _n, v in rows} - {""})
    usernames = sorted({v.get("account_manager", "") for _n, v in rows} - {""})
    regions: dict[str, int] = {}
    for start in range(0, len(region_codes), 900):
        regions.update(
            Region.objects.filter(code__in=region_codes[start : start + 900]).values_list(
                "code", "id"
            )
        )
    managers: dict[str, int] = {}
    for start in range(0, len(usernames), 900):
        managers.update(
            User.objects.filter(
                username__in=usernames[start : start + 900], role=User.Role.ACCOUNT_MANAGER
            ).values_list("username", "id")
        )
    metrics = _metric_lookup()
    in_scheme = set(scheme.metrics.values_list("metric", flat=True))
    seen: dict[tuple[int | None, int | None, str, str], int] = {}
    for number, values in rows:
        problems: list[Problem] = []
        region_code = values.get("region", "")
        username = values.get("account_manager", "")
        region_id = user_id = None
        if bool(region_code) == bool(username):
            problems.append(
                Problem(number, "region", _("Give either a region or an account manager."))
            )
        elif region_code:
            region_id = regions.get(region_code)
            if region_id is None:
                problems.append(Problem(number, "region", _("Unknown region code.")))
        else:
            user_id = managers.get(username)
            if user_id is None:
                problems.append(Problem(number, "account_manager", _("Unknown account manager.")))
        metric = metrics.get(_norm(values.get("metric", "")))
        if metric is None:
            problems.append(Problem(number, "metric", _("Unknown metric.")))
        elif metric not in in_scheme:
            problems.append(
                Problem(
                    number,
                    "metric",
                    _("Not in the %(year)s scheme.") % {"year": scheme.year},
                )
            )
        quarter = QUARTER_ALIASES.get(_norm(values.get("quarter", "")))
        if quarter is None:
            problems.append(Problem(number, "quarter", _("Q1, Q2, Q3, Q4 or Y.")))
        parsed: dict[str, Decimal] = {}
        for column in ("realistic", "stretch"):
            try:
                parsed[column] = _number(values.get(column, ""))
            except (InvalidOperation, ValueError):
                problems.append(Problem(number, column, _("Not a number.")))
        if not problems:
            key = (region_id, user_id, str(metric), str(quarter))
            if key in seen:
                problems.append(
                    Problem(
                        number,
                        "quarter",
                        _("The same target is already on row %(row)s.") % {"row": seen[key]},
                    )
                )
            seen[key] = number
        if problems:
            result.problems.extend(problems)
            continue
        result.entries.append(
            services.TargetEntry(
                metric=str(metric),
                quarter=str(quarter),
                realistic=parsed["realistic"],
                stretch=parsed["stretch"],
                region_id=region_id,
                user_id=user_id,
                source=(number, "realistic"),
            )
        )
    if result.entries and not result.problems:
        for problem in services.targets_check(scheme=scheme, entries=result.entries):
            row, column = (
                problem.entry.source if problem.entry and problem.entry.source else (0, "")
            )
            result.problems.append(Problem(row, column, problem.message))
        result.updates = _existing(scheme, result.entries)
        result.creates = len(result.entries) - result.updates
    return result


def _existing(scheme: KpiScheme, entries: list[services.TargetEntry]) -> int:
    from .models import KpiTarget

    keys = {(e.metric, e.quarter, e.region_id, e.user_id) for e in entries}
    stored = KpiTarget.objects.filter(scheme=scheme, metric__in={e.metric for e in entries})
    region_ids = sorted({e.region_id for e in entries if e.region_id})
    user_ids = sorted({e.user_id for e in entries if e.user_id})
    found = 0
    for field_name, ids in (("region_id__in", region_ids), ("user_id__in", user_ids)):
        for start in range(0, len(ids), 900):
            for key in stored.filter(**{field_name: ids[start : start + 900]}).values_list(
                "metric", "quarter", "region_id", "user_id"
            ):
                found += key in keys
    return found


def template_header() -> list[str]:
    return ["region", "account_manager", "metric", "quarter", "realistic", "stretch"]


def template_rows(scheme: KpiScheme) -> list[list[str]]:
    rows = []
    for metric in scheme.metrics.order_by("-weight", "metric").values_list("metric", flat=True):
        for quarter in (*domain.QUARTERS, domain.YEAR):
            rows.append(["", "", metric, quarter, "", ""])
    return rows
