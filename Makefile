# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format check assets migrate demo bench clean

run: $(VENV)/.run-deps assets migrate demo
	$(MANAGE) runserver $(HOST):$(PORT)

# One worker a core (pytest-xdist). Tests are handed out in the order pytest-django sorts them,
# so each worker runs the tests that empty the database (transactional ones) after the others.
test: $(VENV)/.dev-deps assets
	$(PY) -m pytest -n auto

lint: $(VENV)/.dev-deps
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.dev-deps
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

check: lint
	$(MANAGE) makemigrations --check --dry-run

migrate: $(VENV)/.run-deps
	$(MANAGE) migrate --no-input

demo: $(VENV)/.run-deps
	$(MANAGE) seed_demo

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.dev-deps: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(VENV)/.run-deps $@

# GOV.UK Frontend and MOJ Frontend from npm, copied into static/build (ignored by git).
assets: static/build/.built

static/build/.built: package.json package-lock.json scripts/build-assets.sh $(wildcard static/src/*)
	npm ci --no-audit --no-fund --loglevel=error
	sh scripts/build-assets.sh
	@touch $@

clean:
	rm -rf $(VENV) node_modules static/build staticfiles db.sqlite3

# Ten times the real scale on the local PostgreSQL server: figures into docs/benchmarks.md.
bench: $(VENV)/.dev-deps assets
	$(PY) scripts/bench.py

# Five minutes of mixed traffic, then PostgreSQL restarted under it (a private cluster, never
# the shared server): figures into docs/reliability.md. Not part of CI.
.PHONY: soak
soak: $(VENV)/.dev-deps assets
	$(PY) scripts/soak.py
