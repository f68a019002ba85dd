"""Lifecycle pages: the retention desk, a retention task, the regional manager's overview with the
migration matrix and its drill-down, the account page's lifecycle section, and exports. Thin:
parse, one selector or service call, render."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import account_get
from core.api.auth import request_user
from core.exports import csv_rows, safe_cell
from core.views import crm_staff_required
from org.models import User
from org.visibility import regions_visible_to

from . import labels, selectors, services
from .forms import (
    DeskFilterForm,
    DrillForm,
    MatrixForm,
    RetentionActionForm,
    RetentionCloseForm,
)
from .models import Stage

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _is_manager(user: Any) -> bool:
    return bool(user.is_superuser or user.role in (User.Role.HQ, User.Role.REGIONAL_MANAGER))


def _export_response(
    request: HttpRequest, name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse | StreamingHttpResponse:
    """CSV (streamed) or, with ?format=xlsx, an Excel workbook; every cell formula-safe."""
    if request.GET.get("format") == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append([safe_cell(h) for h in header])
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
        buffer = io.BytesIO()
        book.save(buffer)
        response: HttpResponse | StreamingHttpResponse = HttpResponse(
            buffer.getvalue(), content_type=_XLSX
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


# --- retention desk ------------------------------------------------------------------------------


def _desk_filters(request: HttpRequest) -> tuple[DeskFilterForm, selectors.DeskFilters, int]:
    owners = selectors.desk_owner_choices(user=request.user)
    form = DeskFilterForm(request.GET or None, owners=owners)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = selectors.DeskFilters(
            risk=data["risk"],
            stage=data["stage"],
            flag=data["flag"],
            overdue=bool(data["overdue"]),
            owner_id=data.get("owner"),
        )
        return form, filters, data.get("page") or 1
    return form, selectors.DeskFilters(), 1


@crm_staff_required
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    form, filters, page_no = _desk_filters(request)
    today = timezone.localdate()
    page = selectors.desk_page(user=request.user, filters=filters, today=today, page=page_no)
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(
        request,
        "lifecycle/desk.html",
        {
            "form": form,
            "page": page,
            "today": today,
            "query": urlencode(query),
            "next_query": urlencode({**query, "page": page.page + 1}),
            "previous_query": urlencode({**query, "page": page.page - 1}),
        },
    )


def _value_class_labels() -> dict[str, Any]:
    from segmentation.models import ValueClass

    return dict(ValueClass.choices)


@crm_staff_required
@require_GET
def desk_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    _form, filters, _page = _desk_filters(request)
    today = timezone.localdate()
    classes = _value_class_labels()
    header = [
        _("code"), _("name"), _("account manager"), _("churn risk"), _("stage"),
        _("value class"), _("revenue m1–m3"), _("revenue m4–m6"), _("open flags"),
        _("task due on"), _("overdue"),
    ]  # fmt: skip

    def rows() -> Iterator[list[Any]]:
        for r in selectors.desk_export_rows(user=request.user, filters=filters, today=today):
            yield [
                r.account.code,
                r.account.name,
                r.account.owner.label if r.account.owner else "",
                str(r.risk_label),
                str(r.stage_label),
                str(classes.get(r.value_class, r.value_class)),
                r.revenue_r3,
                r.revenue_p3,
                "; ".join(f"{f['label']}: {f['evidence_text']}" for f in r.flags),
                r.task.due_on.isoformat() if r.task else "",
                _("yes") if r.overdue else "",
            ]

    return _export_response(request, "retention-desk", header, rows())


# --- retention task ------------------------------------------------------------------------------


def _task_context(
    request: HttpRequest,
    task: Any,
    action_form: RetentionActionForm | None = None,
    close_form: RetentionCloseForm | None = None,
) -> dict[str, Any]:
    return {
        "task": task,
        "account": task.account,
        "stage_label": labels.STAGE_LABELS.get(task.stage, task.stage),
        "question": labels.playbook_text(task.question),
        "strategy": labels.playbook_text(task.strategy),
        "flags": selectors.task_flags(task),
        "actions": selectors.task_actions(task=task),
        "history": selectors.task_history(task=task),
        "today": timezone.localdate(),
        "can_act": services.can_act_on_task(request.user, task),
        "action_form": action_form
        or RetentionActionForm(initial={"done_on": timezone.localdate()}, auto_id="action_%s"),
        "close_form": close_form or RetentionCloseForm(auto_id="close_%s"),
        "outcome_label": labels.OUTCOME_LABELS.get(task.outcome, ""),
    }


@crm_staff_required
@require_GET
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(user=request.user, pk=pk)
    return render(request, "lifecycle/task.html", _task_context(request, task))


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _task_post(
    request: HttpRequest,
    pk: int,
    *,
    form_class: Any,
    prefix: str,
    service: Any,
    done: str,
) -> HttpResponse:
    """A form posted on the task page (an action, the close): validate, call the service, and
    either go back to the task or show the page again with the form's errors (400)."""
    actor = request_user(request)
    task = selectors.task_get(user=actor, pk=pk)
    if not services.can_act_on_task(actor, task):
        raise PermissionDenied
    form = form_class(request.POST, auto_id=f"{prefix}_%s")
    if form.is_valid():
        try:
            service(actor=actor, task_id=task.pk, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("lifecycle:task", pk=task.pk)
    context = _task_context(request, task, **{f"{prefix}_form": form})
    return render(request, "lifecycle/task.html", context, status=400)


@crm_staff_required
@require_POST
def task_action(request: HttpRequest, pk: int) -> HttpResponse:
    return _task_post(
        request,
        pk,
        form_class=RetentionActionForm,
        prefix="action",
        service=services.retention_action_record,
        done=_("The action was recorded."),
    )


@crm_staff_required
@require_POST
def task_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _task_post(
        request,
        pk,
        form_class=RetentionCloseForm,
        prefix="close",
        service=services.retention_task_close,
        done=_("The task was closed."),
    )


# --- the account page section ------------------------------------------------------------------


@crm_staff_required
@require_GET
def account_panel(request: HttpRequest, code: str) -> HttpResponse:
    from .templatetags.lifecycle import panel_context

    account = account_get(user=request.user, code=code)
    return render(request, "lifecycle/_account_panel.html", panel_context(account))


# --- the regional manager's overview ---------------------------------------------------------


def _manager_only(request: HttpRequest) -> None:
    if not _is_manager(request.user):
        raise PermissionDenied


def _overview_params(request: HttpRequest) -> tuple[Any, Any, list[Any]]:
    form = MatrixForm(request.GET)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    region = selectors.overview_region(user=request.user, region_code=data.get("region") or None)
    months = selectors.migration_months()
    month = data.get("month")
    month_on = month.replace(day=1) if month else (months[0] if months else None)
    return region, month_on, months


@crm_staff_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    _manager_only(request)
    region, month_on, months = _overview_params(request)
    today = timezone.localdate()
    matrix = selectors.migration_matrix(region=region, month_on=month_on)
    return render(
        request,
        "lifecycle/overview.html",
        {
            "region": region,
            "regions": regions_visible_to(request.user).order_by("path")[:300],
            "months": months,
            "month_on": month_on,
            "distribution": selectors.stage_distribution(
                user=request.user, region=region, matrix=matrix
            ),
            "matrix": matrix,
            "stage_labels": labels.STAGE_LABELS,
            "overdue": selectors.overdue_tasks(
                user=request.user, today=today, region=region, limit=100
            ),
            "today": today,
            "region_code": region.code if region else "",
        },
    )


@crm_staff_required
@require_GET
def matrix_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    _manager_only(request)
    region, month_on, _months = _overview_params(request)
    matrix = selectors.migration_matrix(region=region, month_on=month_on)
    header = (
        [_("from stage \\ to stage")]
        + [str(labels.STAGE_LABELS.get(s, s)) for s in matrix.stages]
        + [_("total")]
    )
    rows = [
        [str(row["label"])] + [c["accounts"] for c in row["cells"]] + [row["total"]]
        for row in matrix.rows
    ]
    month = f"{month_on:%Y-%m}" if month_on else "none"
    return _export_response(request, f"stage-migration-{month}", header, rows)


@crm_staff_required
@require_GET
def drill(request: HttpRequest) -> HttpResponse:
    _manager_only(request)
    form = DrillForm(request.GET)
    if not form.is_valid() or not form.cleaned_data.get("month"):
        return render(request, "lifecycle/drill.html", {"form": form, "invalid": True}, status=400)
    data = form.cleaned_data
    region = selectors.overview_region(user=request.user, region_code=data["region"] or None)
    month_on = data["month"].replace(day=1)
    page = data.get("page") or 1
    accounts, has_next = selectors.migration_drill(
        user=request.user,
        region=region,
        month_on=month_on,
        from_stage=data["from_stage"] or None,
        to_stage=data["to_stage"] or None,
        page=page,
    )
    base = {k: v for k, v in request.GET.items() if k != "page"}
    return render(
        request,
        "lifecycle/drill.html",
        {
            "accounts": accounts,
            "region": region,
            "month_on": month_on,
            "from_label": labels.STAGE_LABELS.get(data["from_stage"] or None),
            "to_label": labels.STAGE_LABELS.get(data["to_stage"] or None),
            "risk_labels": labels.RISK_LABELS,
            "page": page,
            "has_next": has_next,
            "next_query": urlencode({**base, "page": page + 1}),
            "previous_query": urlencode({**base, "page": page - 1}),
            "back_query": urlencode(
                {"region": data["region"] or "", "month": month_on.isoformat()}
            ),
            "stages": Stage.values,
        },
    )
