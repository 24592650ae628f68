# Two commands matter: `make demo` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
KIT := $(BIN)/onboarding-kit
DEMO_DB ?= sqlite:///instance/demo.db
PYTEST_ARGS ?=
# One pytest worker per core and one more (pytest-xdist); a file's tests stay together on one
# worker, so a module's shared stack is built once. Workers often wait on Chromium, servers and
# subprocesses, and the extra one keeps the cores busy meanwhile: on 2 cores, 3 workers took the
# suite from about 3:10 to about 2:57. PYTEST_WORKERS=0 runs everything in one process.
PYTEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)')
BENCH_ARGS ?=
# Extra options for the demo, e.g. DEMO_ARGS='--kit-port 5100 --emulator-port 5101 --acme-port 5102'.
DEMO_ARGS ?=

.PHONY: demo test test-fleet lint format shims shims-check shims-compile bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files re-run the install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[demo]'
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[demo,test,dev]'
	@touch $@ $(VENV)/.installed

## demo: create .venv, install, migrate a SQLite database and start the demo stack
demo: $(VENV)/.installed
	@mkdir -p instance
	ONBOARDING_DATABASE_URL=$(DEMO_DB) $(KIT) db upgrade
	ONBOARDING_DATABASE_URL=$(DEMO_DB) $(KIT) demo $(DEMO_ARGS)

## test: install test extras and a Chromium if none is present, then run every test
test: $(VENV)/.installed-test
	@$(BIN)/python -m tests.support.browser --ensure
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

## test-fleet: only the fleet test (nginx, three kit instances, two workers, PostgreSQL, Redis)
test-fleet: $(VENV)/.installed-test
	@$(BIN)/python -m tests.support.browser --ensure
	$(BIN)/pytest -m fleet $(PYTEST_ARGS)

## lint: ruff (lint + format check) and mypy, as CI runs them
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## shims: regenerate webview_shims/generated from the default config
shims: $(VENV)/.installed
	$(KIT) shims generate

## shims-check: fail when webview_shims/generated differs from a fresh render
shims-check: $(VENV)/.installed
	$(KIT) shims check

## shims-compile: compile the shims with the real compilers (tsc, kotlinc, swiftc, dart analyze),
## then check that each compiler rejects mutated copies; toolchains are cached in .cache/shims-compile
shims-compile: $(VENV)/.installed
	$(BIN)/python -m webview_shims.compile --self-test

## bench: the kit against a partner's own alternatives, SQLite and PostgreSQL (bench/README.md);
## BENCH_ARGS=--quick for a short development run
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance test-results .pytest_cache .mypy_cache .ruff_cache
