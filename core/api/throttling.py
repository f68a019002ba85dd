from rest_framework.throttling import SimpleRateThrottle


class RoleRateThrottle(SimpleRateThrottle):
    """One bucket per authenticated principal; machine clients get the tighter `billing` rate."""

    def get_cache_key(self, request, view):  # type: ignore[no-untyped-def]
        user = request.user
        if not (user and user.is_authenticated):
            return self.cache_format % {"scope": "anon", "ident": self.get_ident(request)}
        self.scope = "billing" if getattr(user, "role", "") == "billing_client" else "user"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return self.cache_format % {"scope": self.scope, "ident": user.pk}

    def get_rate(self):  # type: ignore[no-untyped-def]
        return self.THROTTLE_RATES.get(getattr(self, "scope", None) or "user")
