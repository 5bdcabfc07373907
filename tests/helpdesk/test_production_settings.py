"""Production settings read from the environment: the shared cache (the API token throttle
counts there, not per process), ADMINS/SERVER_EMAIL, e-mail, and the worker's logging."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.core.cache import cache

from helpdesk.drf import TokenRateThrottle

ROOT = Path(__file__).resolve().parents[2]

SHOW = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({'cache': s.CACHES['default'], 'admins': s.ADMINS, 'server_email': s.SERVER_EMAIL, "
    "'email_backend': s.EMAIL_BACKEND, 'email_host': getattr(s, 'EMAIL_HOST', None), "
    "'hijack': s.CELERY_WORKER_HIJACK_ROOT_LOGGER, 'site': s.HELPDESK_SITE_URL, "
    "'fallbacks': s.SECRET_KEY_FALLBACKS, "
    "'db_options': s.DATABASES['default'].get('OPTIONS', {}).get('options', '')}))"
)


def _production_settings(**env) -> dict:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "HELPDESK_", "CELERY_", "CACHE_URL", "SENTRY_"))
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SHOW],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings.production",
            "DJANGO_SECRET_KEY": "x" * 60,
            "DJANGO_ALLOWED_HOSTS": "helpdesk.example.com",
            "DATABASE_URL": "sqlite:////tmp/hd15a-settings-unused.sqlite3",
            "HELPDESK_SITE_URL": "https://helpdesk.example.com",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_throttle_counts_in_the_default_cache():
    assert TokenRateThrottle.cache is cache


def test_the_cache_is_the_brokers_redis_unless_cache_url_says_otherwise():
    shown = _production_settings(CELERY_BROKER_URL="redis://redis:6379/0")
    assert shown["cache"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert shown["cache"]["LOCATION"] == "redis://redis:6379/0"
    assert shown["cache"]["OPTIONS"] == {"socket_connect_timeout": 2, "socket_timeout": 2}  # fail fast
    shown = _production_settings(CELERY_BROKER_URL="redis://redis:6379/0", CACHE_URL="redis://cache:6379/1")
    assert shown["cache"]["LOCATION"] == "redis://cache:6379/1"


def test_admins_server_email_and_smtp_come_from_the_environment():
    shown = _production_settings(
        DJANGO_ADMINS="Ops Team <ops@example.com>, lee@example.com",
        DJANGO_SERVER_EMAIL="errors@example.com",
        DJANGO_EMAIL_URL="smtp+tls://mailer:pw@smtp.example.com:587",
    )
    assert shown["admins"] == [["Ops Team", "ops@example.com"], ["lee@example.com", "lee@example.com"]]
    assert shown["server_email"] == "errors@example.com"
    assert shown["email_backend"] == "django.core.mail.backends.smtp.EmailBackend"
    assert shown["email_host"] == "smtp.example.com"


def test_without_admins_nobody_is_mailed_and_the_worker_keeps_our_logging():
    shown = _production_settings(DJANGO_ADMINS="")
    assert shown["admins"] == []
    assert shown["hijack"] is False


def test_old_secret_keys_are_kept_as_fallbacks_when_rotating():
    assert _production_settings()["fallbacks"] == []
    shown = _production_settings(DJANGO_SECRET_KEY_FALLBACKS="old-" + "o" * 50 + ",older-" + "p" * 50)
    assert shown["fallbacks"] == ["old-" + "o" * 50, "older-" + "p" * 50]
