# Two commands do all the set-up on a fresh machine (Python >= 3.11 and pip only):
#   make demo   - create .venv, install, load the sample park and run the demo
#   make test   - create .venv, install with test extras, run the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: demo test venv bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

venv: $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"

demo: venv
	$(BIN)/standardland demo

# pytest exits 5 when it collected no tests; that must fail, and it does (any non-zero exit fails make).
test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: venv
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build dist *.egg-info
