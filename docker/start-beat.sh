#!/bin/sh
# The beat container's command (exactly one beat: the schedule would run twice otherwise).
# The schedule state goes to /tmp: the application files are read-only for the app user.
set -eu
cd "$(dirname "$0")/.."
exec "${CELERY:-celery}" -A helpdesk beat --loglevel=info --schedule "${CELERY_BEAT_SCHEDULE_FILE:-/tmp/celerybeat-schedule}"
