"""Settings shared by every environment. Everything that differs between machines comes from the
environment (django-environ), so the same code runs on a laptop's SQLite file and on PostgreSQL +
Redis + a pool of Celery workers."""

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A developer's .env fills in what the real environment leaves unset. Subprocess tests of the
# "nothing set" defaults switch it off so a local .env cannot change what they observe.
if os.environ.get("DJANGO_READ_DOT_ENV_FILE", "true").lower() not in ("0", "false", "no"):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="insecure-local-development-key-change-me-in-production")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework_api_key",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_htmx",
    "axes",
    "csp",
    "core",
    "org",
    "accounts",
    "solutions",
    "billing",
    "segmentation",
    "lifecycle",
    "kpi",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so a locked-out login is answered before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Nothing configured: a SQLite file in WAL mode (readers never wait for the writer).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery --------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="groupcrm"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL or "cache+memory://")
# Without a broker every task runs in-process, so the laptop default needs no worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# The queue tasks go to, and a worker listens on, unless told otherwise (one broker, several sites).
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Schedules live here and nowhere else. The nightly run (DOMAIN.md §9) is one chain of steps
# (core/nightly.py); `expires` drops a run a stuck beat would deliver too late to be "nightly".
NIGHTLY_AT = env("NIGHTLY_AT", default="02:30")
CELERY_BEAT_SCHEDULE: dict = {
    "nightly": {
        "task": "core.nightly",
        "schedule": crontab(hour=NIGHTLY_AT.split(":")[0], minute=NIGHTLY_AT.split(":")[1]),
        "options": {"expires": env.int("NIGHTLY_EXPIRES_SECONDS", default=4 * 3600)},
    },
    # Billing idempotency keys are honoured ≥ 7 days; older ones are released once a day.
    "billing-idempotency-keys-expire": {
        "task": "billing.idempotency_keys_expire",
        "schedule": crontab(hour="4", minute="10"),
        "options": {"expires": 3600},
    },
}

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Brute force: lock the (username, address) pair, so an attacker elsewhere cannot lock the real
# user out of their own desk.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.views.locked_out"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"

# --- Security headers -----------------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "org.authentication.BearerTokenAuthentication",
        "org.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["org.permissions.IsCrmStaff"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.KeysetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "billing": env("BILLING_RATE_LIMIT", default="600/min"),
        "user": env("USER_RATE_LIMIT", default="3000/min"),
    },
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.RoleRateThrottle"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=30)),
    "AUTH_HEADER_PREFIX": "Bearer",
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": None,
}
API_KEY_CUSTOM_HEADER = "HTTP_X_API_KEY"
MACHINE_CLIENT_KEY_TTL_DAYS = env.int("MACHINE_CLIENT_KEY_TTL_DAYS", default=365)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)

SPECTACULAR_SETTINGS = {
    "TITLE": "GroupCRM API",
    "DESCRIPTION": (
        "Key-account management for the group-customer department. References use natural keys: "
        "an account by its `code`, a region by its `code`, a user by `username`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Several models call a field `kind` or `status`; name each choice set for what it is.
    "ENUM_NAME_OVERRIDES": {
        "AccountStatusEnum": "accounts.models.AccountStatus",
        "ActivityKindEnum": "accounts.models.ActivityKind",
        "ServiceRequestKindEnum": "accounts.models.ServiceRequest.Kind",
        "ServiceRequestStatusEnum": "accounts.models.ServiceRequest.Status",
        # One name per choice set that several fields share (e.g. churn_risk and churn_risks).
        "ChurnRiskEnum": "lifecycle.models.ChurnRisk",
        "StageEnum": "lifecycle.models.Stage",
        "ValueClassEnum": "segmentation.models.ValueClass",
    },
}

# --- Domain settings (thresholds are settings, not code) -----------------------------------
GROUPCRM = {
    # DOMAIN.md §3: the headquarters region's coordination credit on a cross-region group.
    "HQ_COORDINATION_SHARE": env.float("HQ_COORDINATION_SHARE", default=0.10),
    # Hours to answer a service request, by severity.
    "SLA_HOURS": {"critical": 4, "high": 24, "medium": 72, "low": 168},
    "ACCOUNT_LIST_MAX_COUNT": 10_000,
}

# DOMAIN.md §4: the population rule and the class thresholds (in points, at most two decimals).
SEGMENTATION = {
    "SCORED_STATUSES": env.list("SEGMENTATION_SCORED_STATUSES", default=["prospect", "active"]),
    "ECONOMIC_THRESHOLD": env.str("SEGMENTATION_ECONOMIC_THRESHOLD", default="3.5"),
    "SOCIAL_THRESHOLD": env.str("SEGMENTATION_SOCIAL_THRESHOLD", default="3.5"),
    "SOCIAL_ORG_KINDS": ["government", "public_institution", "non_profit"],
    "FALLBACK_ECONOMIC_SIZE_BANDS": ["large"],
    # Accounts per phase-2 task: short, so a killed worker's redelivered chunk costs little.
    "CHUNK_SIZE": env.int("SEGMENTATION_CHUNK_SIZE", default=25_000),
    # Daily results older than this are summarised per month (not deleted).
    "HISTORY_HORIZON_DAYS": env.int("SEGMENTATION_HISTORY_HORIZON_DAYS", default=180),
}

# DOMAIN.md §5: lifecycle stages A–E and churn flags (the nightly lifecycle step). Ratios are
# exact decimals (compared in integer cents, the same on SQLite and PostgreSQL).
LIFECYCLE = {
    "GROWTH_RATIO": env.str("LIFECYCLE_GROWTH_RATIO", default="1.10"),
    "DECLINE_RATIO": env.str("LIFECYCLE_DECLINE_RATIO", default="0.90"),
    "REVENUE_DROP_RATIO": env.str("LIFECYCLE_REVENUE_DROP_RATIO", default="0.70"),
    "MEMBER_DROP_RATIO": env.str("LIFECYCLE_MEMBER_DROP_RATIO", default="0.90"),
    # An account whose first month with revenue is one of the last N closed months is new (A).
    "NEW_ACCOUNT_MONTHS": 6,
    "CONTRACT_WINDOW_DAYS": env.int("LIFECYCLE_CONTRACT_WINDOW_DAYS", default=90),
    "KEY_PERSON_WINDOW_DAYS": env.int("LIFECYCLE_KEY_PERSON_WINDOW_DAYS", default=90),
    "NO_CONTACT_DAYS": env.int("LIFECYCLE_NO_CONTACT_DAYS", default=60),
    "OPEN_COMPLAINTS": 2,  # open complaints at as_of that raise `complaints`
    "COMPLAINTS_PAST_SLA": 1,  # ... or this many open past their SLA
    "HIGH_RISK_FLAG_COUNT": 3,  # this many flags make the risk high on their own
    "CONTACT_VALUE_CLASSES": ["economic", "social"],  # who must be contacted (`no_contact`)
    "TASK_DUE_DAYS": env.int("LIFECYCLE_TASK_DUE_DAYS", default=14),
    # Accounts per chunk of the nightly step: short, so a redelivered chunk costs little.
    "CHUNK_SIZE": env.int("LIFECYCLE_CHUNK_SIZE", default=50_000),
}

# DOMAIN.md §8 and §3: the KPI snapshot step (kpi.snapshots).
KPI = {
    # A branch's credited metrics go this share to its group root's region (same env variable).
    "HQ_COORDINATION_SHARE": GROUPCRM["HQ_COORDINATION_SHARE"],
    # What the backfill (demo, `kpi` command) computes: month-ends and recent days.
    "BACKFILL_MONTHS": env.int("KPI_BACKFILL_MONTHS", default=12),
    "BACKFILL_DAYS": env.int("KPI_BACKFILL_DAYS", default=30),
    # PostgreSQL: the snapshot's revenue and task/complaint/visit sums on a second connection,
    # beside the per-account facts (kpi.snapshots.compute).
    "PARALLEL_PARTS": env.bool("KPI_PARALLEL_PARTS", default=True),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # With nothing configured the broker is Celery's in-memory one and tasks run eagerly: kombu
    # warns "No hostname was supplied" the first time a task is sent, which means nothing here.
    "loggers": {} if REDIS_URL else {"kombu.connection": {"level": "ERROR"}},
}
