# The two commands a newcomer needs: `make run` and `make test`.
# Both bootstrap .venv on first use, so a fresh machine needs only python3 (>= 3.11).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

.PHONY: install run test
install: $(BIN)/.installed

run: install
	$(BIN)/ulak serve

test: install
	$(BIN)/pytest $(PYTEST_ARGS)
