# The two commands a newcomer needs: `make run` and `make test`.
# Both bootstrap .venv on first use, so a fresh machine needs only python3 (>= 3.11) and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/.installed: pyproject.toml clients/python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first: the convert extra (its exactness tests run in `make test`)
	# would otherwise pull the default multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test,lint,convert]' -e ./clients/python
	touch $@

.PHONY: install run test lint
install: $(BIN)/.installed

# Embedded defaults: SQLite + object store under ./ulak-data (made absolute here), in-process
# worker. An `ulak` command run from another folder uses that folder's ./ulak-data unless it
# gets the same ULAK_DATA_DIR; every command prints the data dir it uses on stderr.
ULAK_DATA_DIR ?= $(CURDIR)/ulak-data
run: install
	ULAK_DATA_DIR="$(abspath $(ULAK_DATA_DIR))" $(BIN)/ulak db upgrade
	ULAK_DATA_DIR="$(abspath $(ULAK_DATA_DIR))" $(BIN)/ulak serve $(SERVE_ARGS)

# One pytest worker per CPU, at most 4 (pytest-xdist), a test file per worker at a time so
# that a file's module-scoped servers start once. PYTEST_WORKERS=0 runs in this process.
PYTEST_WORKERS ?= logical --maxprocesses 4
test: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# ruff (lint + format) and mypy, configured in pyproject.toml; .ci/run runs it before the tests.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
