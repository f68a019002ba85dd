"""Words the pages show for the value classes and score groups (DOMAIN.md §4.3), translatable."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from . import domain

CLASS_PROFILE = {
    domain.ECONOMIC: {
        "who": _("Large enterprises and industry leaders"),
        "core_value": _("Economic and industry influence"),
        "approach": _(
            "Account-manager system and direct sales; individual solutions and pricing; "
            "business and service together."
        ),
    },
    domain.SOCIAL: {
        "who": _("Government bodies and authoritative non-profit institutions"),
        "core_value": _(
            "Social influence: showcase, authority, control of public information, content "
            "partnership"
        ),
        "approach": _("Service first; relationships at the top; reference cases."),
    },
    domain.CLUSTERED_SME: {
        "who": _("Small and medium enterprises"),
        "core_value": _("Scale through aggregation"),
        "approach": _(
            "Standard packages; mass marketing (ads, seminars); partner and indirect channels."
        ),
    },
}

GROUP_LABELS = {
    "step1": _("Step 1: scale"),
    "step2": _("Step 2: IT investment"),
    "step3": _("Step 3: IT complexity"),
    "profitability": _("Profitability"),
    "it_attitude": _("IT attitude"),
    "policy_influence": _("Policy and standards influence"),
    "resource_influence": _("Industry resource influence"),
    "demonstration_influence": _("Demonstration influence"),
}
