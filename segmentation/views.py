"""Segmentation pages: thin, one selector or service call each."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import account_get
from core.exports import csv_rows
from core.models import JobRun
from core.views import crm_staff_required
from org.models import User
from org.visibility import can_edit_account, regions_visible_to

from . import imports, selectors, services
from .forms import ClassOverrideForm, ImportUploadForm, IndicatorSnapshotForm, RunForm
from .models import ValueClass

_SESSION_KEY = "segmentation_import"


def _is_hq(user: Any) -> bool:
    return bool(user.is_superuser or user.role == User.Role.HQ)


@crm_staff_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    region_code = request.GET.get("region") or None
    data = selectors.segmentation_overview(user=request.user, region_code=region_code)
    runs = selectors.last_runs(limit=5)
    running = next((r for r in runs if r.status == JobRun.Status.RUNNING), None)
    return render(
        request,
        "segmentation/overview.html",
        {
            "overview": data,
            "classes": ValueClass.choices,
            "regions": regions_visible_to(request.user).order_by("path")[:200],
            "runs": runs,
            "running": running,
            "is_hq": _is_hq(request.user),
            "run_form": RunForm(initial={"as_of": timezone.localdate()}),
            "chart": {
                "labels": [label for label, _n in data.histogram],
                "counts": [n for _label, n in data.histogram],
            },
        },
    )


@crm_staff_required
@require_GET
def overview_export(request: HttpRequest) -> Any:
    header = [
        _("code"), _("name"), _("region"), _("account manager"), _("value class"),
        _("overridden"), _("segment score"), _("economic value score"),
        _("social value score"), _("scored on"),
    ]  # fmt: skip
    rows = selectors.overview_export_rows(
        user=request.user, region_code=request.GET.get("region") or None
    )
    response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="segmentation.csv"'
    return response


@crm_staff_required
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    if not services.can_start_run(request.user):
        raise PermissionDenied
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Not a date."))
        return redirect("segmentation:overview")
    as_of = form.cleaned_data["as_of"] or timezone.localdate()
    services.scoring_run_request(actor=request.user, as_of=as_of)  # type: ignore[arg-type]
    messages.success(request, _("Scoring for %(date)s has started.") % {"date": as_of})
    return redirect("segmentation:overview")


@crm_staff_required
@require_GET
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.run_get(run_id=pk)
    return render(
        request,
        "segmentation/_run_progress.html",
        {"run": run, "running": run.status == JobRun.Status.RUNNING},
    )


@crm_staff_required
@require_GET
def account_panel(request: HttpRequest, code: str) -> HttpResponse:
    from .templatetags.segmentation import panel_context

    account = account_get(user=request.user, code=code)
    return render(request, "segmentation/_account_scores.html", panel_context(request, account))


@crm_staff_required
def indicator_add(request: HttpRequest, code: str) -> HttpResponse:
    account = account_get(user=request.user, code=code)
    if not can_edit_account(request.user, account):
        raise PermissionDenied
    latest = selectors.indicator_snapshot_list(user=request.user, code=code).first()
    if request.method == "POST":
        form = IndicatorSnapshotForm(request.POST)
        if form.is_valid():
            services.indicator_snapshot_record(
                actor=request.user,  # type: ignore[arg-type]
                code=code,
                data=form.cleaned_data,
            )
            messages.success(request, _("Indicators saved; they count from the next run."))
            return redirect("accounts:detail", code=code)
    else:
        initial: dict[str, Any] = {"measured_on": timezone.localdate(), "source": "account_manager"}
        if latest is not None:
            for name in form_fields():
                initial[name] = getattr(latest, name)
        form = IndicatorSnapshotForm(initial=initial)
    return render(
        request,
        "segmentation/indicator_form.html",
        {"account": account, "form": form, "latest": latest},
    )


def form_fields() -> list[str]:
    return [n for n in IndicatorSnapshotForm().fields if n not in ("measured_on", "source", "note")]


@crm_staff_required
@require_POST
def override(request: HttpRequest, code: str) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    # The account first: another portfolio's account is a 404 whatever the form holds; then the
    # right to override (403); only then the form.
    account = account_get(user=actor, code=code)
    if not services.can_override_class(actor, account):
        raise PermissionDenied
    if request.POST.get("remove"):
        if services.class_override_remove(actor=actor, code=code):
            messages.success(request, _("The class override was removed."))
        return redirect("accounts:detail", code=code)
    form = ClassOverrideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a class and give a reason."))
        return redirect("accounts:detail", code=code)
    try:
        services.class_override_set(actor=actor, code=code, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The class was overridden."))
    return redirect("accounts:detail", code=code)


@crm_staff_required
def import_upload(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"columns": imports.COLUMNS}
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > imports.account_imports.limits()["max_bytes"]:
                raise imports.ImportRejected(_("The file is too large."))
            raw = upload.read()
            rows = imports.read_file(upload.name, raw)
        except imports.ImportRejected as exc:
            form.add_error("file", exc.message)
        else:
            preview = imports.dry_run(actor=request.user, rows=rows)  # type: ignore[arg-type]
            context["preview"] = preview
            context["filename"] = upload.name
            if preview.ok:
                token = uuid.uuid4().hex
                ext = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
                stored = default_storage.save(
                    f"imports/segmentation/{token}{ext}", ContentFile(raw)
                )
                request.session[_SESSION_KEY] = {
                    "token": token,
                    "stored_as": stored,
                    "filename": upload.name,
                }
                context["token"] = token
    context["form"] = form
    return render(request, "segmentation/import.html", context)


@crm_staff_required
@require_GET
def import_template(request: HttpRequest) -> Any:
    response = StreamingHttpResponse(
        csv_rows(imports.template_header(), []), content_type="text/csv"
    )
    response["Content-Disposition"] = 'attachment; filename="indicators.csv"'
    return response


@crm_staff_required
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(_SESSION_KEY)
    if not pending or pending["token"] != request.POST.get("token"):
        messages.error(request, _("This preview has expired; upload the file again."))
        return redirect("segmentation:import")
    request.session.pop(_SESSION_KEY)
    with default_storage.open(pending["stored_as"], "rb") as fh:
        raw = fh.read()
    default_storage.delete(pending["stored_as"])
    # Checked again: the accounts or the rights may have changed since the preview.
    preview = imports.dry_run(
        actor=request.user,  # type: ignore[arg-type]
        rows=imports.read_file(pending["filename"], raw),
    )
    if not preview.ok:
        messages.error(request, _("The file no longer passes the checks; see the preview."))
        return render(
            request,
            "segmentation/import.html",
            {"form": ImportUploadForm(), "preview": preview, "columns": imports.COLUMNS},
        )
    count = imports.apply(actor=request.user, rows=preview.rows)  # type: ignore[arg-type]
    messages.success(
        request,
        _("%(count)s indicator snapshots imported; they count from the next run.")
        % {"count": count},
    )
    return redirect("segmentation:import")
