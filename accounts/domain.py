"""Pure rules for group customers. No Django import: plain values in, plain values out."""

from __future__ import annotations

import datetime as dt
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


# DOMAIN.md §3: personal and organisational drivers of a key person, and the communication means
# that suit each. Personal drivers follow the seeds' table "基于心理需求的通信手段" (seed 003,
# p.43): e.g. a power-driven leader is reached by voice and conference SMS, a security-driven one
# by highly confidential mobile mail. Organisational drivers (财务/绩效/形象, p.39) map to the
# arguments that move the organisation.
DRIVER_MEANS: dict[str, tuple[str, ...]] = {
    "power": ("voice_direct", "mobile_mailbox", "conference_sms"),
    "achievement": ("praise_message", "experience_sharing", "mobile_mailbox"),
    "recognition": ("group_praise_broadcast", "group_sms_exchange"),
    "belonging": ("group_vnet", "mobile_im", "enterprise_wap_portal"),
    "orderliness": ("structured_sms", "mobile_mailbox"),
    "security": ("confidential_mailbox", "confidential_im"),
    "financial": ("cost_saving_case", "tco_comparison"),
    "performance": ("productivity_demo", "reference_case"),
    "image": ("showcase_project", "joint_publicity"),
}


def communication_means(drivers: list[str] | tuple[str, ...]) -> list[str]:
    """The communication means for a key person's top drivers, in driver order, without repeats."""
    seen: list[str] = []
    for driver in drivers:
        for means in DRIVER_MEANS.get(driver, ()):
            if means not in seen:
                seen.append(means)
    return seen


# Service requests: "due soon" once less than a quarter of the SLA window is left (at least one
# hour), so a 4-hour critical ticket warns after 3 hours and a week-long low one a day ahead.
SLA_WARN_FRACTION = 0.25


class SlaState(Enum):
    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    BREACHED = "breached"
    MET = "met"
    MISSED = "missed"


def sla_state(
    *,
    now: dt.datetime,
    opened_at: dt.datetime,
    due_at: dt.datetime,
    resolved_at: dt.datetime | None,
) -> SlaState:
    """Where a service request stands against its SLA at `now` (passed in: no clock here)."""
    if resolved_at is not None:
        return SlaState.MET if resolved_at <= due_at else SlaState.MISSED
    if now > due_at:
        return SlaState.BREACHED
    warn = max((due_at - opened_at) * SLA_WARN_FRACTION, dt.timedelta(hours=1))
    if due_at - now <= warn:
        return SlaState.DUE_SOON
    return SlaState.ON_TRACK


def upcoming_month_days(start: dt.date, days: int) -> list[tuple[int, int]]:
    """The (month, day) pairs of `days` days from `start`, for yearly care dates (birthdays,
    festivals). 29 February birthdays are remembered on 28 February in common years."""
    pairs: list[tuple[int, int]] = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        pairs.append((day.month, day.day))
        leap = day.year % 4 == 0 and (day.year % 100 != 0 or day.year % 400 == 0)
        if (day.month, day.day) == (2, 28) and not leap:
            pairs.append((2, 29))
    return pairs
