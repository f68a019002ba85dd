"""Notifications of the nightly lifecycle step (issue 6): in-app rows and e-mail.

The nightly step (lifecycle/nightly.py) writes `core.Notification` rows set-based, keyed so a
re-run notifies nobody twice, then e-mails the ones not yet e-mailed (`emailed_at` NULL) to users
with an address, through Django's mail backend.

Kinds and keys (unique per recipient, kind and key):

* `high_risk`, key `task:<task id>`: to the task's owner when a retention task opens (a new
  high-risk episode).
* `task_overdue`, key `task:<task id>`: when an open task is past its `due_on`, to the task's owner
  AND to every active regional manager whose region is the account's region or one of its
  ancestors.

`params` (plain JSON data, rendered in the reader's language when shown — never English text):

    {
        "task_id": 123,                  # lifecycle.RetentionTask id
        "account_code": "GD-000123",     # accounts.Account.code
        "account_name": "广州某某物流有限公司",
        "stage": "D",                    # stage at the task's opening, or null (no stage)
        "flags": ["revenue_drop", "member_drop"],   # FlagCode values open at the opening
        "due_on": "2026-11-15",          # ISO date the task is due
        "episode_on": "2026-11-01"       # ISO date the high-risk episode began
    }

`url` is the account's page (`accounts:detail`), where the task and the flags are shown.
`account` is set too, so a reader only sees notifications of accounts still visible to them.

`render_email` gives the e-mail's subject and body in the active language (gettext of English
message ids, translated in the lifecycle catalogue).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .models import FlagCode

HIGH_RISK = "high_risk"
TASK_OVERDUE = "task_overdue"


def task_key(task_id: int) -> str:
    return f"task:{task_id}"


def flag_labels(codes: list[str]) -> str:
    return _flag_labels(get_language() or "", tuple(codes))


@lru_cache(maxsize=1024)
def _flag_labels(language: str, codes: tuple[str, ...]) -> str:
    # Per language and flag set: the first night e-mails ~140k notifications at 1M accounts,
    # with a few hundred distinct flag sets between them.
    labels = dict(FlagCode.choices)
    return ", ".join(str(labels.get(code, code)) for code in codes)


def render_email(kind: str, params: Mapping[str, Any]) -> tuple[str, str]:
    """Subject and body of one notification's e-mail, in the active language."""
    values = {
        "code": params.get("account_code", ""),
        "name": params.get("account_name", ""),
        "flags": flag_labels(list(params.get("flags") or [])),
        "due_on": params.get("due_on", ""),
    }
    if kind == TASK_OVERDUE:
        subject = _("Retention task overdue: %(name)s (%(code)s)") % values
        body = (
            _(
                "The retention task for %(name)s (%(code)s) was due on %(due_on)s and is still "
                "open. Churn warnings: %(flags)s."
            )
            % values
        )
    else:
        subject = _("High churn risk: %(name)s (%(code)s)") % values
        body = (
            _(
                "%(name)s (%(code)s) is at high risk of churning. Churn warnings: %(flags)s. A "
                "retention task was opened for you, due on %(due_on)s."
            )
            % values
        )
    return subject, body
