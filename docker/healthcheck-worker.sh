#!/bin/sh
# Worker healthcheck: this node answers a ping through the broker within 5 s.
set -eu
cd "$(dirname "$0")/.."
exec "${CELERY:-celery}" -A helpdesk inspect ping --timeout 5 --destination "celery@${HOSTNAME:-$(hostname)}"
