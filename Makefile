# `make run` and `make test` work on a fresh machine with only Python 3.11+ installed:
# each creates .venv and installs okr-bot into it first, at the versions in constraints.txt.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# -qq: pip's errors still show; its progress and setuptools' notes about editable installs don't.
PIP := $(BIN)/python -m pip --quiet --quiet --disable-pip-version-check
# uv installs the same pins as pip in a few seconds where pip takes half a minute (most of a
# fresh clone's install time before the suite starts). pip installs uv itself, at this
# version; where uv cannot be had, pip does the install. Unlike pip, uv compiles no bytecode
# unless asked: where PYTHONDONTWRITEBYTECODE is set (as on CI's machines), every new process
# then compiled SQLAlchemy and the rest from source again, about a second each, and the suite
# starts dozens (its workers, every `okr-bot` a test runs): 50 s of `make test`.
UV_VERSION := 0.13.9
INSTALL = if [ -x $(BIN)/uv ]; then \
            $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python $(1); \
          else $(PIP) install $(1); fi
# One stamp per set: `make run` installs only what serving needs, `make test` adds the dev tools
# (and stamps both, so `make run` after it installs nothing).
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
DEPENDS := pyproject.toml constraints.txt

.PHONY: install run test lint migrate fake-slack clean constraints

# The README's try-it path starts `make fake-slack` and `make run` in two terminals, often
# while the first is still installing: each install step waits for a lock (a directory, which
# mkdir makes atomically on every system) and skips what the other one finished meanwhile.
LOCK := $(VENV).lock
LOCKED = until mkdir $(LOCK) 2>/dev/null; do sleep 1; done; trap 'rmdir $(LOCK)' EXIT;
FRESH = [ -f $@ ] && [ $@ -nt pyproject.toml ] && [ $@ -nt constraints.txt ]
# okr-bot's own modules compiled ahead for the same reason (only what changed since the last
# time: a fraction of a second). -q still shows a file that does not compile.
COMPILE = $(BIN)/python -m compileall -q -j 0 $(1)

$(BIN)/python:
	@$(LOCKED) [ -x $(BIN)/pip ] || { $(PYTHON) -m venv $(VENV) && \
	  { $(PIP) install uv==$(UV_VERSION) || echo "uv could not be installed: pip installs instead"; }; }

$(RUN_STAMP): $(DEPENDS) | $(BIN)/python
	@$(LOCKED) $(FRESH) || { $(call INSTALL,-c constraints.txt -e .) && touch $@; }

$(DEV_STAMP): $(DEPENDS) | $(BIN)/python
	@$(LOCKED) $(FRESH) || { $(call INSTALL,-c constraints.txt -e ".[dev]") && touch $@ $(RUN_STAMP); }

install: $(DEV_STAMP)

## Serve Slack with the settings in the environment or .env: migrates the database first (as
## its own step, under a lock on PostgreSQL), then one process serves Slack and runs the worker.
run: $(RUN_STAMP)
	@$(call COMPILE,bot)
	$(BIN)/okr-bot migrate
	$(BIN)/okr-bot serve

## Lint and run the whole suite (SQLite and a throwaway PostgreSQL server).
test: $(DEV_STAMP)
	$(BIN)/ruff check .
	@$(call COMPILE,bot tests bench)
	$(BIN)/pytest -n 3 --dist worksteal

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

migrate: $(RUN_STAMP)
	$(BIN)/okr-bot migrate

## A fake Slack Web API on 127.0.0.1:8900, for trying `make run` without a workspace.
fake-slack: $(RUN_STAMP)
	$(BIN)/python -m tests.fakes.slack_api --port 8900

## Re-pin constraints.txt to the newest versions pyproject.toml allows, resolved in a throwaway
## venv so that nothing already installed in .venv leaks in.
constraints:
	rm -rf .constraints-venv
	$(PYTHON) -m venv .constraints-venv
	.constraints-venv/bin/python -m pip --quiet --quiet --disable-pip-version-check install ".[dev]"
	{ echo "# Exact versions for make run, make test and the Dockerfile; rebuilt by make constraints."; \
	  .constraints-venv/bin/python -m pip --disable-pip-version-check freeze --exclude okr-bot; } > constraints.txt
	rm -rf .constraints-venv

clean:
	rm -rf $(VENV) $(LOCK) .constraints-venv .pytest_cache .ruff_cache .hypothesis *.egg-info

## Time /okr status and /okr tree against a no-op command on a generated workspace, on SQLite
## and a throwaway PostgreSQL server; then the same under load: 10 updates and 10 status a second
## (3 runs of 60 s), and 200 concurrent updates against 200 concurrent helps. BENCH_LOAD passes
## flags to the load part, e.g. BENCH_LOAD="--scale 10 --duration 20" (see docs/performance.md).
BENCH_LOAD ?=
.PHONY: bench
bench: $(DEV_STAMP)
	$(BIN)/python -m bench.commands --backend both
	$(BIN)/python -m bench.load --backend both $(BENCH_LOAD)
