# Huitong: the verbs a newcomer needs. `make demo` and `make test` work on a fresh machine (Python 3.11, make, Java 17).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENVS := $(CURDIR)/.venvs
UV := $(VENVS)/bootstrap/bin/uv
CORE := $(VENVS)/core/bin
AIRFLOW_BIN := $(VENVS)/airflow/bin
SUPERSET_BIN := $(VENVS)/superset/bin

export HUITONG_HOME ?= $(CURDIR)/.state
export HUITONG_PROJECT_ROOT := $(CURDIR)
export HUITONG_CORE_BIN := $(CORE)
export HUITONG_SCALE ?= 1.0
export HUITONG_AS_OF ?= $(shell date +%F)
export HUITONG_HISTORY_START ?= $(shell echo $$(( $$(date +%Y) - 1 )))-01-01
# The source DAGs catch up from here; the demo's history_load covers up to HUITONG_AS_OF, so the hotel DAG it
# unpauses has one interval to run at once (a window history_load also loaded: re-running one is safe).
export HUITONG_SCHEDULE_START ?= $(shell date -d "$(HUITONG_AS_OF) -1 day" +%F)
export DBT_PROFILES_DIR := $(CURDIR)/dbt_project
# Airflow: state under HUITONG_HOME, loopback only, a parallelism that fits 2 cores.
export AIRFLOW_HOME := $(HUITONG_HOME)/airflow
# SQLite lets one writer in at a time; the scheduler, the API server, the DAG processor, task runners and the CLI
# all write it. A writer waits up to 60 s for the lock (SQLite's default through Python is 5 s: a backfill's clear
# failed with "database is locked" on a busy 2-core machine). Production sets Postgres (infra/compose.yaml).
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN ?= sqlite:///$(AIRFLOW_HOME)/airflow.db?timeout=60
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
# DAG files import their shared wiring (dags/huitong_dags); every Airflow process must find it.
export PYTHONPATH := $(CURDIR)/dags
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__PARALLELISM := 4
export AIRFLOW__CORE__EXECUTOR := LocalExecutor
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS := admin:admin
export AIRFLOW__API__HOST := 127.0.0.1
export AIRFLOW__API__PORT ?= 8080
# Task processes report to the API server's execution API; it must follow the port (its default is 8080).
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL ?= http://127.0.0.1:$(AIRFLOW__API__PORT)/execution/
export AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT ?= 8793
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
export AIRFLOW__COSMOS__CACHE_DIR := $(HUITONG_HOME)/airflow/cosmos
export AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK := False
export SUPERSET_PORT ?= 8088
# The dbt docs server (the data dictionary the dashboards link to).
export HUITONG_DOCS_PORT ?= 8580
# The simulated housing-rental system's PostgreSQL (started with the other simulated sources).
export HUITONG_RENTAL_PORT ?= 8702
export HUITONG_RENTAL_DSN ?= postgresql://postgres@127.0.0.1:$(HUITONG_RENTAL_PORT)/rental
export SUPERSET_HOME := $(HUITONG_HOME)/superset
export SUPERSET_CONFIG_PATH := $(CURDIR)/superset/superset_config.py
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install demo test test-fast stop clean lint bench superset-init superset-start superset-stop superset-export dbt-parse status chromium docs

help: ## List the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

# ---- setup: three virtualenvs from committed lock files (Airflow and Superset cannot share SQLAlchemy) ----
$(UV):
	$(PYTHON) -m venv $(VENVS)/bootstrap
	$(VENVS)/bootstrap/bin/pip install --quiet --disable-pip-version-check uv==0.13.8

$(VENVS)/%/.synced: locks/%.lock | $(UV)
	@echo "==> virtualenv $* (locks/$*.lock)"
	@test -x $(VENVS)/$*/bin/python || $(UV) venv --quiet --python $(PYTHON) $(VENVS)/$*
	VIRTUAL_ENV=$(VENVS)/$* $(UV) pip sync --quiet --compile-bytecode locks/$*.lock
	@if [ "$*" = core ]; then VIRTUAL_ENV=$(VENVS)/core $(UV) pip install --quiet --no-deps -e .; fi
	@touch $@

dbt_project/target/manifest.json: $(VENVS)/core/.synced $(shell find dbt_project/models dbt_project/macros dbt_project/tests dbt_project/seeds -type f 2>/dev/null) dbt_project/dbt_project.yml
	@echo "==> dbt parse (manifest for Cosmos)"
	cd dbt_project && $(CORE)/dbt parse --quiet --no-partial-parse

install: $(VENVS)/core/.synced $(VENVS)/airflow/.synced $(VENVS)/superset/.synced dbt_project/target/manifest.json ## Create/refresh the virtualenvs (idempotent, fast when done)
	@# The dbt profile loads DuckDB's avro and iceberg extensions and never downloads them: install them from their
	@# PyPI wheels (a no-op when installed) so a dbt run does not depend on an earlier `huitong lake sync-views`.
	@$(CORE)/python -c "from huitong.lake.duck import connect; connect().close()"

dbt-parse: dbt_project/target/manifest.json

# ---- demo: the synthetic city through every layer, ending with dashboards served ----
demo: install ## Simulate a city, run the pipelines under Airflow, serve Superset; prints URLs and logins
	@scripts/demo.sh

stop: ## Stop every service make demo started (by process group)
	@scripts/services.sh stop-all

status: install ## Per-source freshness, last batch, volumes, quarantine
	@$(CORE)/huitong status

# ---- tests ----
chromium: ## Install headless Chromium + chromedriver (Debian packages) for the dashboard screenshot test; idempotent
	@scripts/install_chromium.sh

# pytest-xdist workers (CI has 2 cores; PYTEST_WORKERS=0 runs in one process). tests/conftest.py keeps a module's
# tests, and the modules sharing a session fixture (the metrics city and Superset, the fault city), on one worker.
PYTEST_WORKERS ?= 2
PYTEST := $(CORE)/pytest -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadgroup

test: install chromium ## Set up and run the whole test suite (fast, slow and end-to-end)
	@mkdir -p $(HUITONG_HOME)/tmp
	$(PYTEST) tests

test-fast: install ## Only the fast tests
	$(PYTEST) -m "not slow" tests

lint: install ## ruff over the code
	$(CORE)/ruff check src tests dags bench spark_jobs
	$(CORE)/ruff format --check src tests dags bench spark_jobs

bench: install ## Run the benchmarks in bench/ (results + plots in bench/results)
	@for b in bench/*.py; do echo "==> $$b"; $(CORE)/python $$b || exit 1; done

superset-init: install ## Bootstrap Superset (first time ~1-3 min) and import superset/assets; safe to re-run
	@superset/bin/init

superset-start: superset-init ## Bootstrap if needed and serve Superset on 127.0.0.1:$(SUPERSET_PORT)
	@superset/bin/start

superset-stop: ## Stop Superset (its process group)
	@superset/bin/stop

docs: install ## Generate the dbt docs from the current build and serve them on 127.0.0.1:$(HUITONG_DOCS_PORT)
	@$(CORE)/huitong docs generate
	@scripts/services.sh start-docs

superset-export: install ## Export the dashboards from the running Superset back into superset/assets (round trip)
	@superset/bin/export

clean: stop ## Remove all local state (.state); keeps the virtualenvs
	rm -rf $(HUITONG_HOME) dbt_project/target dbt_project/logs
