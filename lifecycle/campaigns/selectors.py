"""Reads for call campaigns.

A campaign is seen whole by those who manage it (`services.can_manage_campaign`); a caller sees
the calls assigned to them, with what they need to make the call. That grant is the call's only:
the account pages stay bound to `org.visibility` (another portfolio's account answers 404)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import KeyPerson, KeyPersonRole
from core.models import JobRun
from lifecycle.models import Campaign, CampaignCall
from org.models import Region, User
from org.visibility import is_crm_staff, regions_visible_to

from . import rules, services

MAX_ID = 2**63 - 1
# Who to ask for on a call, best first: the decision maker, then the internal champion, …
CONTACT_ROLES = (
    KeyPersonRole.DECISION_MAKER,
    KeyPersonRole.CHAMPION,
    KeyPersonRole.INFLUENCER,
    KeyPersonRole.IT_LEAD,
    KeyPersonRole.FINANCE,
    KeyPersonRole.USER,
)


def _pk_or_404(pk: int) -> None:
    if not 0 < pk <= MAX_ID:
        raise Http404("Not found.")


def campaign_list(*, user: Any) -> QuerySet[Campaign]:
    """The campaigns a user manages, newest first, with their list counts (one query)."""
    qs = Campaign.objects.select_related("region", "created_by")
    if not is_crm_staff(user):
        return qs.none()
    if not services.is_hq(user):
        if user.role != User.Role.REGIONAL_MANAGER or not user.region_id:
            qs = qs.filter(created_by_id=user.pk)
        else:
            qs = qs.filter(Q(region__path__startswith=user.region.path) | Q(created_by_id=user.pk))
    return qs.annotate(
        call_count=Count("calls"),
        done_count=Count("calls", filter=Q(calls__status=CampaignCall.Status.DONE)),
    ).order_by("-starts_on", "-id")


def campaign_get(*, user: Any, pk: int) -> Campaign:
    _pk_or_404(pk)
    campaign = Campaign.objects.select_related("region", "created_by").filter(pk=pk).first()
    if campaign is None or not services.can_manage_campaign(user, campaign):
        raise Http404("No such campaign.")
    return campaign


def campaign_callers(campaign: Campaign) -> list[User]:
    return list(campaign.callers.select_related("region").order_by("id"))


def caller_choices(*, user: Any) -> QuerySet[User]:
    """The staff a user may pick as callers (the service checks them against the campaign's
    region): account and regional managers in the regions the user sees."""
    return (
        User.objects.filter(
            is_active=True,
            role__in=services.CALLER_ROLES,
            region__in=regions_visible_to(user),
        )
        .select_related("region")
        .order_by("region__path", "display_name", "id")
    )


def region_choices(*, user: Any) -> QuerySet[Region]:
    if services.is_hq(user):
        return Region.objects.order_by("path")
    if not services.can_create_campaigns(user):
        return Region.objects.none()
    return Region.objects.filter(path__startswith=user.region.path).order_by("path")


def _contacts_prefetch() -> Prefetch:
    return Prefetch(
        "account__key_persons",
        queryset=KeyPerson.objects.filter(left_on__isnull=True, role__in=CONTACT_ROLES).order_by(
            "account_id", "-influence", "id"
        ),
        to_attr="contacts",
    )


def _call_columns(qs: QuerySet[CampaignCall]) -> QuerySet[CampaignCall]:
    return qs.select_related(
        "campaign",
        "caller",
        "account",
        "account__region",
        "account__owner",
        "account__lifecycle",
    ).prefetch_related(_contacts_prefetch())


def main_contact(call: CampaignCall) -> KeyPerson | None:
    """The decision maker, else the main key person (by role, then influence)."""
    contacts = getattr(call.account, "contacts", None)
    if contacts is None:
        contacts = list(
            call.account.key_persons.filter(left_on__isnull=True, role__in=CONTACT_ROLES)
        )
    if not contacts:
        return None
    order = {role: i for i, role in enumerate(CONTACT_ROLES)}
    return min(contacts, key=lambda p: (order.get(p.role, 99), -p.influence, p.id))


def call_list(
    *, user: Any, campaign_id: int, caller_id: int | None = None, status: str = ""
) -> QuerySet[CampaignCall]:
    """A managed campaign's calls (not ordered: the page or API paginates by keyset)."""
    campaign = campaign_get(user=user, pk=campaign_id)
    qs = CampaignCall.objects.filter(campaign_id=campaign.pk)
    if caller_id:
        qs = qs.filter(caller_id=caller_id)
    if status in CampaignCall.Status.values:
        qs = qs.filter(status=status)
    return _call_columns(qs)


def my_calls(*, user: Any, status: str = CampaignCall.Status.PENDING) -> QuerySet[CampaignCall]:
    """The calls assigned to the user in active campaigns."""
    if not is_crm_staff(user):
        return CampaignCall.objects.none()
    qs = CampaignCall.objects.filter(caller_id=user.pk, campaign__status=Campaign.Status.ACTIVE)
    if status in CampaignCall.Status.values:
        qs = qs.filter(status=status)
    return _call_columns(qs)


def my_call_counts(*, user: Any) -> dict[str, int]:
    rows = (
        CampaignCall.objects.filter(caller_id=user.pk, campaign__status=Campaign.Status.ACTIVE)
        .values("status")
        .annotate(n=Count("id"))
    )
    counts = dict.fromkeys(CampaignCall.Status.values, 0)
    counts.update({r["status"]: r["n"] for r in rows})
    return counts


def call_get(*, user: Any, pk: int) -> CampaignCall:
    """A call for its caller or a manager of its campaign; anyone else gets a 404."""
    _pk_or_404(pk)
    call = _call_columns(CampaignCall.objects.filter(pk=pk)).first()
    if call is None or not is_crm_staff(user):
        raise Http404("No such call.")
    if call.caller_id != user.pk and not services.can_manage_campaign(user, call.campaign):
        raise Http404("No such call.")
    return call


def caller_has_calls(*, user: Any) -> bool:
    return bool(
        is_crm_staff(user)
        and CampaignCall.objects.filter(
            caller_id=user.pk, campaign__status=Campaign.Status.ACTIVE
        ).exists()
    )


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallerRow:
    caller: str
    listed: int
    called: int
    reached: int
    accepted: int

    @property
    def reach_rate(self) -> Decimal | None:
        return rules.rate(self.reached, self.called)

    @property
    def conversion(self) -> Decimal | None:
        return rules.rate(self.accepted, self.reached)


@dataclass(frozen=True)
class Results:
    listed: int
    called: int
    reached: int
    accepted: int
    issues: int
    follow_ups: int
    callers: list[CallerRow]
    questions: list[rules.QuestionResult]
    issue_calls: list[CampaignCall]

    @property
    def reach_rate(self) -> Decimal | None:
        return rules.rate(self.reached, self.called)

    @property
    def conversion(self) -> Decimal | None:
        return rules.rate(self.accepted, self.reached)

    @property
    def progress(self) -> Decimal | None:
        return rules.rate(self.called, self.listed)


def _tallies() -> dict[str, Any]:
    done = Q(status=CampaignCall.Status.DONE)
    return {
        "n_listed": Count("id"),
        "n_called": Count("id", filter=done),
        "n_reached": Count("id", filter=done & Q(reached=True)),
        "n_accepted": Count("id", filter=done & Q(reached=True, offer_accepted=True)),
    }


def campaign_results(*, campaign: Campaign, issue_limit: int = 100) -> Results:
    """List size, called, reached (reach rate = reached / called), offer accepted (conversion =
    accepted / reached), per caller, the answer distribution of each question, the issues raised.
    Four queries whatever the list size (aggregates in the database; answers read as one column
    of the called calls)."""
    calls = CampaignCall.objects.filter(campaign_id=campaign.pk)
    totals = calls.aggregate(
        **_tallies(),
        n_issues=Count("id", filter=~Q(issue_raised="")),
        n_follow_ups=Count("id", filter=~Q(follow_up="")),
    )
    per_caller: Any = (
        calls.values("caller_id", "caller__display_name", "caller__username")
        .annotate(**_tallies())
        .order_by("caller__display_name", "caller_id")
    )
    questions = rules.questions_from_json(campaign.questions)
    answers: Iterator[dict[str, str]] = iter(())
    if questions:
        answers = (
            calls.filter(status=CampaignCall.Status.DONE)
            .values_list("answers", flat=True)
            .iterator()
        )  # type: ignore[assignment]
    distribution = rules.answer_distribution(questions, answers)
    issue_calls = list(
        calls.exclude(issue_raised="")
        .select_related("account", "caller")
        .order_by("-called_at", "-id")[:issue_limit]
    )
    return Results(
        listed=totals["n_listed"],
        called=totals["n_called"],
        reached=totals["n_reached"],
        accepted=totals["n_accepted"],
        issues=totals["n_issues"],
        follow_ups=totals["n_follow_ups"],
        callers=[
            CallerRow(
                caller=r["caller__display_name"] or r["caller__username"],
                listed=r["n_listed"],
                called=r["n_called"],
                reached=r["n_reached"],
                accepted=r["n_accepted"],
            )
            for r in per_caller
        ],
        questions=distribution,
        issue_calls=issue_calls,
    )


def last_generation(*, campaign: Campaign) -> JobRun | None:
    """The campaign's newest generation run (its rows/total are the calls added/listed)."""
    return (
        JobRun.objects.filter(job=services.generation_job(campaign.pk))
        .order_by("-started_at", "-id")
        .first()
    )


def export_rows(*, campaign: Campaign) -> tuple[list[str], Iterator[list[Any]]]:
    """The call list with outcomes: one row per call, answers one column per question."""
    questions = rules.questions_from_json(campaign.questions)
    header = [
        _("account code"), _("account"), _("region"), _("account manager"), _("caller"),
        _("status"), _("called at"), _("reached"), *[q.text for q in questions],
        _("issue raised"), _("offer accepted"), _("follow-up"), _("follow-up due"),
    ]  # fmt: skip
    yes, no = _("yes"), _("no")

    def flag(value: bool | None) -> str:
        return "" if value is None else (yes if value else no)

    def rows() -> Iterator[list[Any]]:
        qs = (
            CampaignCall.objects.filter(campaign_id=campaign.pk)
            .select_related("account", "account__region", "account__owner", "caller")
            .order_by("account__code", "id")
        )
        for call in qs.iterator(chunk_size=2000):
            yield [
                call.account.code,
                call.account.name,
                call.account.region.label,
                call.account.owner.label if call.account.owner else "",
                call.caller.label,
                call.get_status_display(),
                timezone.localtime(call.called_at).strftime("%Y-%m-%d %H:%M")
                if call.called_at
                else "",
                flag(call.reached),
                *[(call.answers or {}).get(str(i), "") for i in range(len(questions))],
                call.issue_raised,
                flag(call.offer_accepted),
                call.follow_up,
                call.follow_up_on.isoformat() if call.follow_up_on else "",
            ]

    return header, rows()
