"""gunicorn settings of the web container (docker/start-web.sh). Environment overrides:
GUNICORN_BIND, GUNICORN_WORKERS, GUNICORN_TIMEOUT."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Heartbeat files in memory, not on the container's overlay filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Request line and headers bounded (gunicorn's defaults, stated); the body is bounded by
# settings.HELPDESK_REQUEST_MAX_BYTES before it is read (helpdesk/limits.py).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# The proxy in front terminates TLS and sets X-Forwarded-Proto (settings.SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "*")
# Django logs one JSON line per request (helpdesk/logs.py): no second access log here.
accesslog = None
errorlog = "-"
