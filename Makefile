# ductwork: `make serve` runs the server on the embedded default, `make test` runs every check.
# Both create or update the virtual environment from uv.lock and the front-end pieces from
# src/ductwork/web/assets/package-lock.json first; `make test` also installs Debian's Chromium
# for the browser tests (apt-get, as root or through sudo). Nothing else is needed.

PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
WEB := src/ductwork/web/assets
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: serve test lint typecheck pytest web browser bytecode bench fuzz clean help

help:  ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==0.13.8

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

web: $(WEB)/node_modules/.installed  ## Install the front-end pieces ductwork serves (Swagger UI) from npm.

# Exactly the lock's versions; no install scripts (see docs/web-assets.md).
$(WEB)/node_modules/.installed: $(WEB)/package.json $(WEB)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: apt-get install npm"; exit 1; }
	cd $(WEB) && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

browser: $(CHROMIUM)  ## Install Debian's Chromium for the browser tests (never `playwright install`).

$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		-o DPkg::Lock::Timeout=600 chromium

# Bytecode of our own sources, written ahead: with PYTHONDONTWRITEBYTECODE set (as on these
# machines) every process would otherwise compile every module again (2 s a CLI command).
bytecode: $(VENV)/.synced
	@$(VENV)/bin/python -m compileall -q src

serve: $(VENV)/.synced web bytecode  ## Run ductwork on http://localhost:8000 with the demo world (SQLite in .ductwork/).
	$(VENV)/bin/ductwork serve $(ARGS)

test: lint typecheck pytest  ## ruff, mypy --strict and the whole test suite on SQLite and PostgreSQL.

lint: $(VENV)/.synced
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/ruff check src tests bench

typecheck: $(VENV)/.synced
	$(VENV)/bin/mypy

# The published JavaScript clients the tests drive (tests/js): installed from the lock when
# node_modules is missing or older than the lock.
JS := tests/js
$(JS)/node_modules/.package-lock.json: $(JS)/package.json $(JS)/package-lock.json
	npm ci --prefix $(JS) --ignore-scripts --no-audit --no-fund
	@touch $@

pytest: $(VENV)/.synced web browser bytecode $(JS)/node_modules/.package-lock.json
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: $(VENV)/.synced  ## Throughput against a bare ASGI app (needs wrk: apt-get install wrk).
	$(VENV)/bin/python bench/phason_throughput.py
	$(VENV)/bin/python bench/barn_year.py

fuzz: $(VENV)/.synced web bytecode  ## Schemathesis, every check, >= 10,000 cases per API on SQLite and PostgreSQL.
	$(VENV)/bin/python bench/fuzz.py $(ARGS)

clean:  ## Remove the virtual environments, npm's packages and the default data directory.
	rm -rf $(VENV) $(TOOLS) $(WEB)/node_modules $(JS)/node_modules .ductwork
