"""Production: refuses to start without SECRET_KEY and ALLOWED_HOSTS; HTTPS everywhere."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import STORAGES, env

DEBUG = False
try:
    SECRET_KEY = env("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
except ImproperlyConfigured as exc:  # pragma: no cover - exercised by a subprocess test
    raise ImproperlyConfigured(
        "Production settings need SECRET_KEY and ALLOWED_HOSTS in the environment."
    ) from exc
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name at least one host.")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith(("insecure", "django-insecure")):
    raise ImproperlyConfigured("SECRET_KEY must be a random string of at least 50 characters.")

# TLS ends at the proxy in front of gunicorn, which says so in X-Forwarded-Proto. HTTPS_ONLY=false
# exists only for trying the docker-compose stack on http://localhost; `check --deploy` then
# warns, as it should.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
HTTPS_ONLY = env.bool("HTTPS_ONLY", default=True)
SECURE_SSL_REDIRECT = HTTPS_ONLY
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000) if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
