"""The test suite: SQLite with nothing set, PostgreSQL + Redis when DATABASE_URL / REDIS_URL are."""

from .base import *  # noqa: F403
from .base import DATABASES, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["NAME"] = env("TEST_SQLITE_NAME", default=":memory:")
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_SQLITE_NAME", default=None)}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# Tests exercise the rate limiter explicitly; everywhere else it must not get in the way.
REST_FRAMEWORK = {**REST_FRAMEWORK}  # noqa: F405
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"billing": "100000/min", "user": "100000/min"}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
