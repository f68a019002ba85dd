"""Pure rules for group customers. No Django import: plain values in, plain values out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

# GB 32100-2015 法人和其他组织统一社会信用代码编码规则: 31 characters (no I, O, Z, S, V).
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_CODE_SHAPE = re.compile(r"^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$")
# Registration authorities (the first character) allowed by the standard's annex.
_AUTHORITIES = set("123456789ANY")


class CreditCodeError(Enum):
    LENGTH = "length"
    CHARACTERS = "characters"
    AUTHORITY = "authority"
    CHECKSUM = "checksum"


@dataclass(frozen=True)
class CreditCodeCheck:
    ok: bool
    error: CreditCodeError | None = None
    expected_check_char: str | None = None


def credit_code_check_char(first17: str) -> str:
    """The 18th character for the first 17 (GB 32100-2015 §5): 31 − (Σ value × weight mod 31)."""
    total = sum(
        CREDIT_CODE_CHARSET.index(char) * weight
        for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def check_credit_code(code: str) -> CreditCodeCheck:
    if len(code) != 18:
        return CreditCodeCheck(False, CreditCodeError.LENGTH)
    if not _CREDIT_CODE_SHAPE.match(code):
        return CreditCodeCheck(False, CreditCodeError.CHARACTERS)
    if code[0] not in _AUTHORITIES:
        return CreditCodeCheck(False, CreditCodeError.AUTHORITY)
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        return CreditCodeCheck(False, CreditCodeError.CHECKSUM, expected)
    return CreditCodeCheck(True)


def normalise_credit_code(raw: str) -> str:
    """Upper-case and strip spaces; people type codes with spaces and lower-case letters."""
    return "".join(raw.split()).upper()


def mask_msisdn(number: str) -> str:
    """A member line is stored masked (138****1234): the CRM needs to recognise, not to dial."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) < 7:
        raise ValueError("too short to mask")
    return f"{digits[:3]}****{digits[-4:]}"


# DOMAIN.md §3: personal and organisational drivers of a key person, and the means of
# communication that suit each (from the seeds' key-person marketing pages).
DRIVER_MEANS: dict[str, tuple[str, ...]] = {
    "power": ("executive_meeting", "exclusive_briefing", "decision_options"),
    "achievement": ("success_metrics", "reference_cases", "pilot_results"),
    "recognition": ("public_acknowledgement", "industry_forum_invitation", "award_nomination"),
    "belonging": ("customer_club", "peer_events", "regular_visits"),
    "orderliness": ("written_plan", "detailed_documentation", "clear_timeline"),
    "security": ("risk_guarantees", "service_level_commitment", "proven_solutions"),
    "financial": ("cost_benefit_analysis", "flexible_pricing", "tco_comparison"),
    "performance": ("efficiency_demo", "productivity_case", "kpi_dashboard"),
    "image": ("joint_publicity", "showcase_project", "innovation_story"),
}


def communication_means(drivers: list[str] | tuple[str, ...]) -> list[str]:
    """The communication means for a key person's top drivers, in driver order, without repeats."""
    seen: list[str] = []
    for driver in drivers:
        for means in DRIVER_MEANS.get(driver, ()):
            if means not in seen:
                seen.append(means)
    return seen
