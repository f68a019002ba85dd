"""API authentication.

- Staff scripts: `Authorization: Bearer <token>` (django-rest-knox: only a hash is stored, tokens
  expire and are revocable).
- Machine clients (billing): `Authorization: Api-Key <key>` or `X-Api-Key: <key>`. Hashed API keys
  (djangorestframework-api-key, SHA-512 at rest) with expiry, revocation and scopes. We chose them
  over OAuth2 client credentials because the billing system is one server-to-server client that
  we provision by hand: a key is one secret, checked in one hash lookup per request, with no token
  endpoint, refresh cycle or second secret to rotate, and it carries the same guarantees (hashed at
  rest, expiring, revocable, scoped)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .models import MachineClientKey


class BearerTokenAuthentication(TokenAuthentication):
    """Knox tokens under the `Bearer` prefix (knox reads the prefix from authenticate_header)."""


class ApiKeyAuthentication(BaseAuthentication):
    keyword = b"api-key"

    def _raw_key(self, request: Any) -> str | None:
        header = get_authorization_header(request).split()
        if header and header[0].lower() == self.keyword:
            if len(header) != 2:
                raise exceptions.AuthenticationFailed(_("Malformed API key header."))
            return header[1].decode("latin-1")
        custom = request.META.get("HTTP_X_API_KEY")
        return custom or None

    def authenticate(self, request: Any) -> tuple[Any, MachineClientKey] | None:
        raw = self._raw_key(request)
        if raw is None:
            return None
        # One query, client joined: the key's prefix is unique; the hash is checked below.
        prefix = raw.partition(".")[0]
        try:
            key = MachineClientKey.objects.select_related("user").get(prefix=prefix)
        except MachineClientKey.DoesNotExist:
            key = None
        if key is None or not key.is_valid(raw) or key.has_expired or key.revoked:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked API key."))
        if not key.user.is_active:
            raise exceptions.AuthenticationFailed(_("The client is disabled."))
        return key.user, key

    def authenticate_header(self, request: Any) -> str:
        return 'Api-Key realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Names both schemes in the OpenAPI document, so /api/docs/ offers to authorise with them."""

    target_class = BearerTokenAuthentication
    name = "bearerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A staff token from `manage.py provision_user USERNAME --token`.",
        }


class ApiKeySchema(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Api-Key <key>` (or the key alone in `X-Api-Key`), from "
                "`manage.py provision_client NAME`. Billing endpoints only."
            ),
        }
