# The front door. Every target bootstraps .venv from the lock files in requirements/ when it is
# missing or when pyproject.toml or a lock file changed: `render` and `check` install only the
# runtime dependencies, the targets that test or lint add the dev tools (a second stamp).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --quiet --disable-pip-version-check
RUNTIME_STAMP := $(VENV)/.gigrouter-runtime
DEV_STAMP     := $(VENV)/.gigrouter-dev
# Wheels of the pinned versions (and of the build backend), kept between clones: installing
# offline from them skips the index, whose pages pip parses slowly, and does not depend on how
# long pip's own HTTP cache keeps a download. Filled from the index the first time it lacks one.
WHEELS ?= $(HOME)/.cache/gigrouter/wheels
BUILD_REQUIRES := 'setuptools>=69' wheel

.PHONY: render test check lint format lock bench bench-quick schema clean mutants fuzz

# $(call install,LOCK,MORE): install LOCK (and MORE) offline from $(WHEELS); when a wheel is
# missing there, download the lock's wheels into it first. --no-compile: byte-compiling every
# installed module costs more than compiling, on first import, the few that a command uses.
define install
	@$(PIP) install --no-index --find-links $(WHEELS) --no-compile -r $(1) $(2) 2>/dev/null || { \
	  echo "filling $(WHEELS) from the package index"; \
	  $(PIP) download --dest $(WHEELS) -r $(1) $(BUILD_REQUIRES) && \
	  $(PIP) install --no-index --find-links $(WHEELS) --no-compile -r $(1) $(2); }
endef

# The venv gets pip from the pip wheel that ships with $(PYTHON), not byte-compiled and without
# setuptools: plain `python -m venv` compiles both, a third of a bootstrap. Plain venv when that
# wheel is not where CPython keeps it (Debian's python3-venv keeps it elsewhere).
PIP_WHEEL = $(shell $(PYTHON) -c 'import ensurepip, glob, os; print(*glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl"))[-1:])' 2>/dev/null)

$(BIN)/python:
	$(if $(PIP_WHEEL),$(PYTHON) -m venv --without-pip $(VENV) && \
	  $(BIN)/python $(PIP_WHEEL)/pip install --quiet --no-index --no-compile $(PIP_WHEEL),\
	  $(PYTHON) -m venv $(VENV))

$(RUNTIME_STAMP): pyproject.toml requirements/runtime.txt | $(BIN)/python
	$(call install,requirements/runtime.txt,-e .)
	@touch $@

$(DEV_STAMP): $(RUNTIME_STAMP) requirements/dev.txt
	$(call install,requirements/dev.txt)
	@touch $@

# The example platforms, each rendered into its own golden tree examples/<name>/out/.
EXAMPLES := $(sort $(wildcard examples/*/platform.yaml))

render: $(RUNTIME_STAMP)  ## render config/platform.yaml into out/ and each example into its out/
	$(BIN)/gigrouter render
	@for c in $(EXAMPLES); do $(BIN)/gigrouter render --config $$c --out $$(dirname $$c)/out || exit 1; done

# Branch coverage of the suite and of the `gigrouter` subprocesses it starts
# ([tool.coverage.run] patch = ["subprocess"]), one data file per process, combined into .coverage;
# fails when pytest fails or coverage is under [tool.coverage.report] fail_under.
test: $(DEV_STAMP)  ## the whole suite, with the coverage floor
	@$(BIN)/coverage erase
	@status=0; $(BIN)/coverage run -m pytest || status=$$?; \
	$(BIN)/coverage combine --quiet; \
	$(BIN)/coverage report || [ $$status -ne 0 ] || status=2; \
	exit $$status

check: $(RUNTIME_STAMP)  ## fail when out/ or an example's out/ is not a fresh render
	$(BIN)/gigrouter render --check
	@for c in $(EXAMPLES); do $(BIN)/gigrouter render --check --config $$c --out $$(dirname $$c)/out || exit 1; done

schema: $(RUNTIME_STAMP)  ## refresh config/platform.schema.json and config/environment.schema.json
	$(BIN)/gigrouter schema > config/platform.schema.json
	$(BIN)/gigrouter schema --environment > config/environment.schema.json

lint: $(DEV_STAMP)  ## ruff (lint + format check) and mypy strict
	$(BIN)/ruff check gigrouter tests
	$(BIN)/ruff format --check gigrouter tests
	$(BIN)/mypy

format: $(DEV_STAMP)
	$(BIN)/ruff format gigrouter tests
	$(BIN)/ruff check --fix gigrouter tests

# No stamp: after changing pyproject.toml, install the new versions into .venv, then lock them.
lock:  ## rewrite requirements/*.txt from what .venv has installed
	$(BIN)/python requirements/freeze.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
	rm -f .coverage .coverage.*

bench: $(DEV_STAMP)  ## benchmark against baselines measured in the same run
	$(BIN)/python bench/bench.py

bench-quick: $(DEV_STAMP)  ## one run of each measurement: checks the benchmark works
	$(BIN)/python bench/bench.py --quick --json bench/results/bench-quick.json

mutants: $(DEV_STAMP)  ## prove the tests notice every validate rule and config check switched off
	$(BIN)/python tests/mutants.py

# Coverage-guided fuzzing (atheris) of the tree, config and CRD loaders for FUZZ_SECONDS in all
# (default 60); every crash becomes a case of tests/hostile/corpus/ and the target fails.
FUZZ_STAMP := $(VENV)/.gigrouter-fuzz

$(FUZZ_STAMP): $(DEV_STAMP) requirements/fuzz.txt
	$(call install,requirements/fuzz.txt)
	@touch $@

fuzz: $(FUZZ_STAMP)  ## fuzz the loaders of untrusted input; crashes land in tests/hostile/corpus
	FUZZ_SECONDS=$${FUZZ_SECONDS:-60} $(BIN)/python tests/hostile/fuzz.py
