"""Importing group customers and key persons from CSV or Excel.

Three stages, so that nothing is written from a file that has a problem:
1. `read_upload`: is this file safe to read at all? Size, type, encoding (UTF-8 with or without
   BOM, GBK/GB18030), zip-bomb limits on .xlsx checked from the zip directory before openpyxl
   touches it, and no formulas anywhere. A failure rejects the whole file.
2. `dry_run`: every row checked against the same rules the services apply, with bulk look-ups
   (no query per row); every problem is reported with its sheet, row and column.
3. `apply_import` (in a Celery task): the rows go through the services (which own the audit
   history), upserting by the natural key (account `code`; a key person by account and name), in
   short transactions with progress recorded in the JobRun ledger.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.models import JobRun
from org.models import AccountTeamMember, User
from org.visibility import accounts_visible_to, can_assign_owner_and_region, regions_visible_to

from . import services
from .models import Account, AccountStatus, Industry, KeyPerson, KeyPersonRole, OrgKind, SizeBand

IMPORT_JOB = "accounts.import"
CHUNK = 200
_FORMULA_START = ("=", "+", "@", "\t", "\r", "＝", "＋", "＠")


def limits() -> dict[str, int]:
    conf = settings.GROUPCRM
    return {
        "max_bytes": int(conf.get("IMPORT_MAX_BYTES", 5 * 1024 * 1024)),
        "max_rows": int(conf.get("IMPORT_MAX_ROWS", 10_000)),
        # An .xlsx is a zip: refuse before decompressing if it would inflate beyond this...
        "max_uncompressed": int(conf.get("IMPORT_MAX_UNCOMPRESSED", 50 * 1024 * 1024)),
        # ...or if any member compresses better than a real spreadsheet ever does.
        "max_ratio": int(conf.get("IMPORT_MAX_RATIO", 100)),
        "max_members": 200,
    }


class ImportRejected(Exception):
    """The file cannot be read safely; nothing from it is imported."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Sheet:
    name: str
    kind: str  # "accounts" | "key_persons"
    columns: list[str]  # canonical field names, in file order
    rows: list[tuple[int, dict[str, str]]]  # (row number in the file, field → text)


@dataclass
class Problem:
    sheet: str
    row: int
    column: str
    message: str


@dataclass
class DryRun:
    sheets: list[Sheet]
    problems: list[Problem] = field(default_factory=list)
    creates: int = 0
    updates: int = 0

    @property
    def total(self) -> int:
        return sum(len(s.rows) for s in self.sheets)

    @property
    def ok(self) -> bool:
        return not self.problems and self.total > 0


# --- columns ---------------------------------------------------------------------------------

ACCOUNT_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code", "客户编码", "集团编码", "编码"),
    "name": ("name", "客户名称", "名称"),
    "credit_code": ("credit_code", "统一社会信用代码", "信用代码"),
    "org_kind": ("org_kind", "组织类型", "单位类型"),
    "industry": ("industry", "行业"),
    "size_band": ("size_band", "规模", "规模等级"),
    "status": ("status", "状态"),
    "region": ("region", "区域", "地区", "区域编码"),
    "owner": ("owner", "客户经理", "客户经理账号"),
    "parent": ("parent", "上级客户", "上级客户编码"),
    "joined_on": ("joined_on", "入网日期", "加入日期"),
    "contract_end": ("contract_end", "合同到期", "合同到期日"),
}
KEY_PERSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "account_code": ("account_code", "所属客户编码", "所属客户"),
    "name": ("name", "姓名"),
    "title": ("title", "职务"),
    "department": ("department", "部门"),
    "role": ("role", "角色"),
    "influence": ("influence", "影响力"),
    "relationship": ("relationship", "关系"),
    "drivers": ("drivers", "驱动因素"),
    "phone": ("phone", "电话"),
    "email": ("email", "邮箱", "电子邮件"),
    "birthday_on": ("birthday_on", "birthday", "生日"),
}
REQUIRED_ON_CREATE = ("name", "org_kind", "industry", "size_band")


def _norm(text: str) -> str:
    return "".join(str(text).split()).lower()


def _column_map(header: list[str]) -> tuple[str, list[str], list[str]]:
    """(kind, canonical columns, unknown headers) for a header row."""
    normalised = [_norm(h) for h in header]
    person_keys = {_norm(a) for a in KEY_PERSON_COLUMNS["account_code"]}
    kind = "key_persons" if person_keys & set(normalised) else "accounts"
    table = KEY_PERSON_COLUMNS if kind == "key_persons" else ACCOUNT_COLUMNS
    lookup = {_norm(alias): name for name, aliases in table.items() for alias in aliases}
    columns, unknown = [], []
    for raw, n in zip(header, normalised, strict=True):
        if not n:
            columns.append("")
            continue
        name = lookup.get(n)
        if name is None:
            unknown.append(raw)
        columns.append(name or "")
    return kind, columns, unknown


def _choice_lookup(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """Accept a choice by its code or by its label in either language."""
    lookup: dict[str, str] = {}
    for value, label in choices:
        lookup[_norm(value)] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                lookup[_norm(str(label))] = value
    return lookup


# --- stage 1: reading ------------------------------------------------------------------------


def read_upload(filename: str, data: bytes) -> list[Sheet]:
    lim = limits()
    if len(data) > lim["max_bytes"]:
        raise ImportRejected(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": f"{len(data) / 1048576:.1f}", "limit": lim["max_bytes"] // 1048576}
        )
    if not data:
        raise ImportRejected(_("The file is empty."))
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        tables = _read_xlsx(data, lim)
    elif lower.endswith(".csv"):
        tables = [("CSV", _read_csv(data))]
    else:
        raise ImportRejected(_("Upload a .csv or .xlsx file."))
    sheets: list[Sheet] = []
    formula_cells: list[str] = []
    total = 0
    for name, table in tables:
        table = [row for row in table if any(str(c).strip() for c in row)]
        if not table:
            continue
        header = [str(h).strip() for h in table[0]]
        kind, columns, unknown = _column_map(header)
        if unknown:
            raise ImportRejected(
                _("Sheet %(sheet)s: unknown columns: %(columns)s.")
                % {"sheet": name, "columns": ", ".join(unknown)}
            )
        rows: list[tuple[int, dict[str, str]]] = []
        for number, raw in enumerate(table[1:], start=2):
            values: dict[str, str] = {}
            for column, cell in zip(columns, raw, strict=False):
                text = str(cell).strip() if cell is not None else ""
                if _is_formula(text):
                    formula_cells.append(
                        _("sheet %(sheet)s row %(row)s column %(column)s")
                        % {"sheet": name, "row": number, "column": column or "?"}
                    )
                if column:
                    values[column] = text
            rows.append((number, values))
        total += len(rows)
        sheets.append(Sheet(name=name, kind=kind, columns=[c for c in columns if c], rows=rows))
    if formula_cells:
        raise ImportRejected(
            _("Formulas are not accepted (%(count)s cells, e.g. %(where)s). Paste values only.")
            % {"count": len(formula_cells), "where": "; ".join(formula_cells[:3])}
        )
    if total > lim["max_rows"]:
        raise ImportRejected(
            _("The file has %(rows)s rows; the limit is %(limit)s.")
            % {"rows": total, "limit": lim["max_rows"]}
        )
    if not total:
        raise ImportRejected(_("The file has no data rows."))
    return sheets


def _is_formula(text: str) -> bool:
    if text.startswith(_FORMULA_START):
        return True
    if text.startswith(("-", "－")) and len(text) > 1:
        # A negative number is data; anything else starting with a minus is a formula.
        try:
            float(text)
        except ValueError:
            return True
    return False


def _read_csv(data: bytes) -> list[list[str]]:
    if data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="strict")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                # GB18030 is a superset of GBK and GB2312, what Excel saves as "CSV" in China.
                text = data.decode("gb18030")
            except UnicodeDecodeError as exc:
                raise ImportRejected(
                    _("The file is neither UTF-8 nor GBK text. Save it as CSV UTF-8.")
                ) from exc
    if "\x00" in text:
        raise ImportRejected(_("This is not a text file. Save it as CSV UTF-8."))
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ImportRejected(_("The CSV file is malformed: %(error)s") % {"error": exc}) from exc


def _read_xlsx(data: bytes, lim: dict[str, int]) -> list[tuple[str, list[list[Any]]]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ImportRejected(_("This is not a valid .xlsx file.")) from exc
    members = archive.infolist()
    if len(members) > lim["max_members"]:
        raise ImportRejected(_("The .xlsx file has too many parts to be a spreadsheet."))
    inflated = sum(m.file_size for m in members)
    if inflated > lim["max_uncompressed"]:
        raise ImportRejected(
            _("The .xlsx file would expand to %(size)s MB; the limit is %(limit)s MB.")
            % {"size": inflated // 1048576, "limit": lim["max_uncompressed"] // 1048576}
        )
    for m in members:
        if m.file_size > 1024 * 1024 and m.file_size > lim["max_ratio"] * max(m.compress_size, 1):
            raise ImportRejected(_("The .xlsx file is compressed suspiciously well (zip bomb)."))
    if "xl/workbook.xml" not in archive.namelist():
        raise ImportRejected(_("This is not a valid .xlsx file."))
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ImportRejected(_("This is not a valid .xlsx file.")) from exc
    tables = []
    try:
        for ws in workbook.worksheets[:2]:
            table: list[list[Any]] = []
            for row in ws.iter_rows():
                values = []
                for cell in row:
                    if getattr(cell, "data_type", None) == "f":
                        values.append("=" + str(cell.value).lstrip("="))
                    else:
                        values.append(_cell_text(cell.value))
                table.append(values)
                if len(table) > lim["max_rows"] + 1:
                    break
            tables.append((ws.title, table))
    finally:
        workbook.close()
    return tables


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- stage 2: dry run ------------------------------------------------------------------------


def _parse_date(text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _chunks(items: list[str], size: int = 900) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class _Context:
    """Bulk look-ups for a whole file, done once."""

    def __init__(self, actor: User, sheets: list[Sheet]):
        self.actor = actor
        self.manager = can_assign_owner_and_region(actor)
        codes = {
            v
            for s in sheets
            for _, row in s.rows
            for k, v in row.items()
            if k in ("code", "parent", "account_code") and v
        }
        self.existing: dict[str, int] = {}
        self.visible: set[str] = set()
        self.editable: set[str] = set()
        self.credit_codes: dict[str, str] = {}
        visible_qs = accounts_visible_to(actor)
        for chunk in _chunks(sorted(codes)):
            self.existing.update(Account.objects.filter(code__in=chunk).values_list("code", "id"))
            self.visible.update(visible_qs.filter(code__in=chunk).values_list("code", flat=True))
        if self.manager:
            self.editable = set(self.visible)
        else:
            team_edit = AccountTeamMember.objects.filter(
                user_id=actor.pk, access=AccountTeamMember.Access.EDIT
            ).values("account_id")
            for chunk in _chunks(sorted(self.visible)):
                self.editable.update(
                    Account.objects.filter(code__in=chunk)
                    .filter(Q(owner_id=actor.pk) | Q(id__in=team_edit))
                    .values_list("code", flat=True)
                )
        credit = sorted(
            {
                services.domain.normalise_credit_code(row["credit_code"])
                for s in sheets
                for _, row in s.rows
                if row.get("credit_code")
            }
        )
        for chunk in _chunks(credit):
            self.credit_codes.update(
                Account.objects.filter(credit_code__in=chunk).values_list("credit_code", "code")
            )
        self.regions = {r.code: r for r in regions_visible_to(actor)} if self.manager else {}
        if self.manager:
            owners = {row["owner"] for s in sheets for _, row in s.rows if row.get("owner")}
            self.owners = {
                u.username: u
                for u in User.objects.filter(username__in=owners).select_related("region")
            }
        else:
            self.owners = {}
        self.region_ids = set(regions_visible_to(actor).values_list("id", flat=True))
        self.org_kinds = _choice_lookup(OrgKind.choices)
        self.industries = _choice_lookup(Industry.choices)
        self.sizes = _choice_lookup(SizeBand.choices)
        self.statuses = _choice_lookup(AccountStatus.choices)
        self.roles = _choice_lookup(KeyPersonRole.choices)
        self.drivers = _choice_lookup(KeyPerson.Driver.choices)
        self.seen_codes: set[str] = set()
        self.seen_credit: dict[str, str] = {}
        self.seen_people: set[tuple[str, str]] = set()


def dry_run(*, actor: User, sheets: list[Sheet]) -> DryRun:
    result = DryRun(sheets=sheets)
    ctx = _Context(actor, sheets)
    # Accounts first, so a key-person sheet may refer to accounts created by the same workbook.
    for sheet in sorted(sheets, key=lambda s: s.kind != "accounts"):
        for number, row in sheet.rows:
            problems: list[tuple[str, str]] = []
            if sheet.kind == "accounts":
                created = _check_account(ctx, row, problems)
            else:
                created = _check_key_person(ctx, row, problems)
            for column, message in problems:
                result.problems.append(Problem(sheet.name, number, column, message))
            if not problems:
                if created:
                    result.creates += 1
                else:
                    result.updates += 1
    result.problems.sort(key=lambda p: (p.sheet, p.row))
    return result


def _check_account(ctx: _Context, row: dict[str, str], problems: list[tuple[str, str]]) -> bool:
    code = row.get("code", "")
    exists = code in ctx.existing
    if not code:
        problems.append(("code", _("The account code is required.")))
    elif len(code) > 32 or any(ch.isspace() for ch in code) or "/" in code:
        problems.append(("code", _("At most 32 characters, without spaces or slashes.")))
    elif code in ctx.seen_codes:
        problems.append(("code", _("This code appears twice in the file.")))
    elif exists and code not in ctx.editable:
        problems.append(("code", _("An account with this code exists and you may not edit it.")))
    ctx.seen_codes.add(code)
    for name in REQUIRED_ON_CREATE:
        if not exists and not row.get(name):
            problems.append((name, _("Required for a new account.")))
    if len(row.get("name", "")) > 200:
        problems.append(("name", _("At most 200 characters.")))
    for name, lookup in (
        ("org_kind", ctx.org_kinds),
        ("industry", ctx.industries),
        ("size_band", ctx.sizes),
        ("status", ctx.statuses),
    ):
        value = row.get(name)
        if value and _norm(value) not in lookup:
            problems.append((name, _("Unknown value “%(value)s”.") % {"value": value}))
    if row.get("credit_code"):
        try:
            credit = services.credit_code_clean(row["credit_code"])
        except ValidationError as exc:
            problems.append(("credit_code", " ".join(exc.messages)))
        else:
            holder = ctx.credit_codes.get(credit) or ctx.seen_credit.get(credit)
            if holder and holder != code:
                problems.append(
                    ("credit_code", _("Account %(code)s has this credit code.") % {"code": holder})
                )
            ctx.seen_credit[credit] = code
    for name in ("joined_on", "contract_end"):
        if row.get(name):
            try:
                _parse_date(row[name])
            except ValueError:
                problems.append((name, _("Not a date (use YYYY-MM-DD).")))
    parent = row.get("parent")
    if parent and parent not in ctx.visible and parent not in ctx.seen_codes - {code}:
        problems.append(("parent", _("Unknown account %(code)s.") % {"code": parent}))
    elif parent and parent == code:
        problems.append(("parent", _("An account cannot be its own parent.")))
    _check_owner_region(ctx, row, exists, problems)
    return not exists


def _check_owner_region(
    ctx: _Context, row: dict[str, str], exists: bool, problems: list[tuple[str, str]]
) -> None:
    region, owner = row.get("region"), row.get("owner")
    actor = ctx.actor
    if not ctx.manager:
        if region and (actor.region is None or region != actor.region.code):
            problems.append(("region", _("Your role cannot set this field.")))
        if owner and owner != actor.username:
            problems.append(("owner", _("Your role cannot set this field.")))
        if not exists and actor.region_id is None:
            problems.append(("region", _("You have no region; ask an administrator to set one.")))
        return
    if not exists:
        if not region:
            problems.append(("region", _("Required for a new account.")))
        if not owner:
            problems.append(("owner", _("Required for a new account.")))
    if region and region not in ctx.regions:
        problems.append(("region", _("Unknown region.")))
    if owner:
        user = ctx.owners.get(owner)
        if user is None or not user.is_active or user.role != User.Role.ACCOUNT_MANAGER:
            problems.append(("owner", _("The owner must be an active account manager.")))
        elif user.region_id not in ctx.region_ids:
            problems.append(("owner", _("The owner must be an account manager of your region.")))


def _check_key_person(ctx: _Context, row: dict[str, str], problems: list[tuple[str, str]]) -> bool:
    code = row.get("account_code", "")
    if not code:
        problems.append(("account_code", _("The account code is required.")))
    elif code not in ctx.editable and code not in ctx.seen_codes:
        problems.append(("account_code", _("Unknown account %(code)s.") % {"code": code}))
    name = row.get("name", "")
    if not name:
        problems.append(("name", _("The name is required.")))
    elif len(name) > 100:
        problems.append(("name", _("At most 100 characters.")))
    elif (code, name) in ctx.seen_people:
        problems.append(("name", _("This person appears twice for the account.")))
    ctx.seen_people.add((code, name))
    role = row.get("role", "")
    if not role:
        problems.append(("role", _("The role is required.")))
    elif _norm(role) not in ctx.roles:
        problems.append(("role", _("Unknown value “%(value)s”.") % {"value": role}))
    for column in ("influence", "relationship"):
        value = row.get(column)
        if value and value not in {"1", "2", "3", "4", "5"}:
            problems.append((column, _("A whole number from 1 to 5.")))
    drivers = _split(row.get("drivers", ""))
    unknown = [d for d in drivers if _norm(d) not in ctx.drivers]
    if unknown:
        problems.append(
            ("drivers", _("Unknown value “%(value)s”.") % {"value": ", ".join(unknown)})
        )
    elif len(drivers) > 3:
        problems.append(("drivers", _("Record at most the top three drivers.")))
    if row.get("email"):
        try:
            validate_email(row["email"])
        except ValidationError:
            problems.append(("email", _("Not an e-mail address.")))
    if row.get("birthday_on"):
        try:
            _parse_date(row["birthday_on"])
        except ValueError:
            problems.append(("birthday_on", _("Not a date (use YYYY-MM-DD).")))
    return True


def _split(text: str) -> list[str]:
    for sep in ("、", ";", "；", "，", "|"):
        text = text.replace(sep, ",")
    return [p.strip() for p in text.split(",") if p.strip()]


# --- stage 3: apply --------------------------------------------------------------------------


def import_start(*, actor: User, total: int, filename: str) -> JobRun:
    return JobRun.objects.create(
        job=IMPORT_JOB,
        total=total,
        triggered_by=actor.username,
        as_of=timezone.localdate(),
        errors=[],
    )


def apply_import(*, run_id: int, actor_id: int, filename: str, data: bytes) -> None:
    """Run by the Celery task. Re-reads and re-checks the file (it may be minutes after the
    preview); if anything is wrong now, nothing is written and the run fails with the problems."""
    run = JobRun.objects.get(pk=run_id)
    actor = User.objects.select_related("region").get(pk=actor_id)
    try:
        sheets = read_upload(filename, data)
        checked = dry_run(actor=actor, sheets=sheets)
        if checked.problems:
            _finish(run, failed=True, errors=[_describe(p) for p in checked.problems[:200]])
            return
        ctx = _Context(actor, sheets)
        errors: list[str] = []
        for sheet in sorted(sheets, key=lambda s: s.kind != "accounts"):
            for start in range(0, len(sheet.rows), CHUNK):
                chunk = sheet.rows[start : start + CHUNK]
                with transaction.atomic():
                    for number, row in chunk:
                        try:
                            with transaction.atomic():
                                if sheet.kind == "accounts":
                                    _apply_account(ctx, row)
                                else:
                                    _apply_key_person(ctx, row)
                        except (ValidationError, PermissionError, services.ConflictError) as exc:
                            errors.append(
                                _describe(Problem(sheet.name, number, "", _error_text(exc)))
                            )
                JobRun.objects.filter(pk=run.pk).update(rows=F("rows") + len(chunk))
        _finish(run, failed=bool(errors), errors=errors[:200])
    except ImportRejected as exc:
        _finish(run, failed=True, errors=[exc.message])
    except Exception as exc:
        _finish(run, failed=True, errors=[f"{type(exc).__name__}: {exc}"[:2000]])
        raise


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, services.ConflictError):
        return _("Changed by someone else during the import.")
    return _("You may not edit this account.")


def _describe(p: Problem) -> str:
    return _("%(sheet)s row %(row)s %(column)s: %(message)s") % {
        "sheet": p.sheet,
        "row": p.row,
        "column": p.column,
        "message": p.message,
    }


def _finish(run: JobRun, *, failed: bool, errors: list[str]) -> None:
    JobRun.objects.filter(pk=run.pk).update(
        status=JobRun.Status.FAILED if failed else JobRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
        errors=errors,
    )


def _account_data(ctx: _Context, row: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if row.get("name"):
        data["name"] = row["name"]
    if row.get("credit_code"):
        data["credit_code"] = row["credit_code"]
    for name, lookup in (
        ("org_kind", ctx.org_kinds),
        ("industry", ctx.industries),
        ("size_band", ctx.sizes),
        ("status", ctx.statuses),
    ):
        if row.get(name):
            data[name] = lookup[_norm(row[name])]
    for name in ("joined_on", "contract_end"):
        if row.get(name):
            data[name] = _parse_date(row[name])
    if row.get("parent"):
        data["parent"] = Account.objects.get(code=row["parent"])
    if ctx.manager:
        if row.get("region"):
            data["region"] = ctx.regions[row["region"]]
        if row.get("owner"):
            data["owner"] = ctx.owners[row["owner"]]
    return data


def _apply_account(ctx: _Context, row: dict[str, str]) -> None:
    data = _account_data(ctx, row)
    current = Account.objects.filter(code=row["code"]).only("version").first()
    if current is None:
        services.account_create(actor=ctx.actor, data={"code": row["code"], **data})
        return
    if ctx.manager and ("owner" in data) != ("region" in data):
        # The service checks owner and region together; keep the other as it is.
        full = Account.objects.select_related("owner", "region").get(pk=current.pk)
        data.setdefault("owner", full.owner)
        data.setdefault("region", full.region)
    services.account_update(
        actor=ctx.actor, code=row["code"], expected_version=current.version, data=data
    )


def _apply_key_person(ctx: _Context, row: dict[str, str]) -> None:
    data: dict[str, Any] = {"name": row["name"], "role": ctx.roles[_norm(row["role"])]}
    for name in ("title", "department", "phone", "email"):
        if row.get(name):
            data[name] = row[name]
    for name in ("influence", "relationship"):
        if row.get(name):
            data[name] = int(row[name])
    if row.get("drivers"):
        data["drivers"] = [ctx.drivers[_norm(d)] for d in _split(row["drivers"])]
    if row.get("birthday_on"):
        data["birthday_on"] = _parse_date(row["birthday_on"])
    existing = (
        KeyPerson.objects.filter(
            account__code=row["account_code"], name=row["name"], left_on__isnull=True
        )
        .order_by("id")
        .first()
    )
    if existing is None:
        services.key_person_create(actor=ctx.actor, code=row["account_code"], data=data)
    else:
        services.key_person_update(
            actor=ctx.actor, code=row["account_code"], pk=existing.pk, data=data
        )
