"""KPI pages: thin. Each reads through kpi.selectors (scopes checked against the viewer's
visibility: outside the subtree is a 404) or writes through kpi.services."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exports import csv_rows
from core.views import crm_staff_required
from org.models import Region, User
from org.visibility import regions_visible_to

from . import domain, imports, selectors, services
from .exports import XLSX, workbook
from .forms import (
    GridFilterForm,
    SchemeForm,
    TargetImportForm,
    metric_forms,
    parse_grid,
)
from .models import KpiScheme, KpiTarget, Metric

_SESSION_KEY = "kpi_target_import"
DRILL_LIMIT = 200
GRID_ROWS = 200


def _period(request: HttpRequest) -> domain.ScorePeriod:
    parsed = domain.parse_period(request.GET.get("period", ""))
    return parsed or selectors.default_period(today=timezone.localdate())


def _is_account_manager(user: Any) -> bool:
    return bool(user.role == User.Role.ACCOUNT_MANAGER and not user.is_superuser)


def _dashboard(request: HttpRequest) -> dict[str, Any]:
    region = selectors.dashboard_region(
        user=request.user, region_code=request.GET.get("region") or None
    )
    period = _period(request)
    card = selectors.scorecard(period=period, region=region)
    scheme, as_of = card.scheme, card.as_of
    return {
        "region": region,
        "period": period,
        "card": card,
        "tree": selectors.region_tree(scheme=scheme, period=period, as_of=as_of, region=region),
        "league": selectors.league_table(scheme=scheme, period=period, as_of=as_of, region=region),
        "trends": selectors.trends(scheme=scheme, period=period, region=region),
        "distributions": selectors.distributions(region=region, period=period),
    }


def _breadcrumbs(viewer: Any, region: Region) -> list[Region]:
    """The path from the viewer's top region down to `region` (never above what they see)."""
    codes = [c for c in region.path.strip("/").split("/") if c]
    visible = {r.code: r for r in regions_visible_to(viewer).filter(code__in=codes)}
    return [visible[c] for c in codes if c in visible]


@crm_staff_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return _dashboard_page(request)


def _dashboard_page(request: HttpRequest) -> HttpResponse:
    """A manager's dashboard; an account manager's KPI page is their own scorecard."""
    if _is_account_manager(request.user):
        return _manager_page(request, request.user)
    context = _dashboard(request)
    context.update(
        {
            "periods": selectors.period_choices(around=context["period"].year),
            "crumbs": _breadcrumbs(request.user, context["region"]),
            "charts": {
                "trends": [
                    {
                        "id": f"trend-{t.metric}",
                        "label": t.label,
                        "labels": t.labels,
                        "values": t.values,
                        "percent": t.metric in _RATE_METRICS,
                    }
                    for t in context["trends"]
                ],
                "distributions": [
                    {
                        "id": f"dist-{d.dimension}",
                        "label": d.title,
                        "labels": [label for _b, label, _n in d.buckets],
                        "values": [n for _b, _l, n in d.buckets],
                    }
                    for d in context["distributions"]
                ],
            },
            "can_manage": services.can_manage_schemes(request.user),
        }
    )
    return render(request, "kpi/dashboard.html", context)


_RATE_METRICS = {
    Metric.CHURN_RATE,
    Metric.HIGH_VALUE_CHURN_RATE,
    Metric.IT_PENETRATION,
    Metric.RETENTION_ON_TIME,
    Metric.COMPLAINT_SLA,
    Metric.KEY_PERSON_COVERAGE,
}


def _scorecard_rows(card: selectors.Scorecard) -> Iterator[list[Any]]:
    for row in card.rows:
        yield [
            row.label,
            row.definition,
            row.weight,
            row.actual,
            row.realistic,
            row.stretch,
            _percent(row.attainment_realistic),
            _percent(row.attainment_stretch),
            row.points.quantize(Decimal("0.01")),
        ]
    if card.total is not None:
        yield [_("Total"), "", 100, "", "", "", "", "", card.total.quantize(Decimal("0.01"))]


def _percent(value: Decimal | None) -> Decimal | None:
    return None if value is None else (value * 100).quantize(Decimal("0.1"))


def _scorecard_header() -> list[str]:
    return [
        _("metric"), _("definition"), _("weight"), _("actual"), _("realistic target"),
        _("stretch target"), _("attainment vs realistic (%)"), _("attainment vs stretch (%)"),
        _("points"),
    ]  # fmt: skip


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@crm_staff_required
@require_GET
def dashboard_export(request: HttpRequest) -> HttpResponse:
    if _is_account_manager(request.user):
        raise Http404
    region = selectors.dashboard_region(
        user=request.user, region_code=request.GET.get("region") or None
    )
    period = _period(request)
    card = selectors.scorecard(period=period, region=region)
    scheme, as_of = card.scheme, card.as_of
    league = selectors.league_table(
        scheme=scheme, period=period, as_of=as_of, region=region, limit=None
    )
    tree = selectors.region_tree(scheme=scheme, period=period, as_of=as_of, region=region)
    trends = selectors.trends(scheme=scheme, period=period, region=region)
    dists = selectors.distributions(region=region, period=period)

    def tree_rows() -> Iterator[list[Any]]:
        stack = [(node, 1) for node in reversed(tree)]
        while stack:
            node, level = stack.pop()
            yield [node.region.code, node.region.name, level, node.total]
            stack += [(child, level + 1) for child in reversed(node.children)]

    labels = trends[0].labels if trends else []
    data = workbook(
        [
            (_("Scorecard"), _scorecard_header(), _scorecard_rows(card)),
            (
                _("Regions"),
                [_("code"), _("region"), _("level below"), _("total score")],
                tree_rows(),
            ),
            (
                _("Account managers"),
                [_("rank"), _("account manager"), _("region"), _("total score")]
                + [selectors.metric_label(m) for m in league.metrics],
                ([r.rank, r.label, r.region_name, r.total, *r.points] for r in league.rows),
            ),
            (
                _("Monthly trends"),
                [_("metric"), *labels],
                ([t.label, *t.values] for t in trends),
            ),
            (
                _("Distributions"),
                [_("dimension"), _("bucket"), _("accounts")],
                ([d.title, label, n] for d in dists for _b, label, n in d.buckets),
            ),
        ]
    )
    return _xlsx_response(data, f"kpi-{region.code}-{period.code}.xlsx")


@crm_staff_required
@require_GET
def manager(request: HttpRequest, username: str) -> HttpResponse:
    """One account manager's scorecard, trends and targets, for their managers (and themselves)."""
    person = selectors.account_manager_in_scope(viewer=request.user, username=username)
    return _manager_page(request, person)


@crm_staff_required
@require_GET
def me(request: HttpRequest) -> HttpResponse:
    """An account manager's own scorecard and targets (managers: their dashboard)."""
    return _dashboard_page(request)


def _manager_page(request: HttpRequest, person: Any) -> HttpResponse:
    period = _period(request)
    card = selectors.scorecard(period=period, user=person)
    trends = selectors.trends(scheme=card.scheme, period=period, user=person)
    region = person.region
    crumbs = (
        _breadcrumbs(request.user, region)
        if region and not _is_account_manager(request.user)
        else []
    )
    return render(
        request,
        "kpi/manager.html",
        {
            "person": person,
            "period": period,
            "periods": selectors.period_choices(around=period.year),
            "card": card,
            "crumbs": crumbs,
            "own": person.pk == request.user.pk,
            "targets": selectors.targets_of(scheme=card.scheme, user=person),
            "quarters": [*domain.QUARTERS, domain.YEAR],
            "charts": {
                "trends": [
                    {
                        "id": f"trend-{t.metric}",
                        "label": t.label,
                        "labels": t.labels,
                        "values": t.values,
                        "percent": t.metric in _RATE_METRICS,
                    }
                    for t in trends
                ],
                "distributions": [],
            },
            "trends": trends,
        },
    )


@crm_staff_required
@require_GET
def manager_export(request: HttpRequest, username: str) -> HttpResponse:
    person = selectors.account_manager_in_scope(viewer=request.user, username=username)
    period = _period(request)
    card = selectors.scorecard(period=period, user=person)
    targets = selectors.targets_of(scheme=card.scheme, user=person)
    quarters = [*domain.QUARTERS, domain.YEAR]
    data = workbook(
        [
            (_("Scorecard"), _scorecard_header(), _scorecard_rows(card)),
            (
                _("Targets"),
                [_("metric")]
                + [f"{q} {kind}" for q in quarters for kind in (_("realistic"), _("stretch"))],
                (
                    [t["label"]] + [v for cell in t["cells"] for v in (cell or (None, None))]
                    for t in targets
                ),
            ),
        ]
    )
    return _xlsx_response(data, f"kpi-{person.username}-{period.code}.xlsx")


def _drill(request: HttpRequest) -> dict[str, Any]:
    """Parse a drill-down link; every part is checked again (a hand-edited link answers 404)."""
    metric = request.GET.get("metric", "")
    if metric not in Metric.values:
        raise Http404
    period = _period(request)
    region_code = request.GET.get("region") or None
    username = request.GET.get("user") or None
    if bool(region_code) == bool(username):
        if _is_account_manager(request.user) and not region_code:
            username = request.user.username
        else:
            raise Http404
    region = person = None
    if username:
        person = selectors.account_manager_in_scope(viewer=request.user, username=username)
    else:
        if _is_account_manager(request.user):
            raise Http404
        region = selectors.dashboard_region(user=request.user, region_code=region_code)
    denominator = request.GET.get("part") == "denominator"
    as_of, accounts = selectors.accounts_behind(
        viewer=request.user,
        metric=metric,
        period=period,
        region=region,
        user=person,
        denominator=denominator,
    )
    return {
        "metric": metric,
        "metric_label": selectors.metric_label(metric),
        "definition": selectors.metric_definitions().get(metric, ""),
        "period": period,
        "region": region,
        "person": person,
        "denominator": denominator,
        "has_denominator": selectors.has_denominator(metric),
        "as_of": as_of,
        "accounts": accounts.select_related("region", "owner").order_by("code", "id"),
    }


@crm_staff_required
@require_GET
def drill(request: HttpRequest) -> HttpResponse:
    context = _drill(request)
    shown = list(context["accounts"][: DRILL_LIMIT + 1])
    context["rows"] = shown[:DRILL_LIMIT]
    context["more"] = len(shown) > DRILL_LIMIT
    context["limit"] = DRILL_LIMIT
    context["query"] = request.GET.urlencode()
    return render(request, "kpi/drill.html", context)


@crm_staff_required
@require_GET
def drill_export(request: HttpRequest) -> Any:
    context = _drill(request)
    header = [_("code"), _("name"), _("region"), _("account manager"), _("status")]
    rows = (
        (a.code, a.name, a.region.name, a.owner.label if a.owner_id else "", a.get_status_display())
        for a in context["accounts"].iterator(chunk_size=2000)
    )
    data = workbook([(context["metric_label"], header, rows)])
    return _xlsx_response(data, f"kpi-{context['metric']}-{context['period'].code}.xlsx")


# --- hq: schemes and targets -------------------------------------------------------------------


def _require_hq(request: HttpRequest) -> None:
    if not services.can_manage_schemes(request.user):
        raise PermissionDenied


@crm_staff_required
def schemes(request: HttpRequest) -> HttpResponse:
    _require_hq(request)
    form = SchemeForm(
        request.POST or None,
        initial={"year": timezone.localdate().year, "name": ""},
    )
    if request.method == "POST" and form.is_valid():
        year = form.cleaned_data["year"]
        if KpiScheme.objects.filter(year=year).exists():
            form.add_error("year", _("There is already a scheme for this year."))
        else:
            services.scheme_save(
                actor=request.user,  # type: ignore[arg-type]
                year=year,
                name=form.cleaned_data["name"],
                metrics=services.default_metrics(),
            )
            messages.success(
                request, _("The scheme was created with the default weights; adjust them here.")
            )
            return redirect("kpi:scheme", year=year)
    rows = KpiScheme.objects.order_by("-year").prefetch_related("metrics")
    return render(request, "kpi/schemes.html", {"schemes": rows, "form": form})


@crm_staff_required
def scheme(request: HttpRequest, year: int) -> HttpResponse:
    _require_hq(request)
    current = selectors.scheme_for_year(year)
    if current is None:
        raise Http404
    initial = {r.metric: r for r in services.scheme_rules(current)}
    posted = None
    if request.method == "POST":
        posted = request.POST.copy()
        posted["year"] = str(year)
    head = SchemeForm(posted, initial={"year": year, "name": current.name})
    rows = metric_forms(posted, initial)
    errors: list[str] = []
    if posted is not None and head.is_valid() and all(f.is_valid() for f in rows):
        rules = [r for r in (f.rule_or_none() for f in rows) if r is not None]
        try:
            services.scheme_save(
                actor=request.user,  # type: ignore[arg-type]
                year=year,
                name=head.cleaned_data["name"],
                metrics=rules,
            )
        except ValidationError as exc:
            errors = list(exc.messages)
        else:
            messages.success(request, _("The scheme was saved."))
            return redirect("kpi:scheme", year=year)
    total = sum(r.weight for r in initial.values())
    return render(
        request,
        "kpi/scheme.html",
        {"scheme": current, "head": head, "rows": rows, "errors": errors, "total": total},
    )


def _grid_scope(
    request: HttpRequest, scheme_obj: KpiScheme
) -> tuple[str, str, Region | None, list[tuple[int, str, str]]]:
    params = request.POST if request.method == "POST" else request.GET
    filters = GridFilterForm(params)
    filters.is_valid()
    quarter = filters.cleaned_data.get("quarter") or "Q1"
    scope = filters.cleaned_data.get("scope") or "regions"
    region_code = filters.cleaned_data.get("region") or ""
    region = None
    if region_code:
        region = regions_visible_to(request.user).filter(code=region_code).first()
        if region is None:
            raise Http404
    rows: list[tuple[int, str, str]]
    if scope == "regions":
        regions = Region.objects.order_by("path", "id")
        if region is not None:
            regions = regions.filter(path__startswith=region.path)
        rows = [(r.pk, r.code, f"{'· ' * r.depth}{r.name}") for r in regions[:GRID_ROWS]]
    else:
        people = User.objects.filter(role=User.Role.ACCOUNT_MANAGER, is_active=True)
        if region is not None:
            people = people.filter(region__path__startswith=region.path)
        rows = [
            (u.pk, u.username, f"{u.label} ({u.region.name if u.region else '—'})")
            for u in people.select_related("region").order_by("username", "id")[:GRID_ROWS]
        ]
    return quarter, scope, region, rows


@crm_staff_required
def targets(request: HttpRequest, year: int) -> HttpResponse:
    _require_hq(request)
    scheme_obj = selectors.scheme_for_year(year)
    if scheme_obj is None:
        raise Http404
    quarter, scope, region, rows = _grid_scope(request, scheme_obj)
    metrics = [r.metric for r in services.scheme_rules(scheme_obj)]
    ids = [pk for pk, _c, _l in rows]
    errors: dict[str, str] = {}
    problems: list[str] = []
    if request.method == "POST":
        entries, blank, errors = parse_grid(
            request.POST, quarter=quarter, scope=scope, scope_ids=ids, metrics=metrics
        )
        if not errors:
            try:
                saved = services.targets_set(
                    actor=request.user,  # type: ignore[arg-type]
                    scheme=scheme_obj,
                    entries=entries,
                )
                blank_ids = sorted({i for i, _m in blank})
                cleared = services.targets_clear(
                    actor=request.user,  # type: ignore[arg-type]
                    scheme=scheme_obj,
                    quarter=quarter,
                    region_ids=blank_ids if scope == "regions" else [],
                    user_ids=blank_ids if scope == "managers" else [],
                    metrics=sorted({m for _i, m in blank}),
                    cells=blank,
                )
            except ValidationError as exc:
                problems = list(exc.messages)
            else:
                messages.success(
                    request,
                    _("%(count)s targets saved.") % {"count": saved + cleared},
                )
                query = f"?quarter={quarter}&scope={scope}"
                if region is not None:
                    query += f"&region={region.code}"
                return redirect(reverse("kpi:targets", kwargs={"year": year}) + query)
    field = "region_id" if scope == "regions" else "user_id"
    stored = {
        (scope_id, metric): (realistic, stretch)
        for scope_id, metric, realistic, stretch in KpiTarget.objects.filter(
            scheme=scheme_obj, quarter=quarter, **{f"{field}__in": ids}
        ).values_list(field, "metric", "realistic", "stretch")
    }
    posted = request.POST if request.method == "POST" else None
    grid = []
    for pk, code, label in rows:
        cells: list[dict[str, str]] = []
        for metric in metrics:
            value = stored.get((pk, metric))
            names = (f"r-{pk}-{metric}", f"s-{pk}-{metric}")
            shown = (
                [posted.get(n, "") for n in names]
                if posted is not None
                else [_plain(value[0]) if value else "", _plain(value[1]) if value else ""]
            )
            cells.extend(
                {"name": n, "value": v, "error": errors.get(n, "")}
                for n, v in zip(names, shown, strict=True)
            )
        grid.append({"pk": pk, "code": code, "label": label, "cells": cells})
    return render(
        request,
        "kpi/targets.html",
        {
            "scheme": scheme_obj,
            "metrics": [(m, selectors.metric_label(m)) for m in metrics],
            "grid": grid,
            "quarter": quarter,
            "scope": scope,
            "region": region,
            "quarters": KpiTarget.Quarter.choices,
            "regions": regions_visible_to(request.user).filter(depth__lte=1).order_by("path"),
            "problems": problems,
            "has_errors": bool(errors),
            "limit": GRID_ROWS,
        },
    )


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


@crm_staff_required
def targets_import(request: HttpRequest, year: int) -> HttpResponse:
    _require_hq(request)
    scheme_obj = selectors.scheme_for_year(year)
    if scheme_obj is None:
        raise Http404
    context: dict[str, Any] = {"scheme": scheme_obj, "columns": imports.COLUMNS}
    form = TargetImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            raw = upload.read(imports.account_imports.limits()["max_bytes"] + 1)
            rows = imports.read_file(upload.name, raw)
        except imports.ImportRejected as exc:
            form.add_error("file", exc.message)
        else:
            preview = imports.dry_run(scheme=scheme_obj, rows=rows)
            context.update({"preview": preview, "filename": upload.name})
            if preview.ok:
                token = uuid.uuid4().hex
                ext = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
                stored = default_storage.save(f"imports/kpi/{token}{ext}", ContentFile(raw))
                request.session[_SESSION_KEY] = {
                    "token": token,
                    "stored_as": stored,
                    "filename": upload.name,
                    "year": year,
                }
                context["token"] = token
    context["form"] = form
    return render(request, "kpi/targets_import.html", context)


@crm_staff_required
@require_POST
def targets_import_confirm(request: HttpRequest, year: int) -> HttpResponse:
    _require_hq(request)
    scheme_obj = selectors.scheme_for_year(year)
    if scheme_obj is None:
        raise Http404
    pending = request.session.get(_SESSION_KEY)
    if not pending or pending["token"] != request.POST.get("token") or pending["year"] != year:
        messages.error(request, _("This preview has expired; upload the file again."))
        return redirect("kpi:targets_import", year=year)
    request.session.pop(_SESSION_KEY)
    with default_storage.open(pending["stored_as"], "rb") as fh:
        raw = fh.read()
    default_storage.delete(pending["stored_as"])
    # Checked again: targets or accounts may have changed since the preview.
    preview = imports.dry_run(scheme=scheme_obj, rows=imports.read_file(pending["filename"], raw))
    if not preview.ok:
        messages.error(request, _("The file no longer passes the checks; see the preview."))
        return render(
            request,
            "kpi/targets_import.html",
            {
                "scheme": scheme_obj,
                "form": TargetImportForm(),
                "preview": preview,
                "columns": imports.COLUMNS,
            },
        )
    count = services.targets_set(
        actor=request.user,  # type: ignore[arg-type]
        scheme=scheme_obj,
        entries=preview.entries,
    )
    messages.success(request, _("%(count)s targets imported.") % {"count": count})
    return redirect(reverse("kpi:targets", kwargs={"year": year}))


@crm_staff_required
@require_GET
def targets_template(request: HttpRequest, year: int) -> Any:
    _require_hq(request)
    scheme_obj = selectors.scheme_for_year(year)
    if scheme_obj is None:
        raise Http404
    response = StreamingHttpResponse(
        csv_rows(imports.template_header(), imports.template_rows(scheme_obj)),
        content_type="text/csv",
    )
    response["Content-Disposition"] = f'attachment; filename="kpi-targets-{year}.csv"'
    return response
