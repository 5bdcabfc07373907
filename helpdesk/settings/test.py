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
