# One image for web, worker and beat: the locked runtime dependencies, the code, compiled
# translations, and the static files collected at build time (whitenoise serves them with hashed
# names).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH="/opt/venv/bin:$PATH" \
    DJANGO_SETTINGS_MODULE=config.settings.production

# gettext compiles the zh-hans/en catalogues; uv installs exactly what uv.lock says.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir "uv>=0.5" \
    && groupadd --system groupcrm \
    && useradd --system --gid groupcrm --home-dir /app --shell /usr/sbin/nologin groupcrm

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .
# Production settings refuse to load without a secret: collectstatic gets a throwaway one that
# exists only for this build step.
RUN uv sync --frozen --no-dev \
    && SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
       ALLOWED_HOSTS=build.invalid \
       sh -c 'python manage.py collectstatic --noinput \
              && if find . -name "*.po" -not -path "./node_modules/*" | grep -q .; then \
                     python manage.py compilemessages --ignore=node_modules; fi' \
    && mkdir -p media \
    && chown -R groupcrm:groupcrm /app

USER groupcrm
EXPOSE 8000
# gunicorn takes its worker count from WEB_CONCURRENCY.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
