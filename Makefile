# Governance Cockpit — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8050
WORKERS ?= 2
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench
BENCH_ARGS ?=
# The partial plotly.js bundle (only the trace types of the built-in kinds), built from the npm
# registry's plotly.js sources with esbuild, both pinned in bundles/package-lock.json.
BUNDLE := cockpit/web/static/plotly-cockpit.min.js
BUNDLE_SRC := bundles/package.json bundles/package-lock.json bundles/build.mjs bundles/plotly-cockpit.js

.PHONY: run test install install-test system-deps demo check lint clean bench bench-engines spark bundle

$(STAMP): pyproject.toml
	@echo "==> creating virtual environment in $(VENV)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@echo "==> installing the cockpit and its pinned dependencies"
	@$(PY) -m pip install --quiet -e .
	@touch $@

$(TEST_STAMP): pyproject.toml $(STAMP)
	@echo "==> installing test extras"
	@$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

$(BENCH_STAMP): pyproject.toml $(TEST_STAMP) bench/package.json bench/package-lock.json
	@echo "==> installing the benchmark's tools (locust; Lighthouse from bench/package-lock.json if npm is here)"
	@$(PY) -m pip install --quiet -e '.[test,bench]'
	@if command -v npm >/dev/null; then npm ci --prefix bench --no-audit --no-fund --silent; \
	 else echo "    npm not found: Lighthouse figures will be skipped"; fi
	@touch $@

$(BUNDLE): $(BUNDLE_SRC)
	@bash scripts/system-deps.sh build
	@echo "==> building the partial plotly.js bundle (npm ci, esbuild)"
	@cd bundles && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error && node build.mjs

bundle: $(BUNDLE)
install: $(STAMP) $(BUNDLE)
install-test: $(TEST_STAMP) $(BUNDLE)

system-deps:
	@bash scripts/system-deps.sh

## make run: set everything up, publish the demo data if the store is empty, serve on :$(PORT)
run: install
	@echo "==> checking the data store"
	@$(VENV)/bin/cockpit bootstrap
	@echo "==> checking the declarations"
	@$(VENV)/bin/cockpit check
	@echo "==> serving the local demo on http://127.0.0.1:$(PORT), logins off (COCKPIT_AUTH=off; Ctrl-C to stop)"
	@COCKPIT_AUTH=off $(VENV)/bin/gunicorn --bind 127.0.0.1:$(PORT) --workers $(WORKERS) --threads 4 --timeout 60 --keep-alive 75 -c python:cockpit.web.gunicorn_conf app:server

## make test: set everything up (Chromium, CJK fonts, test extras) and run the whole suite
test: install-test system-deps
	@echo "==> running the test suite (unit, ingest, analytics, real-browser)"
	@$(VENV)/bin/pytest -q

check: install
	@$(VENV)/bin/cockpit check

## make spark: a local Spark Connect server for COCKPIT_ENGINE=spark (local[2], UTC, TIMESTAMP_NTZ; Ctrl-C stops it)
SPARK_PORT ?= 15002
spark: install-test system-deps
	@$(VENV)/bin/cockpit spark-server --port $(SPARK_PORT)

clean:
	rm -rf $(VENV) data/store data/cache data/demo-drop test-artifacts bundles/node_modules cockpit/web/static/plotly-cockpit.*

## make bench: the cockpit against two plain Dash apps on 1M and 10M requests, in one run, with ratios
## (BENCH_ARGS="--load" adds the load test, "--huge" the 100M store, "--json" machine output; see --help)
bench: $(BENCH_STAMP) system-deps
	@$(PY) bench/bench_cockpit.py $(BENCH_ARGS)
	@$(PY) bench/bench_wall.py

## make bench-engines: latency per panel on DuckDB and Spark, cold and through a shared Redis, and the cache hit rate of many walls
bench-engines: install-test system-deps
	@$(PY) bench/bench_engines.py
