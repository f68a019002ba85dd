"""Writes for call campaigns: each service owns its transaction and its audit record (the
simple-history row carries the acting user) and checks the actor's rights itself."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Activity
from accounts.services import activity_log
from core.jobs import recorded_run
from lifecycle.models import Campaign, CampaignCall
from org.models import Region, User
from org.visibility import can_edit_account, is_crm_staff

from . import rules, selection

JOB = "lifecycle.campaign_generate"


def generation_job(campaign_id: int) -> str:
    """The job-run name of one campaign's generations (the ledger is keyed by job name)."""
    return f"{JOB}/{campaign_id}"


# Lists up to this many new calls are generated while the manager waits (well under a second);
# bigger ones go to a Celery worker and show as a job run.
SYNC_LIMIT: int = getattr(settings, "CAMPAIGN_SYNC_GENERATION_LIMIT", 5000)
CALLER_ROLES = (User.Role.ACCOUNT_MANAGER, User.Role.REGIONAL_MANAGER)


# --- who may do what -----------------------------------------------------------------------------


def is_hq(user: Any) -> bool:
    return bool(is_crm_staff(user) and (user.is_superuser or user.role == User.Role.HQ))


def can_create_campaigns(user: Any) -> bool:
    """hq anywhere; a regional manager in their own region subtree; nobody else."""
    if is_hq(user):
        return True
    return bool(is_crm_staff(user) and user.role == User.Role.REGIONAL_MANAGER and user.region_id)


def can_create_in(user: Any, region: Region) -> bool:
    if is_hq(user):
        return True
    return can_create_campaigns(user) and region.path.startswith(user.region.path)


def can_manage_campaign(user: Any, campaign: Campaign) -> bool:
    """Sees and runs the whole campaign: its creator, hq, a regional manager over its region."""
    if not is_crm_staff(user):
        return False
    if is_hq(user) or campaign.created_by_id == user.pk:
        return True
    return bool(
        user.role == User.Role.REGIONAL_MANAGER
        and user.region_id
        and campaign.region.path.startswith(user.region.path)
    )


def eligible_callers(region: Region) -> QuerySet[User]:
    """Staff who may call for a campaign of `region`: active account and regional managers whose
    own region lies within its subtree."""
    return User.objects.filter(
        is_active=True, role__in=CALLER_ROLES, region__path__startswith=region.path
    )


# --- campaigns -----------------------------------------------------------------------------------

RULE_FIELDS = (
    "min_monthly_amount",
    "min_months",
    "window_months",
    "churn_risks",
    "stages",
    "value_classes",
)
EDITABLE = ("name", "kind", "region", *RULE_FIELDS, "questions", "starts_on", "ends_on")


def _check(campaign: Campaign, callers: Sequence[User] | None) -> None:
    errors: dict[str, str] = {}
    try:
        selection.rule_of(campaign)
    except ValueError as exc:
        message = str(exc)
        if "window" in message and "min_months" not in message:
            errors["window_months"] = _("Choose a window of 1 to 24 months.")
        elif "min_monthly_amount must" in message:
            errors["min_monthly_amount"] = _("The monthly amount must be more than zero.")
        elif "needs" in message:
            errors["min_monthly_amount"] = _("Give the monthly amount the months refer to.")
        else:
            errors["min_months"] = _("At most the number of months in the window.")
    if campaign.kind == Campaign.Kind.QUESTIONNAIRE and not campaign.questions:
        errors["questions"] = _("A questionnaire campaign needs at least one question.")
    if campaign.starts_on and campaign.ends_on and campaign.ends_on < campaign.starts_on:
        errors["ends_on"] = _("The campaign cannot end before it starts.")
    if callers is not None:
        if not callers:
            errors["callers"] = _("Choose at least one caller.")
        else:
            allowed = set(
                eligible_callers(campaign.region)
                .filter(pk__in=[c.pk for c in callers])
                .values_list("pk", flat=True)
            )
            wrong = [c.label for c in callers if c.pk not in allowed]
            if wrong:
                errors["callers"] = _(
                    "Not a caller for this region (callers are account and regional managers "
                    "of the campaign's region): %(names)s"
                ) % {"names": ", ".join(wrong)}
    if errors:
        raise ValidationError(errors)


def _callers_of(campaign: Campaign) -> list[int]:
    return list(campaign.callers.order_by("id").values_list("id", flat=True))


@transaction.atomic
def campaign_create(*, actor: User, data: Mapping[str, Any]) -> Campaign:
    if not can_create_campaigns(actor):
        raise PermissionDenied
    data = dict(data)
    callers = list(data.pop("callers", None) or [])
    region = data.get("region")
    if region is None or not can_create_in(actor, region):
        raise ValidationError({"region": _("You can only create campaigns in your own region.")})
    campaign = Campaign(created_by=actor, **{k: v for k, v in data.items() if k in EDITABLE})
    _check(campaign, callers)
    campaign._history_user = actor  # type: ignore[attr-defined]
    campaign.save()
    campaign.callers.set(callers)
    return campaign


def _managed(actor: User, campaign_id: int, *, for_update: bool = False) -> Campaign:
    qs = Campaign.objects.select_related("region", "created_by")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    campaign = qs.filter(pk=campaign_id).first()
    if campaign is None or not can_manage_campaign(actor, campaign):
        raise Http404("No such campaign.")
    return campaign


@transaction.atomic
def campaign_update(*, actor: User, campaign_id: int, data: Mapping[str, Any]) -> Campaign:
    """Edits a campaign that is not closed. Changing the callers of a generated list deals its
    pending calls among the new callers; questions are fixed once a call has been recorded."""
    campaign = _managed(actor, campaign_id, for_update=True)
    if campaign.status == Campaign.Status.CLOSED:
        raise ValidationError(_("A closed campaign cannot be changed."))
    data = dict(data)
    callers = data.pop("callers", None)
    if (
        "region" in data
        and data["region"] != campaign.region
        and (not can_create_in(actor, data["region"]) or campaign.calls.exists())
    ):
        raise ValidationError(
            {"region": _("The region can only change, within yours, before the list exists.")}
        )
    if (
        "questions" in data
        and data["questions"] != campaign.questions
        and campaign.calls.filter(status=CampaignCall.Status.DONE).exists()
    ):
        raise ValidationError(
            {"questions": _("Calls have been recorded: the questions can no longer change.")}
        )
    for name, value in data.items():
        if name in EDITABLE:
            setattr(campaign, name, value)
    callers = list(callers) if callers is not None else None
    _check(campaign, callers)
    campaign._history_user = actor  # type: ignore[attr-defined]
    campaign.save()
    if callers is not None and {c.pk for c in callers} != set(_callers_of(campaign)):
        campaign.callers.set(callers)
        if campaign.generated_at is not None:
            selection.resplit_pending(campaign=campaign, callers=_callers_of(campaign))
    return campaign


@transaction.atomic
def campaign_close(*, actor: User, campaign_id: int) -> Campaign:
    campaign = _managed(actor, campaign_id, for_update=True)
    campaign.status = Campaign.Status.CLOSED
    campaign._history_user = actor  # type: ignore[attr-defined]
    campaign.save(update_fields=["status"])
    return campaign


# --- the call list -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    matching: int
    new: int
    listed: int
    callers: int
    per_caller: int
    sync: bool


# The count of a billing rule over a province aggregates the window's account months of every
# account (6.8 s at 1M accounts; 38 s when it read the bill lines): pages never count in the
# request. A Celery task counts and stores the preview in the cache under a key that changes with
# everything the count depends on (`preview_key`); the page shows it when stored, else enqueues
# the task (once while one is pending) and polls.
PREVIEW_TTL = 3600  # a count an hour old at most: bills and the nightly states move under it
PREVIEW_PENDING_TTL = 300  # a lost or failed task is enqueued again after this long


def preview_key(campaign: Campaign, as_of: dt.date) -> str:
    """The cache key of `campaign`'s preview as of `as_of`: the rule, the region, the callers
    and the list. Calls are only added by a generation, which stamps `generated_at`, so that
    stands for the list; `created_at` keeps a reused id (SQLite) from reading another's count."""
    parts = [
        *(
            sorted(value) if isinstance(value, list) else value
            for value in (getattr(campaign, name) for name in RULE_FIELDS)
        ),
        campaign.region_id,
        campaign.created_at,
        campaign.generated_at,
        campaign.callers.count(),
    ]
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:20]
    return f"campaigns:preview:v1:{campaign.pk}:{as_of.isoformat()}:{digest}"


def stored_preview(campaign: Campaign, as_of: dt.date, *, key: str = "") -> Preview | None:
    stored = cache.get(key or preview_key(campaign, as_of))
    return Preview(**stored) if stored is not None else None


def _count_and_store(campaign: Campaign, as_of: dt.date, key: str = "") -> Preview:
    key = key or preview_key(campaign, as_of)
    matching, new = selection.count_targets(campaign, as_of=as_of)
    listed = campaign.calls.count()
    callers = campaign.callers.count()
    preview = Preview(
        matching=matching,
        new=new,
        listed=listed,
        callers=callers,
        per_caller=rules.per_caller_estimate(listed + new, callers),
        sync=new <= SYNC_LIMIT,
    )
    cache.set(key, asdict(preview), timeout=PREVIEW_TTL)
    cache.delete(f"{key}:pending")
    return preview


def campaign_preview(*, actor: User, campaign_id: int, as_of: dt.date) -> Preview:
    """What generating on `as_of` would do: "412 accounts match; 3 callers → ~137 each".
    Counts now (and stores the count for the pages)."""
    return _count_and_store(_managed(actor, campaign_id), as_of)


def campaign_preview_count(*, campaign_id: int, as_of: dt.date) -> Preview | None:
    """The preview task's work: counts and stores the preview unless it is stored already (the
    same key counts once). None when the campaign is gone."""
    campaign = Campaign.objects.select_related("region").filter(pk=campaign_id).first()
    if campaign is None:
        return None
    key = preview_key(campaign, as_of)
    return stored_preview(campaign, as_of, key=key) or _count_and_store(campaign, as_of, key)


def campaign_preview_requested(*, actor: User, campaign_id: int, as_of: dt.date) -> Preview | None:
    """The stored preview; else enqueues its count (at most once while one is pending) and
    returns None, the page then polls. With an eager Celery the count has run: returns it."""
    from .tasks import campaign_preview_task

    campaign = _managed(actor, campaign_id)
    key = preview_key(campaign, as_of)
    preview = stored_preview(campaign, as_of, key=key)
    if preview is not None:
        return preview
    if cache.add(f"{key}:pending", True, timeout=PREVIEW_PENDING_TTL):
        # A read: nothing of this request is left to commit for the count to see, so it is
        # enqueued at once (an eager Celery runs it here).
        campaign_preview_task.delay(campaign_id=campaign.pk, as_of=as_of.isoformat())
    return stored_preview(campaign, as_of, key=key)


def campaign_generate(*, campaign_id: int, as_of: dt.date, triggered_by: str = "") -> int:
    """Adds every account matching now and not yet listed, dealt round-robin among the callers
    after the calls already listed. Existing calls and their outcomes are kept, so running it
    again only adds newcomers. One transaction, recorded as a job run; returns the calls added."""
    with recorded_run(generation_job(campaign_id), as_of=as_of, triggered_by=triggered_by) as run:
        with transaction.atomic():
            campaign = (
                Campaign.objects.select_for_update(of=("self",))
                .select_related("region")
                .get(pk=campaign_id)
            )
            if campaign.status == Campaign.Status.CLOSED:
                raise ValidationError(_("A closed campaign cannot be generated."))
            callers = _callers_of(campaign)
            if not callers:
                raise ValidationError({"callers": _("Choose at least one caller.")})
            offset = campaign.calls.count()
            added = selection.insert_calls(
                campaign=campaign, callers=callers, as_of=as_of, offset=offset
            )
            campaign.status = Campaign.Status.ACTIVE
            campaign.generated_at = timezone.now()
            campaign.save(update_fields=["status", "generated_at"])
        from core.models import JobRun

        JobRun.objects.filter(pk=run.pk).update(rows=added, total=offset + added)
    return added


def _generate_or_enqueue(
    actor: User, campaign: Campaign, as_of: dt.date, preview: Preview | None
) -> int | None:
    """Generates now when the preview says the list is small (returns the calls added), else
    enqueues the generation after the commit (returns None: the job run shows its progress)."""
    if campaign.status == Campaign.Status.CLOSED:
        raise ValidationError(_("A closed campaign cannot be generated."))
    callers = preview.callers if preview is not None else campaign.callers.count()
    if not callers:
        raise ValidationError({"callers": _("Choose at least one caller.")})
    if preview is not None and preview.sync:
        return campaign_generate(campaign_id=campaign.pk, as_of=as_of, triggered_by=actor.username)
    from .tasks import campaign_generate_task

    campaign_id = campaign.pk
    transaction.on_commit(
        lambda: campaign_generate_task.delay(
            campaign_id=campaign_id, as_of=as_of.isoformat(), triggered_by=actor.username
        )
    )
    return None


def campaign_generate_request(
    *, actor: User, campaign_id: int, as_of: dt.date
) -> tuple[Preview, int | None]:
    """The API's generate: the preview (the stored one, else counted now) and what
    `_generate_or_enqueue` did."""
    campaign = _managed(actor, campaign_id)
    key = preview_key(campaign, as_of)
    preview = stored_preview(campaign, as_of, key=key) or _count_and_store(campaign, as_of, key)
    return preview, _generate_or_enqueue(actor, campaign, as_of, preview)


def campaign_generate_start(*, actor: User, campaign_id: int, as_of: dt.date) -> int | None:
    """The page's generate, which never counts in the request: with a stored preview, small
    lists are generated now (returns the calls added); without one the generation goes to the
    background (returns None), the task counts as it inserts."""
    campaign = _managed(actor, campaign_id)
    return _generate_or_enqueue(actor, campaign, as_of, stored_preview(campaign, as_of))


@transaction.atomic
def campaign_resplit(*, actor: User, campaign_id: int) -> int:
    """Deals the pending calls evenly among the campaign's current callers."""
    campaign = _managed(actor, campaign_id, for_update=True)
    if campaign.status == Campaign.Status.CLOSED:
        raise ValidationError(_("A closed campaign cannot be changed."))
    callers = _callers_of(campaign)
    if not callers:
        raise ValidationError({"callers": _("Choose at least one caller.")})
    return selection.resplit_pending(campaign=campaign, callers=callers)


# --- recording a call ----------------------------------------------------------------------------

OUTCOME_FIELDS = (
    "reached",
    "answers",
    "issue_raised",
    "offer_accepted",
    "follow_up",
    "follow_up_on",
)


@transaction.atomic
def call_record(*, actor: User, call_id: int, data: Mapping[str, Any]) -> CampaignCall:
    """Records (or corrects) the outcome of a call by its caller. A follow-up with a date becomes
    an activity on the account with that next step, so it shows among the next steps due."""
    call = (
        CampaignCall.objects.select_for_update(of=("self",))
        .select_related("campaign", "campaign__region", "campaign__created_by", "account")
        .filter(pk=call_id)
        .first()
    )
    if call is None or (
        call.caller_id != actor.pk and not can_manage_campaign(actor, call.campaign)
    ):
        raise Http404("No such call.")
    if call.caller_id != actor.pk:
        raise PermissionDenied  # a manager reads the call; only its caller records it
    if call.campaign.status != Campaign.Status.ACTIVE:
        raise ValidationError(_("Calls can only be recorded while the campaign is active."))
    data = dict(data)
    errors: dict[str, str] = {}
    if data.get("reached") is None:
        errors["reached"] = _("Say whether the customer was reached.")
    reached = bool(data.get("reached"))
    questions = rules.questions_from_json(call.campaign.questions)
    try:
        answers = rules.clean_answers(questions, data.get("answers") or {})
    except ValueError as exc:
        errors[f"answers.{exc.args[0]}"] = _("Not one of the question's answers.")
        answers = {}
    if not reached and (answers or data.get("offer_accepted")):
        errors["reached"] = _("Answers and an accepted offer need the customer to be reached.")
    if data.get("follow_up_on") and not (data.get("follow_up") or "").strip():
        errors["follow_up"] = _("Say what the follow-up is.")
    if data.get("follow_up_on") and data["follow_up_on"] < timezone.localdate():
        errors["follow_up_on"] = _("The follow-up cannot be due in the past.")
    if errors:
        raise ValidationError(errors)
    call.reached = reached
    call.answers = answers
    call.issue_raised = (data.get("issue_raised") or "").strip()
    call.offer_accepted = data.get("offer_accepted") if reached else None
    if call.campaign.kind != Campaign.Kind.RETENTION_CARE:
        call.offer_accepted = None
    call.follow_up = (data.get("follow_up") or "").strip()
    call.follow_up_on = data.get("follow_up_on")
    call.status = CampaignCall.Status.DONE
    call.called_at = timezone.now()
    call.full_clean(exclude=["campaign", "account", "caller"])
    call._history_user = actor  # type: ignore[attr-defined]
    call.save()
    if call.follow_up_on:
        _log_follow_up(actor, call)
    return call


def _log_follow_up(actor: User, call: CampaignCall) -> Activity:
    """Through accounts' own service. The caller may not be on the account's team; then the
    activity is logged in the name of the account's owner (whose next steps it joins), else of
    the campaign's creator, and the subject names the caller."""
    account = call.account
    if can_edit_account(actor, account):
        author = actor
    elif account.owner_id and can_edit_account(account.owner, account):
        author = account.owner
    else:
        author = call.campaign.created_by
    today = timezone.localdate()
    subject = _("Campaign call “%(campaign)s” by %(caller)s") % {
        "campaign": call.campaign.name,
        "caller": actor.label,
    }
    outcome_parts = [_("reached") if call.reached else _("not reached")]
    if call.issue_raised:
        outcome_parts.append(_("issue raised: %(issue)s") % {"issue": call.issue_raised})
    return activity_log(
        actor=author,
        code=account.code,
        data={
            "kind": Activity.Kind.CALL,
            "subject": subject[:200],
            "occurred_on": today,
            "outcome": "; ".join(outcome_parts),
            "next_step": call.follow_up[:500],
            "next_step_on": call.follow_up_on,
        },
    )
