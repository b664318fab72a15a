# The two commands: `make run` and `make test`. CI calls these same targets (.ci/run).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export DEBUG ?= 1

.PHONY: run test setup setup-dev messages migrate seed lint format clean vendor

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.run-installed $@

setup: $(VENV)/.run-installed messages
setup-dev: $(VENV)/.dev-installed messages

messages: $(VENV)/.run-installed
	@$(BIN)/python scripts/compile_messages.py

migrate: setup
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py load_regions
	$(BIN)/python manage.py seed_demo --history 3000

run: seed
	./scripts/run_embedded.sh

test: setup-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: setup-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var staticfiles

# Leaflet and its clustering plugin, from npm, copied into static/vendor/ (committed: the portal
# runs without npm). Needs npm; only to upgrade them.
vendor:
	$(PYTHON) scripts/vendor_static.py
