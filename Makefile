# Set-up and the main jobs. Every target creates .venv if needed.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q --disable-pip-version-check -c .ci/constraints.txt
PYTEST_WORKERS ?= 2

.PHONY: install dev demo test bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml .ci/constraints.txt | $(VENV)/bin/python
	$(PIP) -e ".[plot]"
	touch $@

$(VENV)/.installed-dev: pyproject.toml .ci/constraints.txt | $(VENV)/bin/python
	$(PIP) -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

dev: $(VENV)/.installed-dev

## make demo: AutoencoderTransformer against PCA on scikit-learn's digits.
demo: install
	$(PY) benchmarks/demo.py --out demo_output

## make test: the whole test suite, doctests included.
test: dev
	$(PY) -m pytest -n $(PYTEST_WORKERS) -q

clean:
	rm -rf $(VENV) demo_output
