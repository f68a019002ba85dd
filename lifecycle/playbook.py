"""What the seeds ask and propose for each lifecycle stage (DOMAIN.md §5.1).

Pure data: the English texts are message ids (marked with gettext_noop), stored as they are on a
retention task when it opens and translated into the reader's language when shown
(`gettext(task.question)`), so a task keeps the words it was opened with."""

from __future__ import annotations

from dataclasses import dataclass


def N_(text: str) -> str:
    return text


@dataclass(frozen=True)
class Play:
    stage: str
    meaning: str
    question: str
    strategy: str


PLAYBOOK: dict[str, Play] = {
    "A": Play(
        "A",
        N_("from joining to the start of growth"),
        N_("How to make the customer feel the value and stay?"),
        N_(
            "Free or discounted promotion period; analyse value creation with the customer; "
            "differentiate."
        ),
    ),
    "B": Play(
        "B",
        N_("buying more, volume rising fast"),
        N_("How to widen their share of wallet?"),
        N_("Volume, cross-selling and up-selling."),
    ),
    "C": Play(
        "C",
        N_("stable, complete portfolio"),
        N_("How to build loyalty?"),
        N_("Service quality control, switching costs, personalised service."),
    ),
    "D": Play(
        "D",
        N_("scope and volume shrinking (own reasons or price)"),
        N_("How to extend the lifecycle?"),
        N_(
            "Create new value, upgrade services, help the customer transform, raise switching "
            "costs."
        ),
    ),
    "E": Play(
        "E",
        N_("has left"),
        N_("Win back or let go?"),
        N_("New offer; analyse the reasons with the customer."),
    ),
}

# A retention task for an account with no stage yet (a prospect flagged for other reasons).
NO_STAGE = Play(
    "",
    N_("no billed revenue yet"),
    N_("What keeps the customer from starting?"),
    N_("Find the blocker with the decision maker and agree a first step."),
)


def play_for(stage: str | None) -> Play:
    return PLAYBOOK.get(stage or "", NO_STAGE)
