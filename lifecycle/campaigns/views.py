"""Campaign pages: thin, one selector or service call each."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.api.auth import request_user
from core.exports import csv_rows, safe_cell
from core.views import crm_staff_required
from lifecycle.models import Campaign, CampaignCall, ChurnRisk, Stage
from segmentation.models import ValueClass

from . import rules, selectors, services
from .forms import CallOutcomeForm, CampaignForm

PAGE = 50


def _form_errors(form: Any, exc: ValidationError, rename: dict[str, str] | None = None) -> None:
    """A service's field errors shown inline on the form's fields."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        field = (rename or {}).get(name, name)
        if name.startswith("answers."):
            field = f"answer_{name.split('.', 1)[1]}"
        form.add_error(field if field in form.fields else None, errors)


def _campaign_form(request: HttpRequest, **kwargs: Any) -> CampaignForm:
    return CampaignForm(
        request.POST or None,
        regions=selectors.region_choices(user=request.user),
        callers=selectors.caller_choices(user=request.user),
        **kwargs,
    )


@crm_staff_required
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    if not services.can_create_campaigns(request.user):
        return redirect("campaigns:my_calls")
    campaigns = list(selectors.campaign_list(user=request.user)[:200])
    return render(request, "lifecycle/campaigns/list.html", {"campaigns": campaigns})


@crm_staff_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    if not services.can_create_campaigns(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    form = _campaign_form(
        request,
        initial={
            "starts_on": today,
            "ends_on": today + dt.timedelta(days=30),
            "window_months": 12,
            "kind": Campaign.Kind.QUESTIONNAIRE,
            "region": getattr(request.user, "region_id", None),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(actor=request_user(request), data=form.to_data())
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Campaign created. Check the list size, then generate."))
            return redirect("campaigns:generate", pk=campaign.pk)
    return render(request, "lifecycle/campaigns/form.html", {"form": form, "campaign": None})


@crm_staff_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    form = _campaign_form(request, initial=CampaignForm.initial_from(campaign))
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(
                actor=request_user(request), campaign_id=campaign.pk, data=form.to_data()
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "lifecycle/campaigns/form.html", {"form": form, "campaign": campaign})


def _rule_labels(campaign: Campaign) -> dict[str, list[str]]:
    def labels(choices: Any, values: list[str]) -> list[str]:
        names = dict(choices)
        return [str(names.get(v, v)) for v in values]

    return {
        "churn_risks": labels(ChurnRisk.choices, campaign.churn_risks or []),
        "stages": labels(Stage.choices, campaign.stages or []),
        "value_classes": labels(ValueClass.choices, campaign.value_classes or []),
    }


@crm_staff_required
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign's definition and its results."""
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    return render(
        request,
        "lifecycle/campaigns/detail.html",
        {
            "campaign": campaign,
            "callers": selectors.campaign_callers(campaign),
            "results": selectors.campaign_results(campaign=campaign),
            "questions": rules.questions_from_json(campaign.questions),
            "run": selectors.last_generation(campaign=campaign),
            "rule_labels": _rule_labels(campaign),
        },
    )


@crm_staff_required
@require_http_methods(["GET", "POST"])
def campaign_generate(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the count preview (stored by a task; "counting…" and polling until it is); POST:
    generate (or add newcomers to) the call list."""
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    today = timezone.localdate()
    if request.method == "POST":
        try:
            added = services.campaign_generate_start(
                actor=request_user(request), campaign_id=campaign.pk, as_of=today
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("campaigns:generate", pk=campaign.pk)
        if added is None:
            messages.info(request, _("The list is being generated in the background."))
        else:
            messages.success(request, _("%(n)s calls added to the list.") % {"n": f"{added:,}"})
        return redirect("campaigns:detail", pk=campaign.pk)
    preview = services.campaign_preview_requested(
        actor=request_user(request), campaign_id=campaign.pk, as_of=today
    )
    start, end = rules.window_bounds(today, campaign.window_months or 12)
    return render(
        request,
        "lifecycle/campaigns/generate.html",
        {
            "campaign": campaign,
            "preview": preview,
            "window_first": start,
            "window_last": rules.add_months(end, -1),
            "callers": selectors.campaign_callers(campaign),
        },
    )


@crm_staff_required
@require_GET
def campaign_generate_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The generate page's preview part, polled while the count runs: "counting…" (polling on)
    until the task has stored it, then the numbers (polling off)."""
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    preview = services.campaign_preview_requested(
        actor=request_user(request), campaign_id=campaign.pk, as_of=timezone.localdate()
    )
    return render(
        request,
        "lifecycle/campaigns/_generate_preview.html",
        {"campaign": campaign, "preview": preview},
    )


@crm_staff_required
@require_POST
def campaign_resplit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    try:
        n = services.campaign_resplit(actor=request_user(request), campaign_id=campaign.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("%(n)s pending calls dealt among the callers again.") % {"n": f"{n:,}"}
        )
    return redirect("campaigns:detail", pk=campaign.pk)


@crm_staff_required
@require_POST
def campaign_close(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    services.campaign_close(actor=request_user(request), campaign_id=campaign.pk)
    messages.success(request, _("Campaign closed."))
    return redirect("campaigns:detail", pk=campaign.pk)


def _after(request: HttpRequest) -> int:
    raw = request.GET.get("after") or ""
    return int(raw) if raw.isdigit() and len(raw) < 19 else 0


@crm_staff_required
@require_GET
def campaign_calls(request: HttpRequest, pk: int) -> HttpResponse:
    """The call list with outcomes, 50 at a time by id (keyset), filterable by caller and status."""
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    caller = request.GET.get("caller") or ""
    status = request.GET.get("status") or ""
    qs = selectors.call_list(
        user=request.user,
        campaign_id=campaign.pk,
        caller_id=int(caller) if caller.isdigit() and len(caller) < 19 else None,
        status=status,
    )
    calls = list(qs.filter(id__gt=_after(request)).order_by("id")[: PAGE + 1])
    more = len(calls) > PAGE
    calls = calls[:PAGE]
    for call in calls:
        call.contact = selectors.main_contact(call)  # type: ignore[attr-defined]
    return render(
        request,
        "lifecycle/campaigns/calls.html",
        {
            "campaign": campaign,
            "calls": calls,
            "next_after": calls[-1].id if more else None,
            "callers": selectors.campaign_callers(campaign),
            "caller": caller,
            "status": status,
            "statuses": CampaignCall.Status.choices,
        },
    )


@crm_staff_required
@require_GET
def campaign_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    header, rows = selectors.export_rows(campaign=campaign)
    name = f"campaign-{campaign.pk}-{timezone.localdate():%Y%m%d}"
    if fmt == "csv":
        stream = StreamingHttpResponse(
            csv_rows(header, rows), content_type="text/csv; charset=utf-8"
        )
        stream["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return stream
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Calls")[:31])
    sheet.append([safe_cell(h) for h in header])
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@crm_staff_required
@require_GET
def my_calls(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or CampaignCall.Status.PENDING
    qs = selectors.my_calls(user=request.user, status=status)
    calls = list(qs.filter(id__gt=_after(request)).order_by("id")[: PAGE + 1])
    more = len(calls) > PAGE
    calls = calls[:PAGE]
    for call in calls:
        call.contact = selectors.main_contact(call)  # type: ignore[attr-defined]
    return render(
        request,
        "lifecycle/campaigns/my_calls.html",
        {
            "calls": calls,
            "status": status,
            "counts": selectors.my_call_counts(user=request.user),
            "next_after": calls[-1].id if more else None,
            "can_manage": services.can_create_campaigns(request.user),
        },
    )


@crm_staff_required
@require_http_methods(["GET", "POST"])
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """What the caller needs for the call, and the outcome form (for the call's caller)."""
    call = selectors.call_get(user=request.user, pk=pk)
    questions = rules.questions_from_json(call.campaign.questions)
    can_record = (
        call.caller_id == request.user.pk and call.campaign.status == Campaign.Status.ACTIVE
    )
    form = CallOutcomeForm(
        request.POST or None,
        questions=questions,
        kind=call.campaign.kind,
        initial=CallOutcomeForm.initial_from(call),
    )
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.call_record(
                    actor=request_user(request), call_id=call.pk, data=form.to_data()
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(
                    request, _("Call recorded: %(account)s.") % {"account": call.account.name}
                )
                return redirect("campaigns:my_calls")
    call.contact = selectors.main_contact(call)  # type: ignore[attr-defined]
    return render(
        request,
        "lifecycle/campaigns/call.html",
        {
            "call": call,
            "form": form,
            "can_record": can_record,
            "questions": questions,
            "can_manage": services.can_manage_campaign(request.user, call.campaign),
        },
    )
