"""Words for lifecycle numbers, in the reader's language: a flag's evidence ("revenue m1–m3 8,200
vs 12,000 before: −32 %"), the playbook texts stored as English message ids, a notification's
sentence from its parameters (formats: the docstring of lifecycle/notify.py); an unknown key is
shown as "key: value" rather than dropped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from .models import ChurnRisk, FlagCode, RetentionTask, Stage

NO_STAGE_LABEL = gettext_lazy("no stage")

# Stages by letter, also for a NULL stage (a prospect).
STAGE_LABELS: dict[str | None, Any] = {
    **dict(Stage.choices),
    None: NO_STAGE_LABEL,
    "": NO_STAGE_LABEL,
}
FLAG_LABELS: dict[str, Any] = dict(FlagCode.choices)
# With a context: a bare "medium" is already a size band ("中型") in the project catalogue.
RISK_LABELS: dict[str, Any] = {
    ChurnRisk.LOW.value: pgettext_lazy("churn risk", "low"),
    ChurnRisk.MEDIUM.value: pgettext_lazy("churn risk", "medium"),
    ChurnRisk.HIGH.value: pgettext_lazy("churn risk", "high"),
}
OUTCOME_LABELS: dict[str, Any] = dict(RetentionTask.Outcome.choices)


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def amount(value: Any) -> str:
    """A CNY amount (or a count) without decimals, grouped by thousands: 8,200. The same in
    both languages, as the rest of the site shows amounts (intcomma)."""
    number = _decimal(value)
    if number is None:
        return "—"
    return f"{int(number.quantize(Decimal('1'))):,}"


def change_percent(now: Any, before: Any) -> str:
    """Signed percent change with a real minus sign: −32 %, +5 %."""
    a, b = _decimal(now), _decimal(before)
    if a is None or b is None or b == 0:
        return "—"
    pct = ((a - b) / b * 100).quantize(Decimal("1"))
    sign = "−" if pct < 0 else "+"
    return f"{sign}{abs(pct)} %"


def _month(value: Any) -> str:
    text = str(value or "")
    return text[:7] if len(text) >= 7 else text or "—"


def _generic(evidence: Mapping[str, Any]) -> str:
    return "; ".join(f"{key}: {value}" for key, value in evidence.items())


def evidence_text(code: str, evidence: Mapping[str, Any] | None) -> str:
    """The numbers that raised a flag, in words."""
    ev: Mapping[str, Any] = evidence or {}
    try:
        if code == FlagCode.REVENUE_DROP and "r3" in ev and "p3" in ev:
            return _("revenue m1–m3 %(now)s vs %(before)s before: %(change)s") % {
                "now": amount(ev["r3"]),
                "before": amount(ev["p3"]),
                "change": change_percent(ev["r3"], ev["p3"]),
            }
        if code == FlagCode.ZERO_REVENUE:
            first = ev.get("first_revenue_on")
            if first:
                return _("no revenue in m1; billed since %(month)s") % {"month": _month(first)}
            return _("no revenue in m1")
        members = (ev.get("m1"), ev.get("m4")) if "m4" in ev else (None, None)
        if code == FlagCode.MEMBER_DROP and members[1] is not None:
            return _("member lines %(now)s vs %(before)s three months before: %(change)s") % {
                "now": amount(members[0]),
                "before": amount(members[1]),
                "change": change_percent(members[0], members[1]),
            }
        if code == FlagCode.PRODUCT_CANCELLED and isinstance(ev.get("products"), Sequence):
            return _("products no longer billed: %(products)s") % {
                "products": ", ".join(str(p) for p in ev["products"])
            }
        if code == FlagCode.CONTRACT_EXPIRING and ev.get("contract_end"):
            if ev.get("days") is not None:
                return _("contract ends %(date)s (in %(days)s days)") % {
                    "date": ev["contract_end"],
                    "days": ev["days"],
                }
            return _("contract ends %(date)s") % {"date": ev["contract_end"]}
        if code == FlagCode.COMPLAINTS and "open" in ev:
            return _("%(open)s open complaints, %(late)s past SLA") % {
                "open": ev.get("open", 0),
                "late": ev.get("past_sla", 0),
            }
        if code == FlagCode.KEY_PERSON_LEFT and "left" in ev:
            return _("%(n)s decision makers or champions left, the last on %(date)s") % {
                "n": ev["left"],
                "date": ev.get("last_left_on") or "—",
            }
        if code == FlagCode.NO_CONTACT:
            last = ev.get("last_contact_on")
            if last:
                return _("no activity since %(date)s") % {"date": last}
            return _("no activity recorded")
    except (TypeError, ValueError, AttributeError):
        pass
    return _generic(ev)


def flag_view(code: str, evidence: Mapping[str, Any] | None, **extra: Any) -> dict[str, Any]:
    """A flag as templates show it."""
    return {
        "code": code,
        "label": FLAG_LABELS.get(code, code),
        "evidence": dict(evidence or {}),
        "evidence_text": evidence_text(code, evidence),
        **extra,
    }


def playbook_text(msgid: str) -> str:
    """A playbook text stored on a task (an English msgid) in the reader's language."""
    return _(msgid) if msgid else ""


def parse_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


REVENUE_LABEL = gettext_lazy("Revenue (CNY)")


def notification_text(kind: str, params: Mapping[str, Any] | None) -> str:
    """A notification's sentence in the reader's language, from its stored parameters."""
    p: Mapping[str, Any] = params or {}
    account = _("%(name)s (%(code)s)") % {
        "name": p.get("account_name", ""),
        "code": p.get("account_code", ""),
    }
    if kind == "high_risk":
        codes = p.get("flags") or []
        flags = _list_separator().join(
            str(FLAG_LABELS.get(c, c)) for c in codes if isinstance(c, str)
        )
        if flags:
            return _("New high churn risk: %(account)s — %(flags)s") % {
                "account": account,
                "flags": flags,
            }
        return _("New high churn risk: %(account)s") % {"account": account}
    if kind == "task_overdue":
        return _("Retention task overdue since %(date)s: %(account)s") % {
            "date": p.get("due_on", ""),
            "account": account,
        }
    return _generic(p)


def _list_separator() -> str:
    return "、" if (get_language() or "").startswith("zh") else ", "


def safe_url(url: str | None) -> str:
    """Only a link inside the site (a path), never another host or a javascript: URL."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return ""
