#!/bin/sh
# The web container's command (docker-compose.yml; CI runs the same script): gunicorn with
# docker/gunicorn.conf.py under the settings in DJANGO_SETTINGS_MODULE (production in the
# image). The static files were collected at build time (docker/build-static.sh).
# GUNICORN_BIND, GUNICORN_WORKERS, GUNICORN_TIMEOUT and GUNICORN (the command) may be set.
set -eu
cd "$(dirname "$0")/.."
exec "${GUNICORN:-gunicorn}" --config docker/gunicorn.conf.py helpdesk.wsgi:application
