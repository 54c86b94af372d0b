# Set-up and the main jobs. Every target creates .venv if needed.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q --disable-pip-version-check -c .ci/constraints.txt
PYTEST_WORKERS ?= 2

.PHONY: install dev demo lint test test-min test-threads dist-check clean docs docs-test mutation

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml .ci/constraints.txt | $(VENV)/bin/python
	@echo "Installing the environment into $(VENV) (first run only, a few minutes)..."
	$(PIP) -e ".[plot]"
	touch $@

$(VENV)/.installed-dev: pyproject.toml .ci/constraints.txt | $(VENV)/bin/python
	@echo "Installing the development environment into $(VENV) (first run only, a few minutes)..."
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

## make test-min: the unit tests, scikit-learn's estimator checks and the safetensors round trip of an unfitted
## estimator against the lowest supported versions (.ci/constraints-min.txt; torch is 2.13.0 there too, the only
## build installable here), in their own environment $(VENV_MIN).
VENV_MIN ?= .venv-min
$(VENV_MIN)/.installed: pyproject.toml .ci/constraints-min.txt
	@echo "Installing the minimum-versions environment into $(VENV_MIN) (a few minutes)..."
	rm -rf $(VENV_MIN)
	$(PYTHON) -m venv $(VENV_MIN)
	$(VENV_MIN)/bin/python -m pip install -q --disable-pip-version-check -c .ci/constraints-min.txt \
		-e . pandas polars pytest pytest-xdist hypothesis
	touch $@

test-min: $(VENV_MIN)/.installed
	$(VENV_MIN)/bin/python -m pip list --disable-pip-version-check 2>/dev/null \
		| grep -iE '^(numpy|scipy|scikit-learn|skorch|torch|safetensors|pandas|polars) '
	$(VENV_MIN)/bin/python -m pytest -n $(PYTEST_WORKERS) -q tests/unit tests/test_common.py \
		tests/test_io.py::test_unfitted_estimator_saves_its_parameters

## make test-threads: the unit tests, the estimator checks, the reproducibility tests and the tests that compare
## with a reference within a tolerance (golden outputs, PCA, the likelihoods) under a second CPU configuration:
## one thread per process, numpy's OpenBLAS forced to its Sandybridge kernels (no FMA) and torch's kernels to
## their unvectorised build, so that the last bits differ from `make test`'s: the results must not depend on them.
test-threads: dev
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=Sandybridge \
		ATEN_CPU_CAPABILITY=default SCIPY_ARRAY_API=1 \
		$(PY) -m pytest -n $(PYTEST_WORKERS) -q tests/unit tests/test_common.py tests/test_reproducibility.py \
		tests/test_golden.py tests/test_pca_equivalence.py tests/test_fit_check.py tests/test_vae_likelihood.py

## make dist-check: build the sdist and the wheel, check their contents (the sdist carries the tests, the wheel
## py.typed), install the wheel into a fresh environment under /tmp and run the README's quick start there.
$(VENV)/.installed-build: pyproject.toml .ci/constraints.txt | $(VENV)/bin/python
	$(PIP) build setuptools
	touch $@

dist-check: $(VENV)/.installed-build
	bash .ci/dist-check.sh $(PY) $(PYTHON)

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
	rm -rf $(VENV) $(VENV_MIN) mutants demo_output docs/_build docs/auto_examples docs/gen_modules
