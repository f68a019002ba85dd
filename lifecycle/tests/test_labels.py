"""Evidence and notification words: pure, no database."""

from __future__ import annotations

from django.utils import translation

from lifecycle import labels


def test_revenue_drop_in_words() -> None:
    with translation.override("en"):
        text = labels.evidence_text("revenue_drop", {"r3": "8200.00", "p3": "12000.00"})
    assert text == "revenue m1–m3 8,200 vs 12,000 before: −32 %"


def test_other_flags_in_words() -> None:
    """The evidence keys are lifecycle/domain.py's."""
    with translation.override("en"):
        assert labels.evidence_text("member_drop", {"m1": 45, "m4": 60}) == (
            "member lines 45 vs 60 three months before: −25 %"
        )
        assert labels.evidence_text("product_cancelled", {"products": ["P01", "P07"]}) == (
            "products no longer billed: P01, P07"
        )
        assert labels.evidence_text("complaints", {"open": 2, "past_sla": 1}) == (
            "2 open complaints, 1 past SLA"
        )
        assert labels.evidence_text("no_contact", {"last_contact_on": None}) == (
            "no activity recorded"
        )
        assert labels.evidence_text("no_contact", {"last_contact_on": "2026-04-01"}) == (
            "no activity since 2026-04-01"
        )
        assert labels.evidence_text(
            "zero_revenue", {"m1": 0.0, "first_revenue_on": "2024-03-01"}
        ) == ("no revenue in m1; billed since 2024-03")
        assert labels.evidence_text(
            "contract_expiring", {"contract_end": "2027-01-15", "days": 56}
        ) == ("contract ends 2027-01-15 (in 56 days)")
        assert labels.evidence_text(
            "key_person_left", {"left": 2, "last_left_on": "2026-10-01"}
        ) == ("2 decision makers or champions left, the last on 2026-10-01")


def test_unknown_or_broken_evidence_is_shown_not_dropped() -> None:
    with translation.override("en"):
        assert labels.evidence_text("revenue_drop", {"ratio": 0.6}) == "ratio: 0.6"
        assert labels.evidence_text("revenue_drop", {"r3": "x", "p3": "0"}) == (
            "revenue m1–m3 — vs 0 before: —"
        )


def test_notification_text_and_safe_url() -> None:
    with translation.override("en"):
        text = labels.notification_text(
            "high_risk",
            {"account_code": "G1", "account_name": "甲", "flags": ["revenue_drop", "odd"]},
        )
    assert text == "New high churn risk: 甲 (G1) — revenue drop, odd"
    assert labels.safe_url("/lifecycle/tasks/1/") == "/lifecycle/tasks/1/"
    assert labels.safe_url("//evil.example/") == ""
    assert labels.safe_url("javascript:alert(1)") == ""
