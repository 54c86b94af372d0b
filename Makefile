# Set-up and the main jobs. Every target creates .venv if needed.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q --disable-pip-version-check -c .ci/constraints.txt
PYTEST_WORKERS ?= 2

.PHONY: install dev demo lint test clean docs docs-test mutation

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

## make lint: ruff's lint rules and its formatting, and mypy over the package (configuration in pyproject.toml).
lint: dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

## make test: the lint, then the whole test suite, doctests included.
## SCIPY_ARRAY_API=1 lets scikit-learn's array-API checks run instead of skipping.
test: dev lint
	SCIPY_ARRAY_API=1 $(PY) -m pytest -n $(PYTEST_WORKERS) -q

$(VENV)/.installed-mutation: pyproject.toml .ci/constraints.txt | $(VENV)/bin/python
	$(PIP) -e ".[dev,mutation]"
	touch $@ $(VENV)/.installed $(VENV)/.installed-dev

## make mutation: mutation testing of the core modules with mutmut ([tool.mutmut] in pyproject.toml), against the
## fast unit tests, on one core; not part of make test or CI. MUTANTS picks mutants by name pattern, e.g.
## make mutation MUTANTS='sklearn_ae._losses.* sklearn_ae._data.*'. Survivors: mutmut results; one diff:
## mutmut show NAME; then a per-module table. The last report is benchmarks/results_mutation.md.
MUTANTS ?=
MUTATION_JOBS ?= 1
mutation: $(VENV)/.installed-mutation
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(VENV)/bin/mutmut run --max-children $(MUTATION_JOBS) $(foreach m,$(MUTANTS),'$(m)')
	$(VENV)/bin/mutmut results
	$(PY) benchmarks/mutation_table.py

$(VENV)/.installed-docs: pyproject.toml .ci/constraints.txt | $(VENV)/bin/python
	$(PIP) -e ".[docs]"
	touch $@ $(VENV)/.installed

## make docs: build the documentation site into docs/_build/html (runs the gallery; warnings are errors).
docs: $(VENV)/.installed-docs
	$(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

## make docs-test: open the built pages in headless Chromium (apt-get install -y chromium).
docs-test: dev
	$(PY) -m pytest -q tests/test_docs.py

clean:
	rm -rf $(VENV) mutants demo_output docs/_build docs/auto_examples docs/gen_modules
