"""A laptop: DEBUG on, SQLite unless DATABASE_URL says otherwise, tasks eager unless REDIS_URL."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
