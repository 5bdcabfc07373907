"""Settings for the test suite (DATABASE_URL picks PostgreSQL in CI)."""

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="test-only-not-secret")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TIME_ZONE = "Asia/Shanghai"
LANGUAGE_CODE = "en"
# No broker server needed by the unit tests; CI sets CELERY_BROKER_URL=redis://… and the
# real-worker tests use it.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="memory://")
HELPDESK_WORKING_CALENDAR = False

# --- helper 16b: append-only logs vs the test flush -------------------------------------
# Django's flush (between transactional tests) empties every table with one TRUNCATE, which
# the append-only logs refuse (helpdesk/db.py) unless this session setting is on. Only the
# test settings turn it on; production never does.
if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    _options = DATABASES["default"].setdefault("OPTIONS", {})  # noqa: F405
    _options["options"] = f"{_options.get('options', '')} -c helpdesk.allow_truncate=on".strip()
# Every enqueue tries the broker, inline (mocked in unit tests); tests/robustness turn the
# back-off and the background publishing on.
HELPDESK_BROKER_BACKOFF_SECONDS = 0
HELPDESK_BROKER_PUBLISH_WAIT = 0
# --- end helper 16b ---------------------------------------------------------------------
