# Two commands set everything up: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= demo
PORT ?= 8000

.PHONY: help venv demo test test-fast lint fmt docs docs-serve clean bench

help:
	@echo "make demo       generate a project with the defaults into ./$(DEMO_DIR) and serve it on 127.0.0.1:$(PORT)"
	@echo "make test       run the whole test suite (lint included)"
	@echo "make test-fast  skip the slow matrix and the real Vercel runs"
	@echo "make lint       ruff check + format check of the template repo"
	@echo "make bench      generated service vs bare FastAPI, side by side; writes docs/performance.md"
	@echo "make docs       build the documentation site into ./site (strict)"

$(BIN)/.installed: requirements-dev.txt
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

demo: venv
	rm -rf $(DEMO_DIR)
	$(BIN)/python scripts/demo.py $(DEMO_DIR) --port $(PORT)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest -n auto

test-fast: venv
	$(BIN)/python -m pytest -n auto -m "not slow"

bench: venv
	$(BIN)/python -m bench --output docs/performance.md

fmt: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

docs: venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

docs-serve: venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .ruff_cache
