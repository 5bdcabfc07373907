# Two commands set everything up on a fresh machine with Python 3.11+ and make:
#   make run   — venv, locked deps, migrate (embedded SQLite unless DATABASE_URL), demo data, serve :8000
#   make test  — the same set-up, then `make lint` and the whole test suite
# Dependencies are declared once, in pyproject.toml; `make lock` compiles the two hashed locks.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The Django apps: what mypy, django-upgrade and the architecture test look at.
APPS   := accounts complaints customers followups notifications complainants helpdesk benchmarks
PY_SOURCES = $(shell find $(APPS) tests manage.py conftest.py -name '*.py' -not -path '*/__pycache__/*')
PIP_COMPILE = $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_ARGS)

.PHONY: run test install install-dev migrate seed messages check clean lock \
	lint lint-ruff lint-format lint-templates lint-upgrade lint-types lint-imports bench

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Both locks pin every package with its hashes; pip checks them (--require-hashes).
$(VENV)/.installed: requirements.lock | $(PY)
	$(PIP) install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock requirements.lock | $(PY)
	$(PIP) install --quiet --require-hashes -r requirements-dev.lock
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# Without CELERY_BROKER_URL, one command runs the whole system: the web server plus a Celery
# worker with embedded beat on kombu's filesystem broker (no server). With a broker URL set,
# run workers and beat separately (see docker-compose.yml). `make run PORT=8080` serves another
# port; the links in notices follow it unless HELPDESK_SITE_URL is set.
run: seed
	$(PY) manage.py collectstatic --noinput -v0
	@export HELPDESK_SITE_URL="$${HELPDESK_SITE_URL:-http://$(HOST):$(PORT)}"; \
	if [ -z "$$CELERY_BROKER_URL" ]; then \
	  mkdir -p .celery; \
	  $(VENV)/bin/celery -A helpdesk worker -B --pool=solo --loglevel=info \
	    --schedule=.celery/beat-schedule > .celery/worker.log 2>&1 & \
	  worker=$$!; echo "Celery worker + beat started (log: .celery/worker.log)"; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	fi; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: lint
	$(PY) manage.py makemigrations --check --dry-run --settings=helpdesk.settings.test
	$(PY) -m pytest $(PYTEST_ARGS)

# Every check of .pre-commit-config.yaml, none of which changes a file (`make -k lint` runs
# them all and reports each failure). Fix with `ruff check --fix .`, `ruff format .`,
# `django-upgrade --target-version 5.2 <files>` or `pre-commit run --all-files`.
lint: lint-ruff lint-format lint-templates lint-upgrade lint-types lint-imports

lint-ruff: install-dev
	$(VENV)/bin/ruff check .

# Lists the files only; `.venv/bin/ruff format --diff .` shows the changes.
lint-format: install-dev
	$(VENV)/bin/ruff format --check --output-format concise .

lint-templates: install-dev
	$(VENV)/bin/djlint templates --lint

lint-upgrade: install-dev
	@echo "django-upgrade --target-version 5.2 --check <$(words $(PY_SOURCES)) files>"
	@$(VENV)/bin/django-upgrade --target-version 5.2 --check $(PY_SOURCES)

lint-types: install-dev
	$(VENV)/bin/mypy

# No import cycles between the apps (tests/test_architecture.py; also part of the suite).
lint-imports: install-dev
	$(PY) -m pytest -q -p no:cacheprovider tests/test_architecture.py

# Re-compile the locks from pyproject.toml after changing a dependency there (pip-tools, from
# `make install-dev`). Existing pins are kept; `make lock LOCK_ARGS=--upgrade` upgrades all,
# `LOCK_ARGS="--upgrade-package django"` one. The dev lock is constrained to the runtime pins.
lock: install-dev
	$(PIP_COMPILE) -o requirements.lock pyproject.toml
	$(PIP_COMPILE) --extra dev -c requirements.lock -o requirements-dev.lock pyproject.toml

# Issue 17's benchmark (benchmarks/README.md): for each size, a fresh PostgreSQL database
# helpdesk_bench_<size> on BENCH_DATABASE_URL_BASE (dropped first; BENCH_KEEP=1 reuses one that
# is already seeded), migrated and seeded by seed_bench, then `bench`; at the end one table of
# the growth over the sizes. Results in BENCH_OUT (git-ignored). `make bench BENCH_SIZES=10000`
# for one size; BENCH_ARGS="--runs 5 --no-http" is passed to each `bench`.
BENCH_SIZES ?= 10000,100000,1000000
BENCH_DATABASE_URL_BASE ?= postgres://postgres@127.0.0.1:5432
BENCH_OUT ?= bench-results
bench: install
	@set -e; export DJANGO_DEBUG=false; files=""; \
	for size in $$(echo "$(BENCH_SIZES)" | tr ',' ' '); do \
	  db=helpdesk_bench_$$size; export DATABASE_URL="$(BENCH_DATABASE_URL_BASE)/$$db"; \
	  state=$$($(PY) manage.py bench_database $$db --server "$(BENCH_DATABASE_URL_BASE)" \
	    $$([ "$(BENCH_KEEP)" = 1 ] && echo --keep)); \
	  echo "== $$size complaints: $$db ($$state)"; \
	  $(PY) manage.py migrate --noinput -v0; \
	  [ "$$state" = seeded ] || $(PY) manage.py seed_bench --complaints $$size; \
	  $(PY) manage.py bench --label $$size --out "$(BENCH_OUT)" $(BENCH_ARGS); \
	  files="$$files $(BENCH_OUT)/bench-$$size.json"; \
	done; \
	$(PY) manage.py bench_report $$files --out "$(BENCH_OUT)/report.md"

# Re-extract and compile translations (needs GNU gettext); the compiled .mo files are committed.
messages: install
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=tests --no-obsolete
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

check: install-dev
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
