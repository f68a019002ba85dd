"""The pure credit-code validator (GB 32100-2015), against published codes and mutations of them.

No database: accounts.domain imports nothing from Django."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.domain import (
    CREDIT_CODE_CHARSET,
    CreditCodeError,
    check_credit_code,
    credit_code_check_char,
    normalise_credit_code,
)

# Published unified social credit codes of real organisations (business licences and registries).
PUBLISHED = [
    "91350100M000100Y43",
    "9144030071526726XG",
    "91330100799655058B",
    "914403001922038216",
    "91110000100010433L",
]
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_pass(code: str) -> None:
    assert check_credit_code(code).ok
    assert credit_code_check_char(code[:17]) == code[17]


def test_charset_is_the_standards_31_characters() -> None:
    assert len(CREDIT_CODE_CHARSET) == 31
    assert not set("IOSVZ") & set(CREDIT_CODE_CHARSET)


@pytest.mark.parametrize("letter", list("IOSVZ"))
@pytest.mark.parametrize("position", [1, 9, 16, 17])
def test_letters_outside_the_charset_are_rejected(letter: str, position: int) -> None:
    code = PUBLISHED[0]
    mutated = code[:position] + letter + code[position + 1 :]
    result = check_credit_code(mutated)
    assert not result.ok
    assert result.error is CreditCodeError.CHARACTERS


@pytest.mark.parametrize(
    "code,error",
    [
        ("", CreditCodeError.LENGTH),
        ("91350100M000100Y4", CreditCodeError.LENGTH),
        ("91350100M000100Y433", CreditCodeError.LENGTH),
        ("91350100m000100y43", CreditCodeError.CHARACTERS),  # the pure check does not normalise
        ("91350100M000100Y-3", CreditCodeError.CHARACTERS),
        ("913501A0M000100Y43", CreditCodeError.CHARACTERS),  # division code must be digits
        ("91350100M000100Y44", CreditCodeError.CHECKSUM),
    ],
)
def test_malformed_codes(code: str, error: CreditCodeError) -> None:
    result = check_credit_code(code)
    assert not result.ok
    assert result.error is error


def test_checksum_error_names_the_expected_character() -> None:
    result = check_credit_code("91350100M000100Y44")
    assert result.error is CreditCodeError.CHECKSUM
    assert result.expected_check_char == "3"


def test_first_character_must_be_a_registration_authority() -> None:
    body = "B1350100M000100Y4"  # B is in the charset but registers nobody
    result = check_credit_code(body + credit_code_check_char(body))
    assert result.error is CreditCodeError.AUTHORITY


@pytest.mark.parametrize(
    "raw,normalised",
    [
        ("91350100m000100y43", "91350100M000100Y43"),
        (" 9135 0100 M000 100Y 43 ", "91350100M000100Y43"),
        ("9144030071526726xg\n", "9144030071526726XG"),
        ("\t91330100799655058b", "91330100799655058B"),
    ],
)
def test_normalisation_upper_cases_and_strips_spaces(raw: str, normalised: str) -> None:
    assert normalise_credit_code(raw) == normalised
    assert check_credit_code(normalise_credit_code(raw)).ok


@settings(max_examples=500, deadline=None)
@given(
    code=st.sampled_from(PUBLISHED),
    position=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from(ALPHABET),
)
def test_every_single_character_substitution_fails(
    code: str, position: int, replacement: str
) -> None:
    """31 is prime and no weight is a multiple of it, so changing any one character changes the
    weighted sum mod 31: every single substitution is caught (by the charset or the checksum)."""
    if code[position] == replacement:
        return
    mutated = code[:position] + replacement + code[position + 1 :]
    assert not check_credit_code(mutated).ok


def test_every_single_character_substitution_fails_exhaustively() -> None:
    for code in PUBLISHED:
        for position in range(18):
            for replacement in ALPHABET:
                if replacement != code[position]:
                    mutated = code[:position] + replacement + code[position + 1 :]
                    assert not check_credit_code(mutated).ok, mutated


@settings(max_examples=300, deadline=None)
@given(
    authority=st.sampled_from("123456789ANY"),
    kind=st.sampled_from(CREDIT_CODE_CHARSET),
    division=st.text("0123456789", min_size=6, max_size=6),
    body=st.text(CREDIT_CODE_CHARSET, min_size=9, max_size=9),
    position=st.integers(min_value=0, max_value=17),
    shift=st.integers(min_value=1, max_value=30),
)
def test_generated_codes_pass_and_their_mutations_fail(
    authority: str, kind: str, division: str, body: str, position: int, shift: int
) -> None:
    first17 = authority + kind + division + body
    code = first17 + credit_code_check_char(first17)
    assert check_credit_code(code).ok
    # Substitute one character by another of the charset: only the checksum can catch it.
    if 2 <= position <= 7:
        return  # division digits: covered by the charset rule for letters, below for digits
    current = CREDIT_CODE_CHARSET.index(code[position])
    replacement = CREDIT_CODE_CHARSET[(current + shift) % 31]
    mutated = code[:position] + replacement + code[position + 1 :]
    assert not check_credit_code(mutated).ok


@settings(max_examples=200, deadline=None)
@given(
    code=st.sampled_from(PUBLISHED),
    i=st.integers(min_value=0, max_value=15),
)
def test_adjacent_transpositions_of_different_characters_fail(code: str, i: int) -> None:
    """Among the 17 weighted characters neighbouring weights differ, so swapping two different
    neighbours changes the sum by (w_i − w_i+1)(v_i+1 − v_i), never a multiple of the prime 31."""
    if code[i] == code[i + 1]:
        return
    swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
    assert not check_credit_code(swapped).ok
