"""Pure validation rules: no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing import domain

ACCOUNTS = {"G1": 1, "G2": 2}
PRODUCTS = {"DL-DIA": 10, "VN-VPMN": 11}
LATEST = dt.date(2026, 11, 1)


def check(record):
    return domain.validate_record(
        0, record, account_ids=ACCOUNTS, product_ids=PRODUCTS, latest_period=LATEST
    )


def good(**over):
    rec = {
        "account_code": "G1",
        "period": "2026-09",
        "product_code": "DL-DIA",
        "amount": "12.50",
        "quantity": 3,
    }
    rec.update(over)
    return rec


def codes(result):
    assert isinstance(result, domain.Rejected), result
    return sorted((e.field, e.code) for e in result.errors)


def test_valid_record_becomes_a_line():
    line = check(good(member_count=7))
    assert line == domain.ValidLine(0, 1, dt.date(2026, 9, 1), 10, Decimal("12.50"), 3, 7)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", Decimal("0")),
        ("-150.5", Decimal("-150.5")),
        ("999999999999.99", Decimal("999999999999.99")),
        ("007.10", Decimal("7.10")),
    ],
)
def test_amount_accepts_decimal_strings_with_up_to_two_decimals(amount, expected):
    assert check(good(amount=amount)).amount == expected


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("1.234", domain.TOO_MANY_DECIMALS),
        ("1000000000000.00", domain.OUT_OF_RANGE),
        ("1e3", domain.INVALID_DECIMAL),
        ("NaN", domain.INVALID_DECIMAL),
        ("Infinity", domain.INVALID_DECIMAL),
        ("", domain.INVALID_DECIMAL),
        ("12,50", domain.INVALID_DECIMAL),
        ("+5", domain.INVALID_DECIMAL),
        (" 5", domain.INVALID_DECIMAL),
        (".", domain.INVALID_DECIMAL),
        (12.5, domain.WRONG_TYPE),
        (12, domain.WRONG_TYPE),
        (True, domain.WRONG_TYPE),
    ],
)
def test_amount_rejections(amount, code):
    assert codes(check(good(amount=amount))) == [("amount", code)]


@pytest.mark.parametrize(
    ("period", "code"),
    [
        ("2026-13", domain.INVALID_PERIOD),
        ("2026-00", domain.INVALID_PERIOD),
        ("2026-9", domain.INVALID_PERIOD),
        ("202609", domain.INVALID_PERIOD),
        ("2026-09-01", domain.INVALID_PERIOD),
        ("1999-12", domain.PERIOD_OUT_OF_RANGE),
        ("2026-12", domain.PERIOD_OUT_OF_RANGE),
        (202609, domain.WRONG_TYPE),
    ],
)
def test_period_rejections(period, code):
    assert codes(check(good(period=period))) == [("period", code)]


def test_period_parsing_and_current_month_is_accepted():
    assert domain.parse_period("2024-02") == dt.date(2024, 2, 1)
    assert domain.parse_period("2024-2") is None
    assert check(good(period="2026-11")).period_on == dt.date(2026, 11, 1)
    assert domain.latest_accepted_period(dt.date(2026, 11, 24)) == dt.date(2026, 11, 1)
    assert domain.format_period(dt.date(2026, 1, 1)) == "2026-01"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("quantity", -1, domain.NEGATIVE),
        ("quantity", 1.5, domain.WRONG_TYPE),
        ("quantity", "3", domain.WRONG_TYPE),
        ("quantity", True, domain.WRONG_TYPE),
        ("quantity", 10**13, domain.OUT_OF_RANGE),
        ("member_count", -2, domain.NEGATIVE),
        ("member_count", "many", domain.WRONG_TYPE),
        ("member_count", 2**31, domain.OUT_OF_RANGE),
    ],
)
def test_count_rejections(field, value, code):
    assert codes(check(good(**{field: value}))) == [(field, code)]


def test_member_count_is_optional_and_may_be_null():
    assert check(good()).member_count is None
    assert check(good(member_count=None)).member_count is None
    assert check(good(member_count=0)).member_count == 0


def test_reference_and_code_shape_errors():
    assert codes(check(good(account_code="G9"))) == [("account_code", domain.UNKNOWN_ACCOUNT)]
    assert codes(check(good(product_code="NOPE"))) == [("product_code", domain.UNKNOWN_PRODUCT)]
    assert codes(check(good(account_code="G\x001"))) == [("account_code", domain.INVALID_CODE)]
    assert codes(check(good(account_code="x" * 33))) == [("account_code", domain.INVALID_CODE)]
    assert codes(check(good(product_code=["DL-DIA"]))) == [("product_code", domain.WRONG_TYPE)]


def test_every_error_of_a_record_is_reported_at_once():
    result = check({"period": "nope", "amount": "1.001", "colour": "red", "quantity": None})
    assert codes(result) == [
        ("account_code", domain.REQUIRED),
        ("amount", domain.TOO_MANY_DECIMALS),
        ("colour", domain.UNKNOWN_FIELD),
        ("period", domain.INVALID_PERIOD),
        ("product_code", domain.REQUIRED),
        ("quantity", domain.REQUIRED),
    ]


@pytest.mark.parametrize("value", [None, [], "text", 3, [1, 2]])
def test_a_record_must_be_an_object(value):
    assert codes(check(value)) == [("", domain.NOT_AN_OBJECT)]


def test_unknown_field_names_are_made_safe():
    result = check(good(**{"bad\x00name" + "x" * 100: 1}))
    (error,) = result.errors
    assert error.code == domain.UNKNOWN_FIELD
    assert "\x00" not in error.field and len(error.field) <= domain.MAX_FIELD_NAME + 1


def test_duplicate_natural_key_in_a_batch_keeps_the_first():
    result = domain.validate_batch(
        [good(), good(amount="1.00"), good(product_code="VN-VPMN"), good(quantity=-1), good()],
        account_ids=ACCOUNTS,
        product_ids=PRODUCTS,
        latest_period=LATEST,
    )
    assert [v.index for v in result.valid] == [0, 2]
    assert [(r.index, r.errors[0].code) for r in result.rejected] == [
        (1, domain.DUPLICATE_IN_BATCH),
        (3, domain.NEGATIVE),
        (4, domain.DUPLICATE_IN_BATCH),
    ]
    assert dict(result.rejected[0].errors[0].params) == {"first_index": 0}


def test_referenced_codes_ignore_malformed_values():
    accounts, products = domain.referenced_codes(
        [good(), {"account_code": 5}, "x", good(account_code="G2", product_code="\x00")]
    )
    assert accounts == {"G1", "G2"} and products == {"DL-DIA"}


def test_json_depth():
    deep: list = []
    node = deep
    for _ in range(50):
        child: list = []
        node.append(child)
        node = child
    assert domain.json_depth_exceeds({"records": deep}, 16)
    assert not domain.json_depth_exceeds({"records": [good()]}, 16)
    assert not domain.json_depth_exceeds("scalar", 1)


def test_csv_records_and_encodings():
    text = "account_code,period,product_code,amount,quantity,member_count\r\n"
    text += "G1,2026-09,DL-DIA,12.50,3,\r\nG2,2026-09,VN-VPMN,-1.00,x,5\r\n\r\n"
    records = domain.records_from_csv(text)
    assert records == [
        {"account_code": "G1", "period": "2026-09", "product_code": "DL-DIA", "amount": "12.50",
         "quantity": 3},
        {"account_code": "G2", "period": "2026-09", "product_code": "VN-VPMN", "amount": "-1.00",
         "quantity": "x", "member_count": 5},
    ]  # fmt: skip
    assert domain.decode_csv("\ufeffa,b".encode()) == "a,b"
    assert domain.decode_csv("集团".encode("gb18030")) == "集团"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("account_code,period\nG1,2026-09\n", "invalid_csv_header"),
        ("account_code,period,product_code,amount,quantity,colour\n", "invalid_csv_header"),
        ("a\x00b", "invalid_csv"),
    ],
)
def test_csv_format_errors(text, code):
    with pytest.raises(domain.CsvFormatError) as info:
        domain.records_from_csv(text)
    assert info.value.code == code


# The fast path of validate_batch must accept exactly what validate_record accepts.
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=2**40),
    st.floats(allow_nan=True),
    st.sampled_from(["G1", "G2", "G9", "DL-DIA", "VN-VPMN", "2026-09", "2026-13", "1999-01",
                     "2027-01", "12.50", "-0.5", "1.234", "1e3", "", "x"]),
    st.lists(st.integers(), max_size=2),
)  # fmt: skip
keys = st.sampled_from([*domain.RECORD_FIELDS, "colour"])


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(keys, values, max_size=7), st.data())
def test_fast_path_agrees_with_full_validation(record, data):
    # Bias towards almost-valid records so both paths are exercised.
    base = good(member_count=data.draw(st.sampled_from([None, 0, 5])))
    if data.draw(st.booleans()):
        base.update(record)
        record = base
    fast = domain._fast_valid(0, record, ACCOUNTS, PRODUCTS, LATEST, {}, domain.AMOUNT_RE.fullmatch)
    full = check(record)
    if fast is not None:
        assert fast == full
    batch = domain.validate_batch(
        [record], account_ids=ACCOUNTS, product_ids=PRODUCTS, latest_period=LATEST
    )
    assert (batch.valid[0] if batch.valid else batch.rejected[0]) == full
