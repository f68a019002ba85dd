# One command runs the demo, one runs the tests. Both install what they need (uv, then the
# locked dependencies) on a fresh machine.
UV ?= $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")

.PHONY: bootstrap demo test lint

# uv from PyPI into pip's user scheme (~/.local/bin), where UV above finds it; a Debian system
# Python refuses --user installs unless told it may.
bootstrap:
	@command -v uv >/dev/null 2>&1 || [ -x "$(HOME)/.local/bin/uv" ] \
		|| python3 -m pip install --user --quiet uv \
		|| python3 -m pip install --user --quiet --break-system-packages uv
	@$(UV) sync --frozen --quiet

demo: bootstrap
	$(UV) run python manage.py demo

test: bootstrap
	$(UV) run pytest

lint: bootstrap
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy .
	DJANGO_SETTINGS_MODULE=config.settings.test $(UV) run python manage.py makemigrations --check --dry-run

# Front-end libraries come from the npm registry, pinned by package-lock.json, and are served by
# the app from static/vendor/ (committed, so the demo needs no node). Refresh after a version bump.
.PHONY: vendor
vendor:
	npm ci --ignore-scripts --no-audit --no-fund
	mkdir -p static/vendor/chart.js
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map \
		node_modules/chart.js/LICENSE.md static/vendor/chart.js/
