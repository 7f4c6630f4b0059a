# Pregonero — the two commands: `make run` and `make test`.
SHELL := /bin/sh
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# `make run` is in training mode: the social networks are the local practice
# server on this port (TRAINING=0 to use the real networks' settings instead).
TRAINING ?= 1
SANDBOX_PORT ?= 8001
# Test workers for pytest-xdist ("auto" = one per CPU).
TEST_WORKERS ?= auto

.PHONY: run test lint typecheck test-sqlite test-postgres bench bench-publishing bench-analytics bench-imports bench-checks bench-inbox install clean messages

$(VENV)/.installed: pyproject.toml
	@if [ ! -x $(PY) ]; then \
		python=$$(bin/find-python) || exit 1; \
		echo "Creando $(VENV) con $$python"; \
		"$$python" -m venv $(VENV) || exit 1; \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

install: $(VENV)/.installed

## make run: set everything up and start web + worker + scheduler on SQLite with the CVP demo.
run: install
	@if [ "$(TRAINING)" = "1" ]; then \
		PREGONERO_SANDBOX_URL=$${PREGONERO_SANDBOX_URL:-http://127.0.0.1:$(SANDBOX_PORT)} \
		PREGONERO_SANDBOX_STREAM=$${PREGONERO_SANDBOX_STREAM-rate=0.02} \
		$(VENV)/bin/pregonero serve --port $(PORT); \
	else \
		$(VENV)/bin/pregonero serve --port $(PORT); \
	fi

## make test: lint, type check, and the suite on SQLite (and PostgreSQL when PREGONERO_TEST_POSTGRES is set).
test: install lint typecheck test-sqlite test-postgres

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run >/dev/null || \
		{ echo "Faltan migraciones: ejecute manage.py makemigrations"; exit 1; }

typecheck: install
	$(VENV)/bin/mypy pregonero

test-sqlite: install
	PREGONERO_TESTING=1 DATABASE_URL= $(VENV)/bin/pytest -n $(TEST_WORKERS) -q $(PYTEST_ARGS)

test-postgres: install
	@if [ -n "$$PREGONERO_TEST_POSTGRES" ]; then \
		echo "== PostgreSQL: $$PREGONERO_TEST_POSTGRES"; \
		PREGONERO_TESTING=1 DATABASE_URL="$$PREGONERO_TEST_POSTGRES" \
			$(VENV)/bin/pytest -n $(TEST_WORKERS) -q $(PYTEST_ARGS) || exit 1; \
	else \
		echo "== PostgreSQL: omitido (defina PREGONERO_TEST_POSTGRES=postgres://usuario@host:5432/base)"; \
	fi

## make bench: the benchmarks in benchmarks/ (medians and ratios).
bench: install
	$(PY) benchmarks/run.py $(BENCH_ARGS)

## make bench-publishing: precision, chaos, throughput and memory of publishing (PostgreSQL, ~20 min).
bench-publishing: install
	$(PY) benchmarks/publishing.py $(BENCH_ARGS)

## make bench-analytics: the Estadísticas dashboard and the monthly report, 3 years × 12 channels.
bench-analytics: install
	$(PY) benchmarks/analytics.py $(BENCH_ARGS)

## make bench-imports: importing a 200,000-row export, and hostile files refused.
bench-imports: install
	$(PY) benchmarks/imports.py $(BENCH_ARGS)

## make bench-inbox: the Bandeja in a crisis (50,000 items in an hour) and with 2 million items (PostgreSQL).
bench-inbox: install
	$(PY) benchmarks/inbox.py $(BENCH_ARGS)

## make bench-checks: the Spanish text checker on a 2,000-word note and a 280-character post.
bench-checks: install
	$(PY) benchmarks/checks.py $(BENCH_ARGS)

messages: install
	cd pregonero && ../$(PY) ../manage.py makemessages -l es --no-obsolete && ../$(PY) ../manage.py compilemessages

clean:
	rm -rf $(VENV) var/static
