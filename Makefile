# Annuaire des solidarités du Cantal — the two commands: `make run`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app directory
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run serve test bench lint chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@ $(VENV)/.installed-test $(VENV)/.installed

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installation de Chromium (paquet Debian)…"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	  || { echo "Impossible d'installer chromium : les tests navigateur ne peuvent pas tourner." >&2; exit 1; }; }

## run: development server on http://127.0.0.1:5000 (builds the database on first run)
run: $(VENV)/.installed
	$(FLASK) init-db
	$(FLASK) run --host $(HOST) --port $(PORT)

## serve: production server (gunicorn)
serve: $(VENV)/.installed
	$(FLASK) init-db
	$(BIN)/gunicorn --workers 2 --threads 4 --bind $(HOST):$(PORT) 'directory:create_app()'

## test: the whole suite (unit, HTTP, CLI, browser)
test: $(VENV)/.installed-test chromium
	$(BIN)/python -m pytest -q

## bench: import, search, map, then 1 000 000 services (SPEC §10, issue 12); e.g. BENCH_ARGS="--only scale --scale-rows 20000"
bench: $(VENV)/.installed-bench chromium
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check directory tests bench
