from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.selectors import account_summary_counts


@login_required
def home(request: HttpRequest) -> HttpResponse:
    counts = account_summary_counts(user=request.user)
    return render(request, "core/home.html", {"counts": counts})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for the load balancer and docker-compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
