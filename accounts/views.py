"""HTML pages of the account manager's workspace: thin, one selector or service call each; the
forms parse input and the services decide."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exports import csv_rows, safe_cell
from core.models import JobRun
from core.views import AuthedRequest, crm_staff_required
from lifecycle.models import ChurnRisk, Stage
from org.models import Region, User, region_label
from org.visibility import can_assign_owner_and_region, can_edit_account, regions_visible_to

from . import domain, imports, listing, selectors, services, tasks
from .api.filters import AccountFilter
from .forms import (
    MAX_OWNER_CHOICES,
    AccountEditForm,
    AccountFilterForm,
    ActivityForm,
    CareDateFormSet,
    ImportUploadForm,
    KeyPersonForm,
    MarkLeftForm,
    ReassignForm,
    ServiceRequestOpenForm,
    ServiceRequestUpdateForm,
    apply_service_errors,
)
from .labels import SLA_LABELS, means_label
from .models import Account, AccountStatus, Industry, KeyPerson, ServiceRequest, SizeBand

FILTER_FIELDS = (
    "q",
    "region",
    "owner",
    "industry",
    "org_kind",
    "size_band",
    "status",
    "value_class",
    "stage",
    "churn_risk",
)

# (key, header): the same columns on the page and in both exports.
COLUMNS: list[tuple[str, Any]] = [
    ("code", gettext_lazy("Code")),
    ("name", gettext_lazy("Name")),
    ("region", gettext_lazy("Region")),
    ("owner", gettext_lazy("Account manager")),
    ("industry", gettext_lazy("Industry")),
    ("size_band", gettext_lazy("Size band")),
    ("status", gettext_lazy("Status")),
    ("stage", gettext_lazy("Lifecycle stage")),
    ("churn_risk", gettext_lazy("Churn risk")),
    ("updated", gettext_lazy("Updated")),
]

# The badge colour of a churn risk (the SLA palette: red, amber, green).
RISK_BADGES = {"high": "sla-breached", "medium": "sla-due_soon", "low": "sla-on_track"}


def _row_maker(columns: list[tuple[str, Any]]) -> Any:
    """account → {column key: display value}, with the choice labels translated once per request
    rather than once per cell."""
    industries = {k: str(v) for k, v in Industry.choices}
    sizes = {k: str(v) for k, v in SizeBand.choices}
    statuses = {k: str(v) for k, v in AccountStatus.choices}
    stages = {k: str(v) for k, v in Stage.choices}
    risks = {k: str(v) for k, v in ChurnRisk.choices}
    keys = {key for key, _label in columns}
    # reverse() once, not once per row: the detail URL is the list URL plus the quoted code.
    prefix = reverse("accounts:list")
    language = get_language() or ""
    tz = timezone.get_current_timezone()

    def row(a: Account) -> dict[str, Any]:
        region = a.region
        stage = getattr(a, "stage", None)
        risk = getattr(a, "churn_risk", None)
        values = {
            "code": a.code,
            "url": f"{prefix}{quote(a.code, safe='')}/",
            "name": a.name,
            "region": region_label(region.name, region.name_en, language),
            "industry": industries.get(a.industry, a.industry),
            "size_band": sizes.get(a.size_band, a.size_band),
            "status": statuses.get(a.status, a.status),
            "status_code": a.status,
            "stage": stages.get(stage, stage) if stage else "—",
            "churn_risk": risks.get(risk, risk) if risk else "—",
            "risk_badge": RISK_BADGES.get(risk or "", ""),
            "updated": a.updated_at.astimezone(tz),
        }
        if "owner" in keys:
            values["owner"] = a.owner.label
        return values

    return row


def _is_manager(user: Any) -> bool:
    return can_assign_owner_and_region(user)


def _columns(user: Any) -> list[tuple[str, Any]]:
    # An account manager's list is their own portfolio: the owner column says nothing new.
    return [c for c in COLUMNS if c[0] != "owner" or _is_manager(user)]


# --- list ------------------------------------------------------------------------------------


def _filtered(request: AuthedRequest) -> dict[str, Any]:
    user = request.user
    manager = _is_manager(user)
    regions = list(regions_visible_to(user).order_by("path"))
    # At most one more than the form offers as a <select>: beyond that both forms take a
    # username, so hq's list does not load thousands of account managers per request.
    owners = (
        list(selectors.account_managers_assignable(user=user)[: MAX_OWNER_CHOICES + 1])
        if manager
        else None
    )
    form = AccountFilterForm(request.GET, regions=regions, owners=owners)
    form.is_valid()
    params = {
        k: v for k, v in form.cleaned_data.items() if k in FILTER_FIELDS and v not in ("", None)
    }
    filterset = AccountFilter(
        params, queryset=selectors.account_list_base(user=user), request=request
    )
    # Filtered, paged and counted without the score and lifecycle joins; the page's rows get
    # them afterwards (selectors.attach_list_columns), the exports joined (selectors.annotate_list).
    counted = filterset.qs
    qs = counted
    sort, descending = listing.parse_sort(request.GET.get("sort"))
    # The regions the rows can come from, when that is a region subtree (a regional manager's
    # portfolio, or a region filter): the list reads them region by region (see listing).
    base = next((r for r in regions if r.code == params.get("region")), None)
    if base is not None:
        region_ids = [r.pk for r in regions if r.path.startswith(base.path)]
    elif user.role == User.Role.REGIONAL_MANAGER:
        region_ids = [r.pk for r in regions]
    else:
        region_ids = []
    return {
        "partitions": listing.region_partitions(
            region_ids, sort=sort, searching=bool(params.get("q"))
        )
        if user.role != User.Role.ACCOUNT_MANAGER
        else None,
        "form": form,
        "params": params,
        "qs": qs,
        "counted": counted,
        "sort": sort,
        "descending": descending,
        "manager": manager,
        "owners": owners or [],
    }


@crm_staff_required
@require_GET
def account_list(request: AuthedRequest) -> HttpResponse:
    state = _filtered(request)
    page = listing.keyset_page(
        state["qs"],
        sort=state["sort"],
        descending=state["descending"],
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        partitions=state["partitions"],
    )
    count, capped = listing.capped_count(state["counted"])
    base = urlencode(state["params"])
    sort_param = ("-" if state["descending"] else "") + state["sort"]
    keep = f"{base}&sort={sort_param}" if base else f"sort={sort_param}"
    shown = _columns(request.user)
    columns = []
    for key, label in shown:
        sortable = key in listing.SORTS
        link = None
        if sortable:
            flip = key == state["sort"] and not state["descending"]
            link = "?" + (f"{base}&" if base else "") + "sort=" + ("-" if flip else "") + key
        columns.append(
            {
                "key": key,
                "label": label,
                "link": link,
                "active": key == state["sort"],
                "descending": state["descending"],
            }
        )
    make_row = _row_maker(shown)
    rows = [make_row(a) for a in selectors.attach_list_columns(page.rows)]
    context = {
        **state,
        "columns": columns,
        "rows": rows,
        "page": page,
        "count": count,
        "capped": capped,
        "cap": listing.count_cap(),
        "keep": keep,
        "next_url": f"?{keep}&after={page.next_token}" if page.next_token else None,
        "prev_url": (
            f"?{keep}&before={page.prev_token}" if page.prev_token and not page.is_first else None
        ),
        "first_url": f"?{keep}" if not page.is_first else None,
        "export_query": keep,
        "reassign_form": ReassignForm(owners=state["owners"]) if state["manager"] else None,
        "filtered": bool(state["params"]),
        "show_owner": any(key == "owner" for key, _label in shown),
    }
    template = "accounts/list.html"
    if getattr(request, "htmx", False) and request.htmx.target == "results":  # type: ignore[attr-defined]
        template = "accounts/_results.html"
    return render(request, template, context)


def _export_rows(request: AuthedRequest) -> tuple[list[str], Iterator[list[Any]]]:
    state = _filtered(request)
    columns = _columns(request.user)
    qs = listing.ordered(selectors.annotate_list(state["qs"]), state["sort"], state["descending"])[
        : listing.list_cap()
    ]
    header = [str(label) for _key, label in columns]
    make_row = _row_maker(columns)

    def rows() -> Iterator[list[Any]]:
        for account in qs.iterator(chunk_size=2000):
            values = make_row(account)
            values["updated"] = values["updated"].strftime("%Y-%m-%d %H:%M")
            yield [values[key] for key, _label in columns]

    return header, rows()


def _export_name(ext: str) -> str:
    return f"accounts-{timezone.localdate():%Y%m%d}.{ext}"


@crm_staff_required
@require_GET
def account_export_csv(request: AuthedRequest) -> StreamingHttpResponse:
    header, rows = _export_rows(request)
    response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_export_name("csv")}"'
    return response


@crm_staff_required
@require_GET
def account_export_xlsx(request: AuthedRequest) -> HttpResponse:
    import openpyxl

    header, rows = _export_rows(request)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Accounts")[:31])
    sheet.append([safe_cell(h) for h in header])
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_export_name("xlsx")}"'
    return response


def _safe_next(request: AuthedRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@crm_staff_required
@require_POST
def account_reassign(request: AuthedRequest) -> HttpResponse:
    if not _is_manager(request.user):
        raise PermissionDenied
    back = _safe_next(request, reverse("accounts:list"))
    assignable = selectors.account_managers_assignable(user=request.user)
    form = ReassignForm(request.POST, owners=list(assignable[: MAX_OWNER_CHOICES + 1]))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return HttpResponseRedirect(back)
    new_owner = assignable.filter(username=form.cleaned_data["new_owner"]).first()
    if new_owner is None:
        messages.error(request, _("Choose the new account manager."))
        return HttpResponseRedirect(back)
    try:
        moved = services.accounts_reassign(
            actor=request.user,
            codes=form.cleaned_data["codes"],
            new_owner=new_owner,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(count)s accounts reassigned to %(name)s.")
            % {"count": moved, "name": new_owner.label},
        )
    return HttpResponseRedirect(back)


# --- 360° page ---------------------------------------------------------------------------------


def _decorate_requests(requests: list[ServiceRequest]) -> None:
    now = timezone.now()
    for sr in requests:
        state = domain.sla_state(
            now=now, opened_at=sr.opened_at, due_at=sr.sla_due_at, resolved_at=sr.resolved_at
        )
        sr.sla = {"state": state.value, "label": SLA_LABELS[state]}  # type: ignore[attr-defined]


def _decorate_people(people: list[KeyPerson]) -> None:
    drivers = dict(KeyPerson.Driver.choices)
    for person in people:
        person.driver_labels = [drivers.get(d, d) for d in person.drivers]  # type: ignore[attr-defined]
        person.means = [  # type: ignore[attr-defined]
            means_label(m) for m in domain.communication_means(person.drivers)
        ]
        person.care_list = list(person.care_dates.all())  # type: ignore[attr-defined]


def _activity_panel_context(
    request: AuthedRequest, account: Account, key_persons: list[KeyPerson], form: Any = None
) -> dict[str, Any]:
    current = [p for p in key_persons if p.left_on is None]
    if form is None:
        form = ActivityForm(key_persons=current, initial={"occurred_on": timezone.localdate()})
    timeline = list(selectors.activity_list(user=request.user, code=account.code)[:30])
    return {"account": account, "activity_form": form, "timeline": timeline, "can_edit": True}


@crm_staff_required
@require_GET
def account_detail(request: AuthedRequest, code: str) -> HttpResponse:
    data = selectors.account_workspace(user=request.user, code=code)
    account = data["account"]
    _decorate_people(data["key_persons"])
    _decorate_requests(data["open_requests"])
    _decorate_requests(data["recently_resolved"])
    current = [p for p in data["key_persons"] if p.left_on is None]
    context = {
        **data,
        "can_edit": can_edit_account(request.user, account),
        "activity_form": ActivityForm(
            key_persons=current, initial={"occurred_on": timezone.localdate()}
        ),
        "left_form": MarkLeftForm(initial={"left_on": timezone.localdate()}),
        "current_people": current,
        "former_people": [p for p in data["key_persons"] if p.left_on is not None],
        "other_region_branches": [
            b for b in account.branch_list if b.region_id != account.region_id
        ],
        "today": timezone.localdate(),
    }
    return render(request, "accounts/detail.html", context)


def _editable(request: AuthedRequest, code: str) -> Account:
    account = selectors.account_get(user=request.user, code=code)
    if not can_edit_account(request.user, account):
        raise PermissionDenied
    return account


@crm_staff_required
def account_edit(request: AuthedRequest, code: str) -> HttpResponse:
    account = _editable(request, code)
    manager = _is_manager(request.user)
    owners = list(selectors.account_managers_assignable(user=request.user)) if manager else None
    regions = list(regions_visible_to(request.user).order_by("path")) if manager else None
    conflict = None
    if request.method == "POST":
        form = AccountEditForm(request.POST, owners=owners, regions=regions)
        if form.is_valid():
            data, errors = _account_data(request, form, owners or [], regions or [])
            for field, message in errors.items():
                form.add_error(field, message)
            if not errors:
                try:
                    services.account_update(
                        actor=request.user,
                        code=code,
                        expected_version=form.cleaned_data["version"],
                        data=data,
                    )
                except services.ConflictError as exc:
                    conflict = _conflict(request, code, form, exc, manager, owners, regions)
                    form = conflict.pop("form")
                except ValidationError as exc:
                    apply_service_errors(form, exc)
                except PermissionError as exc:
                    raise PermissionDenied from exc
                else:
                    messages.success(request, _("The account was saved."))
                    return redirect("accounts:detail", code=code)
    else:
        form = AccountEditForm(
            initial=AccountEditForm.initial_for(account, managers=manager),
            owners=owners,
            regions=regions,
        )
    differing = {d["field"] for d in conflict["differences"]} if conflict else set()
    return render(
        request,
        "accounts/edit.html",
        {"account": account, "form": form, "conflict": conflict, "differing": differing},
    )


def _account_data(
    request: AuthedRequest, form: AccountEditForm, owners: list[User], regions: list[Region]
) -> tuple[dict[str, Any], dict[str, str]]:
    data = {k: v for k, v in form.cleaned_data.items() if k in services.ACCOUNT_EDITABLE}
    errors: dict[str, str] = {}
    parent_code = form.cleaned_data.get("parent", "").strip()
    data["parent"] = None
    if parent_code:
        try:
            data["parent"] = selectors.account_get(user=request.user, code=parent_code)
        except Http404:
            errors["parent"] = _("Unknown account.")
    if "owner" in form.cleaned_data:
        data["owner"] = {u.username: u for u in owners}.get(form.cleaned_data["owner"])
        data["region"] = {r.code: r for r in regions}.get(form.cleaned_data["region"])
    return data, errors


def _conflict(
    request: AuthedRequest,
    code: str,
    form: AccountEditForm,
    exc: services.ConflictError,
    manager: bool,
    owners: list[User] | None,
    regions: list[Region] | None,
) -> dict[str, Any]:
    """Keep the user's input, show what is saved now where it differs, and base the next save on
    the current version so saving again deliberately applies the user's input."""
    current = selectors.account_get(user=request.user, code=code)
    saved = AccountEditForm.initial_for(current, managers=manager)
    data = request.POST.copy()
    data["version"] = str(exc.current_version)
    rebound = AccountEditForm(data, owners=owners, regions=regions)
    rebound.is_valid()
    differences = []
    for name, field in rebound.fields.items():
        if name == "version":
            continue
        mine = form.cleaned_data.get(name)
        theirs = saved.get(name)
        if (mine or None) != (theirs or None):
            shown = theirs
            if hasattr(field, "choices") and theirs is not None:
                shown = dict(field.choices).get(theirs, theirs)
            differences.append({"field": name, "label": field.label, "saved": shown or "—"})
    return {
        "form": rebound,
        "current_version": exc.current_version,
        "differences": differences,
        "by": _last_editor(current),
    }


def _last_editor(account: Account) -> str:
    last = account.history.select_related("history_user").order_by("-history_date").first()  # type: ignore[attr-defined]
    if last is None or last.history_user is None:
        return ""
    return last.history_user.label


# --- key persons --------------------------------------------------------------------------------


@crm_staff_required
def key_person_form(request: AuthedRequest, code: str, pk: int | None = None) -> HttpResponse:
    account = _editable(request, code)
    person = selectors.key_person_get(user=request.user, code=code, pk=pk) if pk else None
    if request.method == "POST":
        form = KeyPersonForm(request.POST)
        care = CareDateFormSet(request.POST, prefix="care")
        if form.is_valid() and care.is_valid():
            data = dict(form.cleaned_data)
            data["care_dates"] = [cd for cd in care.cleaned_data if cd]
            try:
                if person is None:
                    services.key_person_create(actor=request.user, code=code, data=data)
                    messages.success(request, _("The key person was added."))
                else:
                    services.key_person_update(
                        actor=request.user, code=code, pk=person.pk, data=data
                    )
                    messages.success(request, _("The key person was saved."))
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return HttpResponseRedirect(
                    reverse("accounts:detail", args=[code]) + "#key-persons"
                )
    else:
        form = KeyPersonForm(initial=KeyPersonForm.initial_for(person) if person else None)
        care = CareDateFormSet(
            prefix="care",
            initial=[
                {"occasion": c.occasion, "month": c.month, "day": c.day, "note": c.note}
                for c in person.care_dates.order_by("month", "day", "id")
            ]
            if person
            else None,
        )
    return render(
        request,
        "accounts/key_person_form.html",
        {"account": account, "person": person, "form": form, "care": care},
    )


@crm_staff_required
@require_POST
def key_person_left(request: AuthedRequest, code: str, pk: int) -> HttpResponse:
    _editable(request, code)
    person = selectors.key_person_get(user=request.user, code=code, pk=pk)
    form = MarkLeftForm(request.POST)
    if form.is_valid():
        try:
            services.key_person_mark_left(
                actor=request.user, code=code, pk=pk, left_on=form.cleaned_data["left_on"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request, _("%(name)s is marked as having left.") % {"name": person.name}
            )
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return HttpResponseRedirect(reverse("accounts:detail", args=[code]) + "#key-persons")


# --- activities -----------------------------------------------------------------------------


@crm_staff_required
def activity_log(request: AuthedRequest, code: str) -> HttpResponse:
    account = _editable(request, code)
    key_persons = list(selectors.key_person_list(user=request.user, code=code))
    current = [p for p in key_persons if p.left_on is None]
    htmx = bool(getattr(request, "htmx", False))
    if request.method == "POST":
        form = ActivityForm(request.POST, key_persons=current)
        if form.is_valid():
            try:
                services.activity_log(actor=request.user, code=code, data=form.service_data())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                if htmx:
                    context = _activity_panel_context(request, account, key_persons)
                    context["logged"] = True
                    return render(request, "accounts/_activity_panel.html", context)
                messages.success(request, _("The activity was logged."))
                return HttpResponseRedirect(reverse("accounts:detail", args=[code]) + "#activities")
        if htmx:
            context = _activity_panel_context(request, account, key_persons, form)
            return render(request, "accounts/_activity_panel.html", context)
    else:
        form = ActivityForm(key_persons=current, initial={"occurred_on": timezone.localdate()})
    return render(request, "accounts/activity_form.html", {"account": account, "form": form})


# --- service requests -----------------------------------------------------------------------


@crm_staff_required
def service_request_open(request: AuthedRequest, code: str) -> HttpResponse:
    account = _editable(request, code)
    if request.method == "POST":
        form = ServiceRequestOpenForm(request.POST)
        if form.is_valid():
            try:
                services.service_request_open(actor=request.user, code=code, data=form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The service request was opened."))
                return HttpResponseRedirect(
                    reverse("accounts:detail", args=[code]) + "#service-requests"
                )
    else:
        form = ServiceRequestOpenForm()
    return render(request, "accounts/sr_open.html", {"account": account, "form": form})


@crm_staff_required
def service_request_update(request: AuthedRequest, code: str, pk: int) -> HttpResponse:
    account = selectors.account_get(user=request.user, code=code)
    sr = selectors.service_request_get(user=request.user, code=code, pk=pk)
    can_edit = can_edit_account(request.user, account)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = ServiceRequestUpdateForm(request.POST)
        if form.is_valid():
            try:
                services.service_request_update(
                    actor=request.user, code=code, pk=pk, data=form.cleaned_data
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The service request was saved."))
                return HttpResponseRedirect(
                    reverse("accounts:detail", args=[code]) + "#service-requests"
                )
    else:
        form = ServiceRequestUpdateForm(
            initial={"status": sr.status, "severity": sr.severity, "resolution": sr.resolution}
        )
    _decorate_requests([sr])
    return render(
        request,
        "accounts/sr_update.html",
        {"account": account, "sr": sr, "form": form, "can_edit": can_edit},
    )


# --- import ---------------------------------------------------------------------------------

_SESSION_KEY = "accounts_import_pending"


def _upload_form(request: AuthedRequest, data: Any = None, files: Any = None) -> ImportUploadForm:
    lim = imports.limits()
    return ImportUploadForm(
        data, files, max_mb=lim["max_bytes"] // 1048576, max_rows=lim["max_rows"]
    )


def _discard_pending(request: AuthedRequest) -> None:
    pending = request.session.pop(_SESSION_KEY, None)
    if pending:
        default_storage.delete(pending["stored_as"])


def _column_help(columns: dict[str, tuple[str, ...]]) -> list[tuple[str, list[str]]]:
    """Each column's field name with the Chinese headers that may stand for it."""
    return [(name, [a for a in aliases if not a.isascii()]) for name, aliases in columns.items()]


@crm_staff_required
def import_upload(request: AuthedRequest) -> HttpResponse:
    context: dict[str, Any] = {
        "account_columns": _column_help(imports.ACCOUNT_COLUMNS),
        "key_person_columns": _column_help(imports.KEY_PERSON_COLUMNS),
        "manager": _is_manager(request.user),
    }
    if request.method == "POST":
        form = _upload_form(request, request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > imports.limits()["max_bytes"]:
                    raise imports.ImportRejected(
                        _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
                        % {
                            "size": f"{upload.size / 1048576:.1f}",
                            "limit": imports.limits()["max_bytes"] // 1048576,
                        }
                    )
                raw = upload.read()
                sheets = imports.read_upload(upload.name, raw)
            except imports.ImportRejected as exc:
                form.add_error("file", exc.message)
            else:
                preview = imports.dry_run(actor=request.user, sheets=sheets)
                context["preview"] = preview
                context["filename"] = upload.name
                _discard_pending(request)
                if preview.ok:
                    token = uuid.uuid4().hex
                    ext = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
                    stored = default_storage.save(f"imports/{token}{ext}", ContentFile(raw))
                    request.session[_SESSION_KEY] = {
                        "token": token,
                        "stored_as": stored,
                        "filename": upload.name,
                        "total": preview.total,
                    }
                    context["token"] = token
                return render(request, "accounts/import_preview.html", context)
    else:
        form = _upload_form(request)
    context["form"] = form
    return render(request, "accounts/import_upload.html", context)


@crm_staff_required
@require_POST
def import_confirm(request: AuthedRequest) -> HttpResponse:
    pending = request.session.get(_SESSION_KEY)
    if not pending or pending["token"] != request.POST.get("token"):
        messages.error(request, _("This preview has expired; upload the file again."))
        return redirect("accounts:import")
    request.session.pop(_SESSION_KEY)
    run = imports.import_start(
        actor=request.user, total=pending["total"], filename=pending["filename"]
    )
    kwargs = {
        "run_id": run.pk,
        "actor_id": request.user.pk,
        "filename": pending["filename"],
        "stored_as": pending["stored_as"],
    }
    transaction.on_commit(lambda: tasks.import_file.delay(**kwargs))
    return redirect("accounts:import_job", pk=run.pk)


@crm_staff_required
@require_GET
def import_job(request: AuthedRequest, pk: int) -> HttpResponse:
    runs = JobRun.objects.filter(job=imports.IMPORT_JOB, pk=pk)
    if not (request.user.is_superuser or request.user.role == User.Role.HQ):  # type: ignore[union-attr]
        runs = runs.filter(triggered_by=request.user.get_username())
    run = runs.first()
    if run is None:
        raise Http404
    template = (
        "accounts/_import_progress.html"
        if getattr(request, "htmx", False)
        else "accounts/import_job.html"
    )
    return render(request, template, {"run": run, "running": run.status == JobRun.Status.RUNNING})


@crm_staff_required
@require_GET
def import_template(request: AuthedRequest) -> StreamingHttpResponse:
    """An example file with the column headers, for the account manager to fill in."""
    header = list(imports.ACCOUNT_COLUMNS)
    response = StreamingHttpResponse(csv_rows(header, []), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="accounts-template.csv"'
    return response
