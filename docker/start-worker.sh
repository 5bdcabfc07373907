#!/bin/sh
# The worker container's command: one Celery worker on the default queue. Its healthcheck
# pings this node (celery@$HOSTNAME) through the broker: docker/healthcheck-worker.sh.
set -eu
cd "$(dirname "$0")/.."
exec "${CELERY:-celery}" -A helpdesk worker --loglevel=info --hostname "celery@${HOSTNAME:-$(hostname)}"
