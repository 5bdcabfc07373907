#!/bin/sh
# Build step (Dockerfile; CI runs the same script): collect the static files under the
# production settings, so that the manifest whitenoise's CompressedManifestStaticFilesStorage
# reads at run time is the one written here. Nothing is connected to at build time: the
# values below only let the production settings load. DJANGO_STATIC_ROOT (default
# /app/staticfiles, i.e. BASE_DIR/staticfiles) and PYTHON may be set by the caller.
set -eu
cd "$(dirname "$0")/.."
exec env \
  DJANGO_SETTINGS_MODULE=helpdesk.settings.production \
  DJANGO_SECRET_KEY=build-only-collectstatic-not-a-secret \
  DJANGO_ALLOWED_HOSTS=localhost \
  DATABASE_URL=sqlite:////tmp/helpdesk-build-unused.sqlite3 \
  CELERY_BROKER_URL=memory:// \
  CACHE_URL=locmemcache:// \
  HELPDESK_SITE_URL=https://build.invalid \
  SENTRY_DSN= \
  "${PYTHON:-python}" manage.py collectstatic --noinput --clear -v0
