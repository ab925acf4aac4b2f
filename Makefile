# The README's two commands. Each does all the set-up it needs on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test lint typecheck unit conformance bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: setup.cfg pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.test-deps: setup.cfg pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.run-deps

## make run: start all six tenants on the embedded default config (as the Procfile does)
run: $(VENV)/.run-deps
	$(PY) -m trainer

## make test: lint, type-check, unit/HTTP/client tests and the conformance floors
test: lint typecheck unit

lint: $(VENV)/.test-deps
	$(VENV)/bin/ruff check trainer tests bench
	$(VENV)/bin/ruff format --check trainer tests bench

typecheck: $(VENV)/.test-deps
	$(VENV)/bin/mypy

unit: $(VENV)/.test-deps
	$(VENV)/bin/pytest

conformance: $(VENV)/.test-deps
	$(PY) tests/conformance/run.py

bench: $(VENV)/.test-deps
	$(PY) bench/bench.py

clean:
	rm -rf $(VENV) tests/conformance/node .mypy_cache .ruff_cache
