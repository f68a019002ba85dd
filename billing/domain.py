"""Pure rules for bill-line records: field checks, the period format, decimals, duplicate keys.

No Django import and no clock: the caller passes the reference data (code → id maps) and the
latest period it accepts. Errors carry a machine `code` and a `field`; the human message is
rendered by the interface in the client's language (billing/messages.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

RECORD_FIELDS = ("account_code", "period", "product_code", "amount", "quantity", "member_count")
REQUIRED_FIELDS = ("account_code", "period", "product_code", "amount", "quantity")

# Codes are identifiers: letters, digits, dot, underscore, dash; this also keeps NUL bytes and
# control characters out of every query and every stored error.
CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
PERIOD_RE = re.compile(r"(\d{4})-(\d{2})")
# CNY with at most two decimals, no exponent, no sign but a leading minus; 12 integer digits fit
# Decimal(14, 2).
AMOUNT_RE = re.compile(r"-?(\d{1,12})(?:\.(\d{1,2}))?")
AMOUNT_SHAPE_RE = re.compile(r"[+-]?\d*(?:\.\d*)?")
MAX_QUANTITY = 10**12
MAX_MEMBER_COUNT = 2**31 - 1
EARLIEST_PERIOD = dt.date(2000, 1, 1)
MAX_FIELD_NAME = 64

# Error codes (stable, part of the API contract).
NOT_AN_OBJECT = "not_an_object"
UNKNOWN_FIELD = "unknown_field"
REQUIRED = "required"
WRONG_TYPE = "wrong_type"
INVALID_CODE = "invalid_code"
UNKNOWN_ACCOUNT = "unknown_account"
UNKNOWN_PRODUCT = "unknown_product"
INVALID_PERIOD = "invalid_period"
PERIOD_OUT_OF_RANGE = "period_out_of_range"
INVALID_DECIMAL = "invalid_decimal"
TOO_MANY_DECIMALS = "too_many_decimals"
OUT_OF_RANGE = "out_of_range"
NEGATIVE = "negative"
DUPLICATE_IN_BATCH = "duplicate_in_batch"

ERROR_CODES = (
    NOT_AN_OBJECT, UNKNOWN_FIELD, REQUIRED, WRONG_TYPE, INVALID_CODE, UNKNOWN_ACCOUNT,
    UNKNOWN_PRODUCT, INVALID_PERIOD, PERIOD_OUT_OF_RANGE, INVALID_DECIMAL, TOO_MANY_DECIMALS,
    OUT_OF_RANGE, NEGATIVE, DUPLICATE_IN_BATCH,
)  # fmt: skip


@dataclass(frozen=True)
class RecordError:
    field: str
    code: str
    params: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class ValidLine:
    index: int
    account_id: int
    period_on: dt.date
    product_id: int
    amount: Decimal
    quantity: int
    member_count: int | None

    @property
    def key(self) -> tuple[int, dt.date, int]:
        return (self.account_id, self.period_on, self.product_id)

    @property
    def values(self) -> tuple[Decimal, int, int | None]:
        return (self.amount, self.quantity, self.member_count)


@dataclass(frozen=True)
class Rejected:
    index: int
    record: Any
    errors: tuple[RecordError, ...]


def parse_period(value: str) -> dt.date | None:
    """`YYYY-MM` → the month's first day; None when it is not a real month in that shape."""
    match = PERIOD_RE.fullmatch(value)
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or year < 1:
        return None
    return dt.date(year, month, 1)


def format_period(period_on: dt.date) -> str:
    return f"{period_on.year:04d}-{period_on.month:02d}"


def latest_accepted_period(today: dt.date) -> dt.date:
    """Bills are for past or current months; a later period is a client error."""
    return today.replace(day=1)


def check_amount(value: Any) -> Decimal | RecordError:
    if not isinstance(value, str):
        return RecordError("amount", WRONG_TYPE)
    match = AMOUNT_RE.fullmatch(value)
    if match:
        return Decimal(value)
    if AMOUNT_SHAPE_RE.fullmatch(value) and any(ch.isdigit() for ch in value):
        whole, _, frac = value.lstrip("+-").partition(".")
        if len(frac) > 2:
            return RecordError("amount", TOO_MANY_DECIMALS)
        if len(whole) > 12:
            return RecordError("amount", OUT_OF_RANGE)
    return RecordError("amount", INVALID_DECIMAL)


def _check_count(field: str, value: Any, maximum: int) -> int | RecordError:
    # bool is an int in Python; in JSON it is not a number.
    if isinstance(value, bool) or not isinstance(value, int):
        return RecordError(field, WRONG_TYPE)
    if value < 0:
        return RecordError(field, NEGATIVE)
    if value > maximum:
        return RecordError(field, OUT_OF_RANGE, (("max", maximum),))
    return value


def _check_code(field: str, value: Any) -> str | RecordError:
    if not isinstance(value, str):
        return RecordError(field, WRONG_TYPE)
    if not CODE_RE.fullmatch(value):
        return RecordError(field, INVALID_CODE)
    return value


def safe_field_name(name: Any) -> str:
    """An unknown field's name, made safe to store and show (no control characters, bounded)."""
    text = str(name)
    cleaned = "".join(ch if ch.isprintable() else "\ufffd" for ch in text[:MAX_FIELD_NAME])
    return cleaned + ("…" if len(text) > MAX_FIELD_NAME else "")


def validate_record(
    index: int,
    record: Any,
    *,
    account_ids: Mapping[str, int],
    product_ids: Mapping[str, int],
    latest_period: dt.date,
) -> ValidLine | Rejected:
    """Every error of one record at once, so the client can fix it in one go."""
    if not isinstance(record, dict):
        return Rejected(index, record, (RecordError("", NOT_AN_OBJECT),))
    errors: list[RecordError] = [
        RecordError(safe_field_name(name), UNKNOWN_FIELD)
        for name in record
        if name not in RECORD_FIELDS
    ]
    errors.extend(
        RecordError(name, REQUIRED)
        for name in REQUIRED_FIELDS
        if name not in record or record[name] is None
    )
    missing = {e.field for e in errors if e.code == REQUIRED}

    account_id = product_id = None
    if "account_code" not in missing:
        code = _check_code("account_code", record["account_code"])
        if isinstance(code, RecordError):
            errors.append(code)
        elif (account_id := account_ids.get(code)) is None:
            errors.append(RecordError("account_code", UNKNOWN_ACCOUNT))
    if "product_code" not in missing:
        code = _check_code("product_code", record["product_code"])
        if isinstance(code, RecordError):
            errors.append(code)
        elif (product_id := product_ids.get(code)) is None:
            errors.append(RecordError("product_code", UNKNOWN_PRODUCT))

    period_on = None
    if "period" not in missing:
        raw_period = record["period"]
        if not isinstance(raw_period, str):
            errors.append(RecordError("period", WRONG_TYPE))
        elif (period_on := parse_period(raw_period)) is None:
            errors.append(RecordError("period", INVALID_PERIOD))
        elif not EARLIEST_PERIOD <= period_on <= latest_period:
            errors.append(
                RecordError(
                    "period",
                    PERIOD_OUT_OF_RANGE,
                    (
                        ("min", format_period(EARLIEST_PERIOD)),
                        ("max", format_period(latest_period)),
                    ),
                )
            )

    amount = None
    if "amount" not in missing:
        checked_amount = check_amount(record["amount"])
        if isinstance(checked_amount, RecordError):
            errors.append(checked_amount)
        else:
            amount = checked_amount

    quantity = None
    if "quantity" not in missing:
        checked = _check_count("quantity", record["quantity"], MAX_QUANTITY)
        if isinstance(checked, RecordError):
            errors.append(checked)
        else:
            quantity = checked

    member_count = None
    if record.get("member_count") is not None:
        checked = _check_count("member_count", record["member_count"], MAX_MEMBER_COUNT)
        if isinstance(checked, RecordError):
            errors.append(checked)
        else:
            member_count = checked

    if errors:
        return Rejected(index, record, tuple(errors))
    assert account_id is not None and product_id is not None and period_on is not None
    assert amount is not None and quantity is not None
    return ValidLine(index, account_id, period_on, product_id, amount, quantity, member_count)


@dataclass(frozen=True)
class BatchValidation:
    valid: tuple[ValidLine, ...]
    rejected: tuple[Rejected, ...]


def validate_batch(
    records: list[Any],
    *,
    account_ids: Mapping[str, int],
    product_ids: Mapping[str, int],
    latest_period: dt.date,
) -> BatchValidation:
    """Validate each record; a natural key seen twice in one batch is ambiguous, so every later
    occurrence is rejected (pointing at the first) rather than silently letting one win."""
    valid: list[ValidLine] = []
    rejected: list[Rejected] = []
    first_index: dict[tuple[int, dt.date, int], int] = {}
    periods: dict[str, dt.date | None] = {}
    amount_re = AMOUNT_RE.fullmatch
    for index, record in enumerate(records):
        result = _fast_valid(
            index, record, account_ids, product_ids, latest_period, periods, amount_re
        ) or validate_record(
            index,
            record,
            account_ids=account_ids,
            product_ids=product_ids,
            latest_period=latest_period,
        )
        if isinstance(result, Rejected):
            rejected.append(result)
            continue
        seen = first_index.setdefault(result.key, index)
        if seen != index:
            error = RecordError("", DUPLICATE_IN_BATCH, (("first_index", seen),))
            rejected.append(Rejected(index, record, (error,)))
            continue
        valid.append(result)
    return BatchValidation(tuple(valid), tuple(rejected))


def _fast_valid(
    index: int,
    record: Any,
    account_ids: Mapping[str, int],
    product_ids: Mapping[str, int],
    latest_period: dt.date,
    periods: dict[str, dt.date | None],
    amount_re: Any,
) -> ValidLine | None:
    """The common case — a well-formed record — checked with the fewest operations; None sends
    the record through `validate_record`, which finds and names every error. Both accept exactly
    the same records (tests/unit/test_domain.py checks the equivalence)."""
    if type(record) is not dict or not 5 <= len(record) <= 6:
        return None
    try:
        account_id = account_ids.get(record["account_code"])
        product_id = product_ids.get(record["product_code"])
        period = record["period"]
        amount = record["amount"]
        quantity = record["quantity"]
    except (KeyError, TypeError):
        return None
    member_count = record.get("member_count")
    if len(record) == 6 and "member_count" not in record:
        return None
    if account_id is None or product_id is None or type(period) is not str:
        return None
    if period in periods:
        period_on = periods[period]
    else:
        period_on = parse_period(period)
        if period_on is not None and not EARLIEST_PERIOD <= period_on <= latest_period:
            period_on = None
        periods[period] = period_on
    if period_on is None or type(amount) is not str or not amount_re(amount):
        return None
    if type(quantity) is not int or not 0 <= quantity <= MAX_QUANTITY:
        return None
    if member_count is not None and (
        type(member_count) is not int or not 0 <= member_count <= MAX_MEMBER_COUNT
    ):
        return None
    return ValidLine(
        index, account_id, period_on, product_id, Decimal(amount), quantity, member_count
    )


def referenced_codes(records: list[Any]) -> tuple[set[str], set[str]]:
    """The account and product codes a batch mentions, for loading the reference maps once.
    Collected first, shape-checked once per distinct code (a batch repeats its codes a lot)."""
    dicts = [record for record in records if type(record) is dict]
    accounts = {code for r in dicts if type(code := r.get("account_code")) is str}
    products = {code for r in dicts if type(code := r.get("product_code")) is str}
    return (
        {code for code in accounts if CODE_RE.fullmatch(code)},
        {code for code in products if CODE_RE.fullmatch(code)},
    )


def records_too_deep(records: list[Any], limit: int) -> bool:
    """Like json_depth_exceeds for {"records": [...]}, walking only the rare nested values."""
    containers = (dict, list)
    for record in records:
        kind = type(record)
        if kind is dict:
            for value in record.values():
                if type(value) in containers and json_depth_exceeds(value, limit - 3):
                    return True
        elif kind is list and json_depth_exceeds(record, limit - 2):
            return True
    return False


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """True when `value` nests containers deeper than `limit` (iterative: no recursion limit)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item  # type: ignore[assignment]
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


# --- CSV files (hq uploads of the same lines) -----------------------------------------------

CSV_COLUMNS = RECORD_FIELDS
_INT_RE = re.compile(r"-?\d{1,19}")


class CsvFormatError(ValueError):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without Excel's BOM), else GB18030, which Chinese spreadsheets export."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise CsvFormatError("invalid_encoding") from exc


def _csv_cell(column: str, cell: str) -> Any:
    cell = cell.strip()
    if cell == "":
        return None
    if column in ("quantity", "member_count") and _INT_RE.fullmatch(cell):
        return int(cell)
    return cell


def records_from_csv(text: str) -> list[dict[str, Any]]:
    """Rows of a CSV with a header naming the record fields, as the same records the JSON API
    takes (numbers where the column is an integer; an empty cell is a missing value)."""
    if "\x00" in text:
        raise CsvFormatError("invalid_csv", "NUL")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration as exc:
        raise CsvFormatError("empty") from exc
    except csv.Error as exc:
        raise CsvFormatError("invalid_csv", str(exc)) from exc
    unknown = [h for h in header if h not in CSV_COLUMNS]
    missing = [c for c in REQUIRED_FIELDS if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise CsvFormatError("invalid_csv_header", ", ".join(CSV_COLUMNS))
    records: list[dict[str, Any]] = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            record: dict[str, Any] = {}
            for column, cell in zip(header, row, strict=False):
                value = _csv_cell(column, cell)
                if value is not None:
                    record[column] = value
            if len(row) > len(header):
                record["_extra_cells"] = row[len(header) :]
            records.append(record)
    except csv.Error as exc:
        raise CsvFormatError("invalid_csv", str(exc)) from exc
    return records
