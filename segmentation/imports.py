"""Importing indicator snapshots from CSV or Excel, with a dry run and per-row errors.

The file is read by the account import's safe readers (`accounts.imports`: size, encoding UTF-8 /
GBK, zip-bomb limits, no formulas). One row is one snapshot: the account `code`, `measured_on`, an
optional `source` (default `import`) and any indicator columns; an empty cell is "unknown".
Rows are upserted by (account, measured_on, source) in one bulk statement per chunk."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts import imports as account_imports
from org.models import AccountTeamMember, User
from org.visibility import accounts_visible_to

from . import domain
from .models import INDICATOR_LABELS, IndicatorSnapshot, IndicatorSource

ImportRejected = account_imports.ImportRejected

BASE_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code", "account", "客户编码", "集团编码", "编码"),
    "measured_on": ("measured_on", "date", "日期", "测量日期", "采集日期"),
    "source": ("source", "来源"),
    "note": ("note", "备注"),
}
CHINESE_NAMES = {
    "headcount": "员工人数",
    "headcount_growth": "员工人数增长率",
    "revenue": "营业收入",
    "revenue_growth": "营业收入增长率",
    "it_investment": "信息化投入",
    "it_investment_growth": "信息化投入增长率",
    "it_staff": "信息化人员",
    "it_staff_growth": "信息化人员增长率",
    "customer_count": "客户数",
    "agent_count": "代理商数",
    "supplier_count": "供应商数",
    "solution_type_count": "解决方案种类",
    "profit_margin": "利润率",
    "profit_margin_growth": "利润率增长",
    "it_awareness": "信息化意识",
    "it_importance": "信息化重视程度",
    "it_need_complexity": "信息化需求复杂度",
    "standards_participation": "标准参与",
    "local_economy_position": "地方经济地位",
    "government_relations": "政府关系",
    "industry_info_participation": "行业信息化参与",
    "media_influence": "媒体影响力",
    "industry_org_participation": "行业组织参与",
    "industry_reputation": "行业声誉",
}
COLUMNS: dict[str, tuple[str, ...]] = {
    **BASE_COLUMNS,
    **{name: (name, CHINESE_NAMES[name]) for name in (*domain.QUANTITATIVE, *domain.RATED)},
}
CHUNK = 1000


@dataclass
class Problem:
    row: int
    column: str
    message: str


@dataclass
class IndicatorDryRun:
    rows: list[dict[str, Any]] = field(default_factory=list)
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


def read_file(filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """Rows as (line number, column → text). Rejects the whole file if it is unsafe or a column
    is unknown."""
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
    table = [row for row in table if any(str(c).strip() for c in row)]
    if len(table) < 2:
        raise ImportRejected(_("The file has no data rows."))
    header = [_ALIASES.get(_norm(h)) for h in table[0]]
    unknown = [str(h) for h, name in zip(table[0], header, strict=True) if name is None]
    if unknown:
        raise ImportRejected(_("Unknown columns: %(columns)s.") % {"columns": ", ".join(unknown)})
    for required in ("code", "measured_on"):
        if required not in header:
            raise ImportRejected(_("The column %(column)s is missing.") % {"column": required})
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


def _editable_ids(actor: User, codes: list[str]) -> dict[str, int]:
    """code → id of the accounts among `codes` the actor may edit, in bulk (DOMAIN.md §2)."""
    visible = accounts_visible_to(actor).filter(code__in=codes)
    if actor.role == User.Role.ACCOUNT_MANAGER and not actor.is_superuser:
        on_team = AccountTeamMember.objects.filter(
            user_id=actor.pk, access=AccountTeamMember.Access.EDIT
        ).values("account_id")
        visible = visible.filter(Q(owner_id=actor.pk) | Q(id__in=on_team))
    return dict(visible.values_list("code", "id"))


def dry_run(*, actor: User, rows: list[tuple[int, dict[str, str]]]) -> IndicatorDryRun:
    result = IndicatorDryRun(total=len(rows))
    codes = sorted({values.get("code", "") for _n, values in rows} - {""})
    ids: dict[str, int] = {}
    for start in range(0, len(codes), 900):
        ids.update(_editable_ids(actor, codes[start : start + 900]))
    seen: set[tuple[int, dt.date, str]] = set()
    for number, values in rows:
        problems: list[Problem] = []
        parsed: dict[str, Any] = {}
        code = values.get("code", "")
        if code not in ids:
            problems.append(Problem(number, "code", _("Unknown account, or not one you may edit.")))
        else:
            parsed["account_id"] = ids[code]
        try:
            parsed["measured_on"] = account_imports._parse_date(values.get("measured_on", ""))
        except ValueError:
            problems.append(Problem(number, "measured_on", _("Not a date (YYYY-MM-DD).")))
        source = values.get("source") or IndicatorSource.IMPORT
        if source not in IndicatorSource.values:
            problems.append(Problem(number, "source", _("Unknown source.")))
        parsed["source"] = source
        parsed["note"] = values.get("note", "")[:500]
        for name in domain.QUANTITATIVE:
            text = values.get(name, "").replace(",", "")
            if not text:
                parsed[name] = None
                continue
            try:
                number_value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
                if not math.isfinite(number_value) or abs(number_value) > 1e15:
                    raise ValueError(text)
                parsed[name] = number_value
            except ValueError:
                problems.append(Problem(number, name, _("Not a number.")))
        for name in domain.RATED:
            text = values.get(name, "")
            if not text:
                parsed[name] = None
            elif text in {"1", "2", "3", "4", "5"}:
                parsed[name] = int(text)
            else:
                problems.append(Problem(number, name, _("A rating from 1 to 5.")))
        if not problems:
            key = (parsed["account_id"], parsed["measured_on"], parsed["source"])
            if key in seen:
                problems.append(
                    Problem(number, "measured_on", _("The same account, date and source twice."))
                )
            seen.add(key)
        if problems:
            result.problems.extend(problems)
        else:
            result.rows.append(parsed)
    if result.rows:
        existing = _existing_keys(result.rows)
        result.updates = sum(
            1 for r in result.rows if (r["account_id"], r["measured_on"], r["source"]) in existing
        )
        result.creates = len(result.rows) - result.updates
    return result


def _existing_keys(rows: list[dict[str, Any]]) -> set[tuple[int, dt.date, str]]:
    keys: set[tuple[int, dt.date, str]] = set()
    account_ids = sorted({r["account_id"] for r in rows})
    for start in range(0, len(account_ids), 900):
        keys.update(
            IndicatorSnapshot.objects.filter(
                account_id__in=account_ids[start : start + 900]
            ).values_list("account_id", "measured_on", "source")
        )
    return keys


def apply(*, actor: User, rows: list[dict[str, Any]]) -> int:
    """Upsert checked rows by (account, measured_on, source), in chunks of CHUNK."""
    fields = ["note", *domain.QUANTITATIVE, *domain.RATED, "created_by"]
    for start in range(0, len(rows), CHUNK):
        with transaction.atomic():
            IndicatorSnapshot.objects.bulk_create(
                [IndicatorSnapshot(created_by=actor, **r) for r in rows[start : start + CHUNK]],
                update_conflicts=True,
                unique_fields=["account", "measured_on", "source"],
                update_fields=fields,
            )
    return len(rows)


def template_header() -> list[str]:
    return [
        "code",
        "measured_on",
        "source",
        *(f"{name}" for name in (*domain.QUANTITATIVE, *domain.RATED)),
        "note",
    ]


__all__ = ["INDICATOR_LABELS", "ImportRejected"]
