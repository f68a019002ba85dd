"""The test suite: SQLite with nothing set, PostgreSQL + Redis when DATABASE_URL / REDIS_URL are."""

import uuid

from .base import *  # noqa: F403
from .base import CACHES, DATABASES, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["NAME"] = env("TEST_SQLITE_NAME", default=":memory:")
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_SQLITE_NAME", default=None)}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# On a Redis shared with other runs (or a previous one), this run's cache keys are its own.
CACHES["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex[:12]}"
# Tasks run in-process unless a test says otherwise: a REDIS_URL in CI must not leave messages
# queued on a broker no worker reads. tests/test_celery_worker.py switches this off and starts a
# real worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
# Tests exercise the rate limiter explicitly; everywhere else it must not get in the way.
REST_FRAMEWORK = {**REST_FRAMEWORK}  # noqa: F405
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"billing": "100000/min", "user": "100000/min"}
# A fresh clone has no collected staticfiles/: let whitenoise look files up when asked instead of
# warning at every middleware start that the directory is missing.
WHITENOISE_AUTOREFRESH = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
