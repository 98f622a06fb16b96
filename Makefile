# The two commands: `make demo` and `make test`. Both bootstrap .venv from scratch.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: demo up down test lint typecheck unit system-deps server clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# With `make up` running, the demo uses those services (watch it in the Prefect UI);
# otherwise it starts SeaweedFS for the one command and stops it after.
demo: $(STAMP)
	@if [ -f .data/env ]; then \
		. ./.data/env && $(BIN)/grantreview demo; \
	else \
		$(BIN)/python -m localdev.stack --data .data -- $(BIN)/grantreview demo; \
	fi

# SeaweedFS (S3 on 127.0.0.1:8333) and a Prefect server with its UI (127.0.0.1:4200) that
# stay up, data in .data/, and `grantreview serve --program psp-2017` (the deployments; log
# in .data/serve.log); prints the environment and writes it to .data/env.
up: $(STAMP)
	$(BIN)/python -m localdev.services up --data .data

down: $(STAMP)
	$(BIN)/python -m localdev.services down --data .data

test: $(STAMP) system-deps lint typecheck
	$(BIN)/pytest -q -n 2 --dist loadfile $(PYTEST_ARGS)

system-deps:
	./localdev/system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

server: $(STAMP)
	PREFECT_HOME=$(CURDIR)/.data/prefect-server $(BIN)/prefect server start --host 127.0.0.1

clean:
	rm -rf .data
