"""The settings `bench` runs its gunicorn worker and its Celery worker with: production's
(helpdesk/settings/production.py, what the image runs), everything read from the environment
the bench passes (a loopback site URL and host, the database under test, a broker of its
own), with three differences, all outside what a request does:

- static files: the plain storage instead of whitenoise's compressed manifest, which needs a
  `collectstatic` of ~50 s first (the pages only render `{% static %}` URLs; the bench fetches
  no static file);
- the filesystem broker (the bench's own folder) is polled every 0.1 s rather than every
  second, so that each sweep task starts at once;
- MD5 password hashes are accepted besides production's, so that the demo users of a test
  database (helpdesk.settings.test stores MD5) can log in over HTTP in the CI smoke run.
"""

from typing import Any

from helpdesk.settings.production import *  # noqa: F401,F403
from helpdesk.settings.production import CELERY_BROKER_URL, STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

if CELERY_BROKER_URL.startswith("filesystem://"):
    from helpdesk.settings import production

    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {  # type: ignore[no-redef]
        **production.CELERY_BROKER_TRANSPORT_OPTIONS,
        "polling_interval": 0.1,
    }

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]
