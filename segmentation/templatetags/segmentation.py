"""`{% account_scores account %}`: the scores panel of the account page, so the accounts app only
includes it (one line) and segmentation owns what it shows. It reads through the selectors with the
page's user, like a view would."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.utils.translation import gettext as _

from .. import selectors
from ..forms import ClassOverrideForm
from ..labels import CLASS_PROFILE, GROUP_LABELS
from ..models import INDICATOR_LABELS, ValueClass
from ..services import can_override_class

register = template.Library()


@register.inclusion_tag("segmentation/_account_scores_lazy.html")
def account_scores(account: Any) -> dict[str, Any]:
    """A placeholder the page loads after it is shown (htmx), so the account page's own query
    budget is untouched; the panel is `segmentation:account_panel`."""
    return {"account": account}


def panel_context(request: Any, account: Any) -> dict[str, Any]:
    """Everything `_account_scores.html` shows, for one visibility-checked account."""
    user = request.user
    from org.visibility import can_edit_account

    scores = getattr(account, "scores", None) or selectors.account_scores(account=account)
    explanation = selectors.score_explanation(account=account)
    history = selectors.account_score_history(account=account, limit=60)
    group_of_step = {"step1": "scale", "step2": "it_investment", "step3": "complexity"}
    steps = [
        {
            "key": key,
            "label": GROUP_LABELS[key],
            "mean": explanation.groups.get(group_of_step.get(key, key)),
            "lines": [{**line.__dict__, "label": INDICATOR_LABELS[line.name]} for line in lines],
        }
        for key, lines in explanation.steps.items()
    ]
    radar = {
        "labels": [
            str(GROUP_LABELS["step1"]),
            str(GROUP_LABELS["step2"]),
            str(GROUP_LABELS["step3"]),
            str(_("Economic value")),
            str(_("Social value")),
        ],
        "values": [
            _num(scores.step1_score),
            _num(scores.step2_score),
            _num(scores.step3_score),
            _num(scores.economic_value_score),
            _num(scores.social_value_score),
        ],
        "history": {
            "labels": [h.on.isoformat() for h in reversed(history)],
            "segment": [_num(h.segment_score) for h in reversed(history)],
            "economic": [_num(h.economic_value_score) for h in reversed(history)],
            "social": [_num(h.social_value_score) for h in reversed(history)],
            "names": [str(_("Segment score")), str(_("Economic value")), str(_("Social value"))],
        },
    }
    class_label = dict(ValueClass.choices)
    return {
        "account": account,
        "scores": scores,
        "class_label": class_label.get(scores.value_class, scores.value_class),
        "computed_label": class_label.get(scores.computed_class or "", ""),
        "profile": CLASS_PROFILE.get(scores.value_class, {}),
        "steps": steps,
        "explanation": explanation,
        "history": history[:24],
        "radar": radar,
        "radar_json": json.dumps(radar, ensure_ascii=False),
        "can_override": can_override_class(user, account),
        "can_edit": can_edit_account(user, account),
        "override_form": ClassOverrideForm(
            initial={"value_class": scores.value_class}, auto_id="override_%s"
        ),
    }


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


@register.filter
def class_label(value: str | None) -> str:
    """A value class code ("economic") as the page's language names it."""
    if not value:
        return ""
    return str(dict(ValueClass.choices).get(value, value))
