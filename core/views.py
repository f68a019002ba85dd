from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts import domain, selectors
from accounts.labels import SLA_LABELS
from org.models import User
from org.visibility import is_crm_staff


class AuthedRequest(HttpRequest):
    """A request behind `crm_staff_required`: its user is a signed-in staff member."""

    user: User


def crm_staff_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Pages are for staff; a machine client (billing) logged in with a session gets a 403."""

    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_crm_staff(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


class CrmLoginView(LoginView):
    redirect_authenticated_user = True


def locked_out(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """django-axes: the (username, address) pair failed too often. The real user at another
    address is not affected, so the message says so."""
    from django.conf import settings

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    form = AuthenticationForm(request)
    return render(
        request,
        "registration/login.html",
        {"form": form, "locked_out": True, "cooloff_minutes": minutes},
        status=429,
    )


@crm_staff_required
def home(request: AuthedRequest) -> HttpResponse:
    """Today: what the account manager should act on now."""
    user = request.user
    now = timezone.now()
    today = timezone.localdate()
    week = domain.upcoming_month_days(today, 7)
    birthdays, occasions = selectors.care_dates_upcoming(user=user, month_days=week)
    care = [
        {
            "on": _next_on(today, p.birthday_on.month, p.birthday_on.day),
            "what": None,
            "person": p,
            "account": p.account,
        }
        for p in birthdays
        if p.birthday_on
    ] + [
        {
            "on": _next_on(today, c.month, c.day),
            "what": c.get_occasion_display(),
            "person": c.key_person,
            "account": c.key_person.account,
        }
        for c in occasions
    ]
    care.sort(key=lambda item: (item["on"], item["person"].name))
    requests = selectors.service_requests_at_risk(user=user, now=now)
    for sr in requests:
        state = domain.sla_state(
            now=now, opened_at=sr.opened_at, due_at=sr.sla_due_at, resolved_at=sr.resolved_at
        )
        sr.sla = {"state": state.value, "label": SLA_LABELS[state]}  # type: ignore[attr-defined]
    context = {
        "today": today,
        "next_steps": selectors.next_steps_due(user=user, today=today),
        "at_risk": requests,
        "care": care,
        "recent": selectors.accounts_recently_changed(user=user),
        **_retention_today(user, today),
    }
    return render(request, "core/home.html", context)


def _retention_today(user: User, today: dt.date) -> dict[str, Any]:
    """Overdue retention tasks (the user's own; a regional manager's region) and unread
    notifications for the home page."""
    from lifecycle import selectors as lifecycle_selectors

    region_overdue = (
        lifecycle_selectors.overdue_tasks(user=user, today=today, region=user.region, limit=20)
        if user.role == User.Role.REGIONAL_MANAGER and user.region_id
        else []
    )
    return {
        "retention_overdue": lifecycle_selectors.overdue_tasks(
            user=user, today=today, owned_only=True, limit=20
        ),
        "region_overdue": region_overdue,
        "unread_notifications": lifecycle_selectors.unread_notification_count(user=user),
    }


def _next_on(today: dt.date, month: int, day: int) -> dt.date:
    """The next date on or after today with this month and day (29 Feb → 28 Feb)."""
    for year in (today.year, today.year + 1):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            candidate = dt.date(year, month, 28)
        if candidate >= today:
            return candidate
    return today


@crm_staff_required
@require_GET
def notifications(request: AuthedRequest) -> HttpResponse:
    """The user's notifications (new high churn risk, overdue retention task), in the reader's
    language from their stored parameters."""
    from lifecycle import selectors as lifecycle_selectors

    unread_only = request.GET.get("unread") == "1"
    items = lifecycle_selectors.notification_list(user=request.user, unread_only=unread_only)
    unread = lifecycle_selectors.unread_notification_count(user=request.user)
    return render(
        request,
        "core/notifications.html",
        {"items": items, "unread": unread, "unread_only": unread_only},
    )


@crm_staff_required
@require_GET
def notifications_badge(request: AuthedRequest) -> HttpResponse:
    """The nav's unread count, loaded after the page (htmx) so no page pays for it."""
    from lifecycle import selectors as lifecycle_selectors

    unread = lifecycle_selectors.unread_notification_count(user=request.user)
    return render(request, "core/_notification_badge.html", {"unread": unread})


@crm_staff_required
@require_POST
def notification_read(request: AuthedRequest, pk: int) -> HttpResponse:
    from lifecycle import services as lifecycle_services

    if not lifecycle_services.notification_mark_read(actor=request.user, notification_id=pk):
        raise Http404("No such notification.")
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications")


@crm_staff_required
@require_POST
def notifications_read_all(request: AuthedRequest) -> HttpResponse:
    from lifecycle import services as lifecycle_services

    lifecycle_services.notifications_mark_all_read(actor=request.user)
    return redirect("notifications")


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for the load balancer and docker-compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
