# Two set-up commands on a fresh machine:  make demo   and   make test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-test bench bench-ssg lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

## make demo: install, then play made-up outlets on loopback and serve the live site on http://127.0.0.1:8000
demo: install
	$(BIN)/newsdesk demo --dir demo-site

## make test: install with test extras, then run the whole test suite
test: install-test
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/python -m mypy
	$(BIN)/python -m pip install --quiet 'ruff>=0.5'
	$(BIN)/python -m ruff check src tests bench

bench: install-test
	$(BIN)/python bench/run.py

## make bench-ssg: newsdesk, Hugo and Jekyll side by side on one corpus (SIZES=1000,10000,100000)
SIZES ?= 1000,10000,100000
bench-ssg: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/compare_ssg.py --sizes $(SIZES)

clean:
	rm -rf $(VENV) demo-site build dist src/*.egg-info .pytest_cache .mypy_cache
