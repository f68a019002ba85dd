"""Assertions shared by the API tests."""

from __future__ import annotations

from typing import Any

from django.apps import apps


def assert_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """The one error shape: {"error": {"status", "code", "message", "fields"?}}, naming `field`."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["status"] == status, error
    assert isinstance(error["code"], str) and error["code"], error
    assert isinstance(error["message"], str) and error["message"], error
    assert set(error) <= {"status", "code", "message", "fields"}, error
    if field is not None:
        assert field in error.get("fields", {}), error
        assert all(isinstance(m, str) and m for m in error["fields"][field]), error
    return error


def row_counts() -> dict[str, int]:
    """Rows in every table of our apps (history tables included): to prove nothing was written."""
    return {
        model._meta.label: model._default_manager.count()
        for app in ("accounts", "org")
        for model in apps.get_app_config(app).get_models()
    }
