"""The campaign target rule and call-list arithmetic, pure: plain values in, plain values out.

No Django import and no clock: the generation date (`as_of`) is passed in. `selection.py` runs the
same rule set-based in SQL; a property test proves both agree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

MAX_WINDOW_MONTHS = 24
MAX_QUESTIONS = 20
ACTIVE = "active"


@dataclass(frozen=True)
class TargetRule:
    """All given parts must hold (AND); an empty set or a None amount means "any".

    Billing part: billed ≥ `min_monthly_amount` CNY (the sum of the account's bill lines of a
    month) in at least `min_months` of the last `window_months` closed months."""

    min_monthly_amount: Decimal | None = None
    min_months: int | None = None
    window_months: int = 12
    churn_risks: frozenset[str] = frozenset()
    stages: frozenset[str] = frozenset()
    value_classes: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not 1 <= self.window_months <= MAX_WINDOW_MONTHS:
            raise ValueError("window_months must be between 1 and 24")
        if self.min_monthly_amount is not None and self.min_monthly_amount <= 0:
            # A month without bill lines bills 0: a threshold ≤ 0 would match months that do not
            # exist in the feed. The rule is about customers who do pay that much.
            raise ValueError("min_monthly_amount must be positive")
        if self.min_months is not None and not 1 <= self.min_months <= self.window_months:
            raise ValueError("min_months must be between 1 and window_months")
        if self.min_months is not None and self.min_monthly_amount is None:
            raise ValueError("min_months needs min_monthly_amount")

    @property
    def months_needed(self) -> int:
        return self.min_months or 1

    @property
    def threshold_cents(self) -> int | None:
        if self.min_monthly_amount is None:
            return None
        return to_cents(self.min_monthly_amount)


@dataclass(frozen=True)
class AccountFacts:
    """What the rule looks at for one account. `monthly_amounts` maps a month's first day to the
    sum of the account's bill lines of that month (months without lines may be absent)."""

    status: str
    in_region: bool
    monthly_amounts: Mapping[dt.date, Decimal] = field(default_factory=dict)
    churn_risk: str | None = None
    stage: str | None = None
    value_class: str | None = None


def to_cents(amount: Decimal) -> int:
    """Bill amounts have two decimals; compare in whole cents so SQL and Python agree exactly."""
    return int((Decimal(amount) * 100).to_integral_value())


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + (month.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def window_bounds(as_of: dt.date, window_months: int) -> tuple[dt.date, dt.date]:
    """The closed months of the window as [first day of m_window, first day of as_of's month):
    months before `as_of`'s own month are closed, m1 is the month before."""
    end = month_start(as_of)
    return add_months(end, -window_months), end


def closed_months(as_of: dt.date, window_months: int) -> list[dt.date]:
    """m1, m2, … m_window (newest first)."""
    end = month_start(as_of)
    return [add_months(end, -k) for k in range(1, window_months + 1)]


def months_billed_at_least(
    monthly_amounts: Mapping[dt.date, Decimal], *, as_of: dt.date, rule: TargetRule
) -> int:
    threshold = rule.threshold_cents
    if threshold is None:
        return 0
    window = set(closed_months(as_of, rule.window_months))
    return sum(
        1
        for month, amount in monthly_amounts.items()
        if month in window and to_cents(amount) >= threshold
    )


def matches(rule: TargetRule, facts: AccountFacts, *, as_of: dt.date) -> bool:
    """Whether an account belongs on the call list of a campaign generated on `as_of`."""
    if facts.status != ACTIVE or not facts.in_region:
        return False
    if rule.min_monthly_amount is not None and (
        months_billed_at_least(facts.monthly_amounts, as_of=as_of, rule=rule) < rule.months_needed
    ):
        return False
    if rule.churn_risks and facts.churn_risk not in rule.churn_risks:
        return False
    if rule.stages and facts.stage not in rule.stages:
        return False
    return not (rule.value_classes and facts.value_class not in rule.value_classes)


# --- splitting the list among callers ------------------------------------------------------------


def caller_for(position: int, callers: Sequence[int], *, offset: int = 0) -> int:
    """Round-robin: the caller of the `position`-th (1-based) row of the spread ordering. The
    ordering sorts by value class and region, so consecutive rows — and so each class and region —
    go to different callers."""
    return callers[(position - 1 + offset) % len(callers)]


def split_sizes(count: int, callers: int) -> list[int]:
    """How many calls each caller gets when `count` calls are dealt round-robin."""
    if callers <= 0:
        return []
    return [count // callers + (1 if i < count % callers else 0) for i in range(callers)]


def per_caller_estimate(count: int, callers: int) -> int:
    """The "~137 each" of the preview."""
    if callers <= 0:
        return 0
    return int((Decimal(count) / callers).to_integral_value())


# --- questions and answers -----------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    text: str
    options: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"text": self.text, "options": list(self.options)}


def parse_questions(text: str) -> list[Question]:
    """One question a line; answer options after a "|", separated by "/":
    `How satisfied are you with the network? | very / fairly / not satisfied`. No options = a
    free-text answer. Raises ValueError with the line number on a malformed line."""
    questions: list[Question] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        question, _bar, rest = line.partition("|")
        question = question.strip()
        options = tuple(dict.fromkeys(o.strip() for o in rest.split("/") if o.strip()))
        if not question:
            raise ValueError(number)
        if _bar and len(options) < 2:
            raise ValueError(number)
        questions.append(Question(question[:300], tuple(o[:100] for o in options)))
    if len(questions) > MAX_QUESTIONS:
        raise ValueError(MAX_QUESTIONS + 1)
    return questions


def format_questions(questions: Iterable[Mapping[str, object]]) -> str:
    lines = []
    for q in questions:
        options = [str(o) for o in q.get("options") or []]  # type: ignore[attr-defined]
        lines.append(f"{q['text']} | {' / '.join(options)}" if options else str(q["text"]))
    return "\n".join(lines)


def questions_from_json(raw: object) -> list[Question]:
    out = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, Mapping) and item.get("text"):
            out.append(
                Question(str(item["text"]), tuple(str(o) for o in item.get("options") or ()))
            )
        elif isinstance(item, str) and item:
            out.append(Question(item))
    return out


def clean_answers(questions: Sequence[Question], answers: Mapping[str, object]) -> dict[str, str]:
    """Answers keyed by the question's index ("0", "1", …); an option question takes one of its
    options, a free-text question up to 500 characters. Empty answers are left out. Raises
    ValueError(key) for an unknown question or option."""
    cleaned: dict[str, str] = {}
    for key, value in answers.items():
        if not str(key).isdigit() or int(key) >= len(questions):
            raise ValueError(key)
        text = "" if value is None else str(value).strip()
        if not text:
            continue
        question = questions[int(key)]
        if question.options and text not in question.options:
            raise ValueError(key)
        cleaned[str(int(key))] = text[:500]
    return cleaned


@dataclass(frozen=True)
class AnswerCount:
    answer: str
    count: int


@dataclass(frozen=True)
class QuestionResult:
    text: str
    answered: int
    counts: tuple[AnswerCount, ...]
    has_options: bool


def answer_distribution(
    questions: Sequence[Question], answers: Iterable[Mapping[str, str]], *, top: int = 10
) -> list[QuestionResult]:
    """Per question: how many answered, and the count of each answer (every option in its order,
    then for free text the `top` most frequent answers)."""
    tallies: list[dict[str, int]] = [{} for _ in questions]
    for row in answers:
        for key, value in row.items():
            if key.isdigit() and int(key) < len(questions) and value:
                tally = tallies[int(key)]
                tally[value] = tally.get(value, 0) + 1
    results = []
    for question, tally in zip(questions, tallies, strict=True):
        if question.options:
            counts = [AnswerCount(o, tally.get(o, 0)) for o in question.options]
        else:
            ranked = sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
            counts = [AnswerCount(a, n) for a, n in ranked]
        results.append(
            QuestionResult(
                question.text, sum(tally.values()), tuple(counts), bool(question.options)
            )
        )
    return results


def rate(part: int, whole: int) -> Decimal | None:
    """A percentage with one decimal, None when there is nothing to divide by."""
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))
