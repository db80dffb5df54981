# RastUp Data Platform — developer entry points. `make demo` and `make test` are all a
# fresh machine needs: they install uv (with pip) when missing, then the locked environment.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export DO_NOT_TRACK := 1
export UV_PYTHON_DOWNLOADS := never
# Compile every installed module at install: imports never compile at run time, also where
# PYTHONDONTWRITEBYTECODE is set (dbt's import: 4.3-4.9 s instead of 7.0-7.8 s, RESULTS.md).
export UV_COMPILE_BYTECODE := 1
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv

UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
VENV := $(CURDIR)/.venv
PYTEST_ARGS ?=
# The suite runs its files on one worker per core, at most 4 (pytest-xdist; each worker
# starts its own PostgreSQL, S3 API and browser). PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto

.PHONY: help setup demo test check lint lint-imports typecheck bench soak fuzz clean

help: ## Show the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	@echo "uv not found: installing it into .tools/ with pip"
	python3 -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet uv

$(VENV)/.synced: Makefile pyproject.toml uv.lock hatch_build.py src/rastup_data/collector/segment/_fastmap.c | $(UV)
	$(UV) sync --locked --all-extras
	@touch $@

# The dbt project parsed once at install, as the bytecode is compiled: a user's first build
# copies it instead of parsing the whole project (docs/architecture-warehouse.md). Made
# again when a project file changes (a stale copy is only parsed again where it changed).
# Only an optimisation: a project that does not parse warns here and fails in its build.
DBT_FILES := $(shell find dbt -type f -not -path 'dbt/target/*' -not -path 'dbt/logs/*' -not -path 'dbt/dbt_packages/*' 2>/dev/null)
$(VENV)/.parsed: $(VENV)/.synced $(DBT_FILES)
	@if $(VENV)/bin/rastup-data build --parse-only --into-environment; then touch $@; \
	else echo "warning: the dbt project was not parsed at install; builds will parse it"; fi

setup: $(VENV)/.parsed ## Install the locked environment into .venv (every extra, the dbt project parsed), and Chromium, promtool, PostgreSQL and Java for the tests.
	@bash scripts/ensure-chromium.sh
	@bash scripts/ensure-promtool.sh
	@bash scripts/ensure-postgresql.sh
	@bash scripts/ensure-java.sh

demo: setup ## Run the whole pipeline on the embedded default, then keep serving.
	$(VENV)/bin/rastup-data demo --fresh $(DEMO_ARGS)

test: setup ## Run the test suite.
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --maxprocesses=4 --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

lint: setup lint-imports ## ruff and the import contracts.
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check src tests benchmarks

lint-imports: setup ## Import contracts: each package imports only what its README allows.
	$(VENV)/bin/lint-imports --no-cache

typecheck: setup ## mypy (strict) on the package.
	$(VENV)/bin/mypy

check: lint typecheck test ## ruff + mypy + tests.

fuzz: setup ## Hostile-input fuzzer: 100,000 seeded requests to a real serve (FUZZ_ARGS to change).
	$(VENV)/bin/pytest tests/collector/test_fuzz.py -q -s --timeout=0 --fuzz-requests=100000 $(FUZZ_ARGS)

bench: setup ## Run the benchmarks but the soak; results print as JSON (record them in benchmarks/RESULTS.md).
	$(VENV)/bin/python -m benchmarks $(BENCH_ARGS)

soak: setup ## Soak: 15 min at 10 k and at 100 k events/min against serve with scheduler, alerts, NRT (SOAK_ARGS, e.g. --minutes 2).
	$(VENV)/bin/python -m benchmarks.bench_soak $(SOAK_ARGS)

clean: ## Remove the environment and generated data.
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache lake demo-out
