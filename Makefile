# One command runs the demo, one runs the tests. Both install what they need (uv, then the
# locked dependencies) on a fresh machine.
UV ?= $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")

.PHONY: bootstrap demo test lint

bootstrap:
	@command -v uv >/dev/null 2>&1 || [ -x "$(HOME)/.local/bin/uv" ] || python3 -m pip install --user --quiet uv
	@$(UV) sync --frozen --quiet

demo: bootstrap
	$(UV) run python manage.py demo

test: bootstrap
	$(UV) run pytest

lint: bootstrap
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy .
	$(UV) run python manage.py makemigrations --check --dry-run
