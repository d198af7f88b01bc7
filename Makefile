# smartbind: `make dev` and `make test` work from a fresh clone; nothing else needs installing by hand.
# The tested Python is 3.11 (the Dockerfile's too): use it when installed.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || echo python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Two workers suit the 2-core CI machine; override with `make test PYTEST_WORKERS=auto`.
PYTEST_WORKERS ?= 2

.PHONY: install dev reset test lint bench test-stack clean

# constraints.txt pins every dependency outside the Dagster family to what the tests ran (the image uses it too).
$(STAMP): setup.py constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Sandbox emulators + Dagster webserver and daemon on loopback (SQLite under .dagster_home)
dev: install
	PATH="$(abspath $(BIN)):$$PATH" scripts/dev.sh

## Start `make dev` over: clears the sandbox state and the sync state together (Dagster instance, ProcessConfig);
## keeps the admin token, declared processes and .venv. Refuses while make dev runs.
reset:
	scripts/dev.sh reset

## The whole suite, emulators and PostgreSQL started by the tests themselves
test: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) smartbind_pipelines_tests

## ruff check and ruff format --check (pyproject.toml), then the code location loads and validates. A
## throwaway DAGSTER_HOME: the repository's dagster.yaml is production's (PostgreSQL from DAGSTER_PG_*).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	home=$$(mktemp -d) && DAGSTER_HOME=$$home $(BIN)/dagster definitions validate -w workspace.yaml; \
	status=$$?; rm -rf "$$home"; exit $$status

## Benchmarks against the sandbox; writes docs/benchmarks.md (e.g. `make bench ARGS=--quick`)
bench: install
	$(BIN)/python -m smartbind_pipelines_tests.bench $(ARGS)

## docker-compose.yml for real under podman (root; ~4 min cached): docs/operations-stack.md
test-stack: install
	scripts/stack/run.sh

## Removes the virtualenv too (a rebuild takes minutes); to start the sandbox over, use `make reset`
clean:
	rm -rf $(VENV) .dagster_home build *.egg-info .pytest_cache
