# consult — what a newcomer and CI type. `make help` lists the targets.
#
#   make run     install what is missing, create the database, load the demo, serve on :5000
#   make test    install what is missing (browser included) and run every check
#
# Set CONSULT_TEST_DATABASE_URL=postgresql://... to run the database tests on PostgreSQL too.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2
TRANSLATIONS := consult/translations
# Extra pytest arguments, e.g. make pytest PYTEST_ARGS="-k demo -x"
PYTEST_ARGS ?=
# Where pytest writes its JUnit report (.ci/run reads it to prove PostgreSQL tests ran).
JUNIT_XML ?=
LINTED := consult tests bench wsgi.py

# Debian packages: WeasyPrint's libraries and a CJK font (documents), poppler's pdfsig and
# pdftoppm, and Chromium for the end-to-end tests (plus python3-venv if `python3 -m venv`
# cannot work, as on a bare Debian).
DEB_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk \
	poppler-utils chromium

# The test database settings reach pytest (and `make bench`) whether they come from the
# environment or the make command line.
ifdef CONSULT_TEST_DATABASE_URL
export CONSULT_TEST_DATABASE_URL
endif
ifdef CONSULT_REQUIRE_POSTGRES
export CONSULT_REQUIRE_POSTGRES
endif

# Creates (or drops) a scratch database next to the one CONSULT_TEST_DATABASE_URL names, and
# prints its URL: python -c "$$PG_SCRATCH" URL NAME create|drop
define PG_SCRATCH
import sys
from sqlalchemy import create_engine, make_url, text
from consult.config import normalise_database_url
url = make_url(normalise_database_url(sys.argv[1]))
name, action = sys.argv[2], sys.argv[3]
engine = create_engine(url, isolation_level="AUTOCOMMIT")
with engine.connect() as conn:
    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    if action == "create":
        conn.execute(text(f'CREATE DATABASE "{name}"'))
engine.dispose()
print(url.set(database=name).render_as_string(hide_password=False))
endef
export PG_SCRATCH

.PHONY: help install system-packages translations messages run serve test lint fmt \
	typecheck imports db-check pytest bench bench-disclosure clean

help: ## list the targets
	@echo "consult — make targets:"
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sort | \
		awk 'BEGIN {FS = ":.*## "} {printf "  %-16s %s\n", $$1, $$2}'

install: system-packages $(VENV)/.installed translations ## Debian packages, .venv, compiled translations

# Re-run pip only when pyproject.toml changed (or the venv is new), so `make test` stays fast.
$(VENV)/.installed: pyproject.toml
	@if [ ! -x "$(PY)" ]; then \
		echo "creating $(VENV)"; \
		$(PYTHON) -m venv $(VENV) || { \
			echo "python3 -m venv failed: install Debian's python3-venv and retry" >&2; exit 1; }; \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $@

system-packages: ## install missing Debian packages (as root, or with sudo)
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
		dpkg -s "$$p" >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ ! -x "$(PY)" ] && ! $(PYTHON) -c "import ensurepip" >/dev/null 2>&1; then \
		missing="$$missing python3-venv"; \
	fi; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "warning: not a Debian system; install by hand:$$missing" >&2; exit 0; \
	fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; \
	else echo "warning: missing Debian packages:$$missing (run as root or with sudo)" >&2; exit 0; fi; \
	echo "installing Debian packages:$$missing"; \
	$$sudo apt-get update -qq; \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing

translations: $(VENV)/.installed ## compile the message catalogues (if there are any)
	@if [ -d $(TRANSLATIONS) ] && ls $(TRANSLATIONS)/*/LC_MESSAGES/*.po >/dev/null 2>&1; then \
		$(BIN)/pybabel -q compile -d $(TRANSLATIONS) -f; \
	fi

messages: $(VENV)/.installed ## extract UI strings and update the catalogues (see CONTRIBUTING.md)
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext \
		--project consult --no-location -o $(TRANSLATIONS)/messages.pot .
	@if ls $(TRANSLATIONS)/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/pybabel -q update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS); \
	fi

run: install ## create the database, load the demo and serve on http://127.0.0.1:5000
	$(BIN)/consult init
	$(BIN)/consult demo
	@echo "serving consult on http://$(HOST):$(PORT) (Ctrl-C stops it)"
	exec $(BIN)/gunicorn -w $(WORKERS) -b $(HOST):$(PORT) wsgi:app

serve: install ## serve without loading the demo
	$(BIN)/consult init
	exec $(BIN)/gunicorn -w $(WORKERS) -b $(HOST):$(PORT) wsgi:app

test: install ## every check: lint, layers, types, migrations, the whole test suite
	$(MAKE) --no-print-directory lint imports typecheck db-check pytest

lint: $(VENV)/.installed ## ruff: lint and format check
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

fmt: $(VENV)/.installed ## format the code and apply ruff's safe fixes
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

imports: $(VENV)/.installed ## import-linter: the layers of ARCHITECTURE.md
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed ## mypy, strict, on the whole package
	$(BIN)/mypy

db-check: $(VENV)/.installed ## migrations reach head and agree with the models (SQLite; PostgreSQL too if configured)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	export CONSULT_INSTANCE_PATH="$$tmp" CONSULT_DATABASE_URL="sqlite:///$$tmp/check.db"; \
	echo "db-check: SQLite"; \
	$(BIN)/consult init >/dev/null; \
	$(BIN)/flask --app consult:create_app db check; \
	if [ -n "$${CONSULT_TEST_DATABASE_URL:-}" ]; then \
		echo "db-check: PostgreSQL (scratch database consult_dbcheck)"; \
		url=$$($(PY) -c "$$PG_SCRATCH" "$$CONSULT_TEST_DATABASE_URL" consult_dbcheck create); \
		trap '$(PY) -c "$$PG_SCRATCH" "$$CONSULT_TEST_DATABASE_URL" consult_dbcheck drop >/dev/null; rm -rf "$$tmp"' EXIT; \
		export CONSULT_DATABASE_URL="$$url"; \
		$(BIN)/consult init >/dev/null; \
		$(BIN)/flask --app consult:create_app db check; \
	fi

pytest: $(VENV)/.installed ## the test suite (exit code 5, no tests collected, is a failure)
	$(BIN)/pytest $(if $(JUNIT_XML),--junitxml=$(JUNIT_XML)) $(PYTEST_ARGS)

bench: $(VENV)/.installed ## import 100,000 residents (SQLite; PostgreSQL too if configured)
	$(PY) bench/import_residents.py --check
	@if [ -n "$${CONSULT_TEST_DATABASE_URL:-}" ]; then \
		$(PY) bench/import_residents.py --check --database-url "$$CONSULT_TEST_DATABASE_URL"; \
	fi

bench-disclosure: $(VENV)/.installed ## disclosures: a year of ledgers, a 400-row statement, the board
	@if [ -n "$${CONSULT_TEST_DATABASE_URL:-}" ]; then \
		$(PY) bench/disclosure.py --check --database-url "$$CONSULT_TEST_DATABASE_URL"; \
	else \
		$(PY) bench/disclosure.py --check --sqlite; \
	fi

clean: ## remove caches and test output (keeps .venv and instance/)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .import_linter_cache test-results htmlcov .coverage
	find . -name __pycache__ -type d -not -path "./$(VENV)/*" -prune -exec rm -rf {} +
