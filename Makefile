# Two commands do all the set-up on a fresh machine (Python >= 3.11 and pip only):
#   make demo   - create .venv, install, load the sample park and run the demo
#   make test   - create .venv, install with test extras, lint, run the whole suite
#   make lint   - ruff (E,F,W,B,D1) over the repository and mypy over the pure core
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: demo test lint venv bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

venv: $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"

demo: venv
	$(BIN)/standardland demo $(if $(PORT),--port $(PORT))

# ruff and mypy take their settings from pyproject.toml ([tool.ruff], [tool.mypy]).
lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy

# Lint first, then the suite, in parallel: one pytest-xdist worker per CPU, each test file kept on one
# worker (its module-scoped servers start once); `make test PYTEST_XDIST=` runs it in one process.
# pytest exits 5 when it collected no tests; that must fail, and it does (any non-zero exit fails make).
PYTEST_XDIST ?= -n auto --dist loadfile
test: lint
	$(BIN)/python -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

bench: venv
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build dist *.egg-info
