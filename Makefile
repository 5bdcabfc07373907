# Two commands set everything up on a fresh machine with Python 3.11+ and make:
#   make run   — venv, locked deps, migrate (embedded SQLite unless DATABASE_URL), demo data, serve :8000
#   make test  — the same set-up, then the whole test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install install-dev migrate seed messages check clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.lock | $(PY)
	$(PIP) install --quiet -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock requirements.lock | $(PY)
	$(PIP) install --quiet -r requirements-dev.lock
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# Without CELERY_BROKER_URL, one command runs the whole system: the web server plus a Celery
# worker with embedded beat on kombu's filesystem broker (no server). With a broker URL set,
# run workers and beat separately (see docker-compose.yml).
run: seed
	$(PY) manage.py collectstatic --noinput -v0
	@if [ -z "$$CELERY_BROKER_URL" ]; then \
	  mkdir -p .celery; \
	  $(VENV)/bin/celery -A helpdesk worker -B --pool=solo --loglevel=info \
	    --schedule=.celery/beat-schedule > .celery/worker.log 2>&1 & \
	  worker=$$!; echo "Celery worker + beat started (log: .celery/worker.log)"; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	fi; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install-dev
	$(PY) manage.py makemigrations --check --dry-run --settings=helpdesk.settings.test
	$(VENV)/bin/ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

# Re-extract and compile translations (needs GNU gettext); the compiled .mo files are committed.
messages: install
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=tests --no-obsolete
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

check: install-dev
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
