"""Translated labels for codes that the pure domain module returns (it cannot import Django)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .domain import SlaState

# DOMAIN.md §3 / accounts.domain.DRIVER_MEANS: the communication means suggested for a driver.
MEANS_LABELS = {
    "voice_direct": _("direct phone call"),
    "mobile_mailbox": _("mobile mailbox"),
    "conference_sms": _("conference SMS"),
    "praise_message": _("message of praise"),
    "experience_sharing": _("experience sharing"),
    "group_praise_broadcast": _("praise broadcast to the group"),
    "group_sms_exchange": _("group SMS exchange"),
    "group_vnet": _("group virtual network (VPMN)"),
    "mobile_im": _("mobile instant messaging"),
    "enterprise_wap_portal": _("enterprise mobile portal"),
    "structured_sms": _("structured SMS notices"),
    "confidential_mailbox": _("highly confidential mobile mailbox"),
    "confidential_im": _("confidential instant messaging"),
    "cost_saving_case": _("cost-saving case"),
    "tco_comparison": _("total cost of ownership comparison"),
    "productivity_demo": _("productivity demonstration"),
    "reference_case": _("reference case"),
    "showcase_project": _("showcase project"),
    "joint_publicity": _("joint publicity"),
}

SLA_LABELS = {
    SlaState.ON_TRACK: _("on track"),
    SlaState.DUE_SOON: _("due soon"),
    SlaState.BREACHED: _("SLA breached"),
    SlaState.MET: _("SLA met"),
    SlaState.MISSED: _("SLA missed"),
}


def means_label(key: str) -> str:
    label = MEANS_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ")
