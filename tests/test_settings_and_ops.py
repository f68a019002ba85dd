"""Settings from the environment, the deploy check, and the files that run GroupCRM elsewhere
(docker-compose.yml, Dockerfile, .env.example, README's configuration table, .ci/run).

Settings are module-level code, so each configuration is loaded in a fresh interpreter with an
environment built for it: nothing from the developer's shell or .env leaks in."""

from __future__ import annotations

import json
import os
import re
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.test import Client, override_settings

BASE_DIR = Path(settings.BASE_DIR)
SETTINGS_DIR = BASE_DIR / "config" / "settings"

# env("X"), env.bool("X", ...), env.db("X", ...), os.environ.get("X", ...) in config/settings.
_ENV_READ = re.compile(
    r"""\benv(?:\.(?:bool|int|float|list|tuple|dict|json|path|str|db|db_url|url|cache))?\(\s*"""
    r"""["']([A-Z][A-Z0-9_]*)["']"""
    r"""|os\.environ(?:\.get)?[\(\[]\s*["']([A-Z][A-Z0-9_]*)["']"""
)


def settings_env_vars() -> set[str]:
    found: set[str] = set()
    for path in SETTINGS_DIR.glob("*.py"):
        for match in _ENV_READ.finditer(path.read_text()):
            found.add(match.group(1) or match.group(2))
    return found


def clean_env(module: str, **overrides: str) -> dict[str, str]:
    """The caller's environment minus everything the settings read, plus `overrides`."""
    # DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests' conftest sets it for Playwright in this
    # process (it is imported even when browser tests are deselected); a deployment never has it.
    drop = settings_env_vars() | {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in drop and not k.startswith(("CELERY_", "PYTEST_"))
    }
    env.update(DJANGO_SETTINGS_MODULE=module, DJANGO_READ_DOT_ENV_FILE="false", **overrides)
    return env


_SUMMARY = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "host": db.get("HOST", ""),
    "options": db.get("OPTIONS", {}), "conn_max_age": db.get("CONN_MAX_AGE"),
    "debug": settings.DEBUG, "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL, "result_backend": settings.CELERY_RESULT_BACKEND,
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION", ""),
}))
"""


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def summary(module: str, **overrides: str) -> dict[str, Any]:
    done = run_python(_SUMMARY, clean_env(module, **overrides))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def production_secret() -> str:
    return secrets.token_urlsafe(64)


# --- settings ---------------------------------------------------------------------------------


def test_nothing_set_means_sqlite_file_in_wal_mode_eager_tasks_and_local_debug():
    local = summary("config.settings.local")
    assert local["engine"] == "django.db.backends.sqlite3"
    assert Path(local["name"]) == BASE_DIR / "db.sqlite3"
    assert "journal_mode=WAL" in local["options"]["init_command"]
    assert local["eager"] is True
    assert local["broker"] == "memory://"
    assert local["cache"].endswith("LocMemCache")
    assert local["debug"] is True


@pytest.mark.parametrize("module", ["config.settings.base", "config.settings.test"])
def test_debug_is_off_outside_local_settings(module):
    assert summary(module)["debug"] is False


def test_production_keeps_debug_off_even_when_asked():
    prod = summary(
        "config.settings.production",
        SECRET_KEY=production_secret(),
        ALLOWED_HOSTS="crm.example.com",
        DEBUG="true",
    )
    assert prod["debug"] is False


def test_database_url_and_redis_url_switch_to_postgres_real_broker_and_redis_cache():
    conf = summary(
        "config.settings.local",
        DATABASE_URL="postgres://crm:pw@db.internal:5432/groupcrm",
        REDIS_URL="redis://cache.internal:6379/2",
    )
    assert conf["engine"] == "django.db.backends.postgresql"
    assert (conf["name"], conf["host"]) == ("groupcrm", "db.internal")
    assert conf["conn_max_age"] == 60
    assert conf["eager"] is False
    assert conf["broker"] == conf["result_backend"] == "redis://cache.internal:6379/2"
    assert conf["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert conf["cache_location"] == "redis://cache.internal:6379/2"


def test_sqlite_file_database_really_is_in_wal_mode(tmp_path):
    db_file = tmp_path / "crm.sqlite3"
    code = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('PRAGMA journal_mode')\n"
        "    print(cursor.fetchone()[0])\n"
    )
    done = run_python(code, clean_env("config.settings.local", DATABASE_URL=f"sqlite:///{db_file}"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "wal"
    # WAL is a property of the file: a plain connection that sets nothing sees it too.
    with sqlite3.connect(db_file) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"ALLOWED_HOSTS": "crm.example.com"}, "need SECRET_KEY and ALLOWED_HOSTS"),
        ({"SECRET_KEY": "x" * 64}, "need SECRET_KEY and ALLOWED_HOSTS"),
        ({"SECRET_KEY": "short", "ALLOWED_HOSTS": "crm.example.com"}, "at least 50 characters"),
        ({"SECRET_KEY": "x" * 64, "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS must name"),
    ],
    ids=["no-secret-key", "no-allowed-hosts", "short-secret-key", "empty-allowed-hosts"],
)
def test_production_refuses_to_start_without_secret_key_and_allowed_hosts(missing, message):
    done = manage("check", env=clean_env("config.settings.production", **missing))
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert message in done.stderr


def test_production_passes_the_deploy_check_at_warning_level():
    env = clean_env(
        "config.settings.production",
        SECRET_KEY=production_secret(),
        ALLOWED_HOSTS="crm.example.com",
    )
    done = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_production_static_files_collect_with_hashed_names(tmp_path):
    """What the Dockerfile runs at build time: a CSS url() to a missing file would fail here
    rather than in the image build or, worse, as a 500 on every page in production."""
    env = clean_env(
        "config.settings.production",
        SECRET_KEY=production_secret(),
        ALLOWED_HOSTS="crm.example.com",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    done = manage("collectstatic", "--noinput", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/app.css"]
    assert hashed != "css/app.css"
    assert (tmp_path / "static" / hashed).is_file()
    assert (tmp_path / "static" / f"{hashed}.gz").is_file()  # whitenoise serves it compressed


# --- the web health check the compose file and a load balancer use -----------------------------


@pytest.mark.django_db
def test_healthz_answers_a_proxied_https_request_under_production_security():
    secure = {
        "ALLOWED_HOSTS": ["crm.example.com"],
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    }
    client = Client()
    with override_settings(**secure):
        # What the compose health check sends: the first allowed host and the TLS flag.
        ok = client.get("/healthz/", HTTP_HOST="crm.example.com", HTTP_X_FORWARDED_PROTO="https")
        assert ok.status_code == 200
        assert ok.json() == {"status": "ok"}
        # Without the flag the redirect answers instead, so the check must send it.
        assert client.get("/healthz/", HTTP_HOST="crm.example.com").status_code == 301
        assert client.post("/healthz/", HTTP_HOST="crm.example.com", secure=True).status_code == 405


# --- docker-compose.yml -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def healthcheck_text(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def command_text(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


APP_SERVICES = ("web", "worker", "beat")


def test_compose_has_the_whole_topology(compose):
    services = compose["services"]
    assert {"postgres", "redis", *APP_SERVICES} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    assert "gunicorn config.wsgi" in command_text(services["web"])
    assert "celery -A config worker" in command_text(services["worker"])
    assert "celery -A config beat" in command_text(services["beat"])
    assert "8000:8000" in services["web"]["ports"]


def test_every_long_running_service_has_a_meaningful_health_check(compose):
    services = compose["services"]
    expected = {
        "postgres": "pg_isready",
        "redis": "redis-cli ping",
        "web": "http://127.0.0.1:8000/healthz/",
        # `$$` is compose's escape for a literal `$`: the shell expands $HOSTNAME in the container.
        "worker": "celery -A config inspect ping -d celery@$$HOSTNAME",
        "beat": "/tmp/celerybeat.pid",
    }
    for name, needle in expected.items():
        assert needle in healthcheck_text(services[name]), name
    for name, service in services.items():
        if service.get("restart") == "no":
            continue  # a one-shot job: it completes, it is never "healthy"
        assert "healthcheck" in service, f"{name} has no health check"
        test = service["healthcheck"]["test"]
        assert isinstance(test, list)
        assert test[0] in ("CMD", "CMD-SHELL"), name
        if test[:3] == ["CMD", "python", "-c"]:
            compile(test[3], f"{name} healthcheck", "exec")  # a typo fails here, not in prod


def test_compose_dependencies_wait_for_health_not_just_start(compose):
    services = compose["services"]
    for name, service in services.items():
        for dependency, spec in service.get("depends_on", {}).items():
            target = services[dependency]
            condition = spec["condition"]
            if target.get("restart") == "no":
                assert condition == "service_completed_successfully", (name, dependency)
            else:
                assert condition == "service_healthy", (name, dependency)
                assert "healthcheck" in target, (name, dependency)
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["redis"]["condition"] == "service_healthy", name
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    # The schema exists before anything that reads it starts.
    migrate = [n for n, s in services.items() if "migrate" in command_text(s)]
    assert migrate, "nothing runs migrations"
    for name in APP_SERVICES:
        assert set(migrate) & set(services[name]["depends_on"]), name


def test_compose_configures_the_app_only_through_settings_it_reads(compose):
    known = settings_env_vars() | {"DJANGO_SETTINGS_MODULE", "WEB_CONCURRENCY"}
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert "@postgres:5432/" in environment["DATABASE_URL"]
        assert environment["REDIS_URL"].startswith("redis://redis:6379/")
        assert {"SECRET_KEY", "ALLOWED_HOSTS"} <= set(environment)
        assert set(environment) <= known, set(environment) - known


def test_dockerfile_installs_the_locked_runtime_dependencies():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.MULTILINE)
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    ignored = (BASE_DIR / ".dockerignore").read_text().split()
    assert {".venv", ".env", ".git"} <= set(ignored)


# --- documentation and CI that must stay in step with the settings ---------------------------


def test_env_example_names_only_variables_something_reads():
    compose_text = (BASE_DIR / "docker-compose.yml").read_text()
    keys = re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (BASE_DIR / ".env.example").read_text(), re.M)
    assert keys
    unknown = {k for k in keys if k not in settings_env_vars() and f"${{{k}" not in compose_text}
    assert not unknown


def test_readme_configuration_table_lists_every_variable_the_settings_read():
    readme = (BASE_DIR / "README.md").read_text()
    documented = set(re.findall(r"^\|\s*`([A-Z][A-Z0-9_]*)`", readme, re.MULTILINE))
    missing = settings_env_vars() - documented
    assert not missing, f"add to README.md's configuration table: {sorted(missing)}"


def test_ci_script_is_valid_bash_and_stops_at_the_first_failure():
    script = BASE_DIR / ".ci" / "run"
    text = script.read_text()
    assert "set -euo pipefail" in text
    assert "make test" in text
    subprocess.run(["bash", "-n", str(script)], check=True, timeout=30)
