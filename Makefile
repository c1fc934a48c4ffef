# `make run` and `make test` work on a fresh machine with only Python 3.11+ installed:
# each creates .venv and installs okr-bot into it first.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint migrate fake-slack clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Serve Slack with the settings in the environment or .env (migrates the database first).
run: $(STAMP)
	$(BIN)/okr-bot serve

## Lint and run the whole suite (SQLite and a throwaway PostgreSQL server).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .

migrate: $(STAMP)
	$(BIN)/okr-bot migrate

## A fake Slack Web API on 127.0.0.1:8900, for trying `make run` without a workspace.
fake-slack: $(STAMP)
	$(BIN)/python -m tests.fakes.slack_api --port 8900

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info

## Time /okr status and /okr tree against a no-op command on a generated workspace, on SQLite
## and a throwaway PostgreSQL server; prints one table (about 3 minutes; see docs/performance.md).
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python -m bench.commands --backend both
