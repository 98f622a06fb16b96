# The two commands: `make demo` and `make test`. Both bootstrap .venv from scratch.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: demo test lint typecheck unit system-deps server clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m localdev.stack --data .data -- $(BIN)/grantreview demo

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
