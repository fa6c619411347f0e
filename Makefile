# The front door. Every target bootstraps .venv when it is missing or pyproject.toml changed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.gigrouter-installed

.PHONY: render test check lint format bench bench-quick schema clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

render: $(STAMP)  ## render config/platform.yaml into out/
	$(BIN)/gigrouter render

test: $(STAMP)  ## the whole suite
	$(BIN)/python -m pytest

check: $(STAMP)  ## fail when out/ is not a fresh render
	$(BIN)/gigrouter render --check

schema: $(STAMP)  ## refresh config/platform.schema.json
	$(BIN)/gigrouter schema > config/platform.schema.json

lint: $(STAMP)  ## ruff (lint + format check) and mypy strict
	$(BIN)/ruff check gigrouter tests
	$(BIN)/ruff format --check gigrouter tests
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format gigrouter tests
	$(BIN)/ruff check --fix gigrouter tests

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis

bench: $(STAMP)  ## benchmark against baselines measured in the same run
	$(BIN)/python bench/bench.py

bench-quick: $(STAMP)  ## one run of each measurement: checks the benchmark works
	$(BIN)/python bench/bench.py --quick --json bench/results/bench-quick.json
