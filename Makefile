# measurelib — two commands do everything on a fresh machine:
#   make demo   set up, then build a bespoke measure, render its forms, score example
#               responses and write a psychometric report into out/demo/
#   make test   set up, then run the whole test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup system venv demo test test-fast lint typecheck bench clean docs

setup: system venv

# Debian packages the tests need (PDF libraries, Chromium, PostgreSQL, pdftotext).
system:
	@bash scripts/setup-system.sh

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[all,dev]'
	@# an editable install is imported from src/: compile it once, so that start-up does not
	@# compile every module again where PYTHONDONTWRITEBYTECODE is set (docs/performance.md)
	$(PY) -m compileall -q src
	@touch $(STAMP)

demo: setup
	@bash scripts/demo.sh

# the whole check: lint, types, the API reference (warnings are errors), every test
test: setup
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/mypy
	$(PY) scripts/gen_api_docs.py --check
	$(PY) -m sphinx -b html -q -W --keep-going docs build/docs
	$(PY) -m pytest -q -n auto --dist loadfile --durations=30

test-fast: venv
	$(PY) -m pytest -q -n auto --dist loadfile -m "not slow and not browser and not postgres"

lint: venv
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/mypy

# regenerate the generated pages (format reference, errors, catalog, API) and build the HTML
docs: venv
	$(PY) scripts/gen_docs.py
	$(PY) scripts/gen_catalog_doc.py
	$(PY) scripts/gen_api_docs.py
	$(PY) -m sphinx -b html -q -W --keep-going docs build/docs
	@echo "documentation: build/docs/index.html"

bench: venv
	$(PY) -m compileall -q src
	$(PY) -m benchmarks

clean:
	rm -rf out dist build .pytest_cache .mypy_cache .ruff_cache
