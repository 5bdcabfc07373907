"""Production: DEBUG off, no secret defaults, HTTPS-only cookies."""

from .base import *  # noqa: F401,F403
from .base import POSTGRES_SESSION_OPTIONS, PRIVATE_STORAGE, env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")  # no default: refuses to start without it
# Rotating the key: the old one(s) here keep sessions and reset links valid (README: Operations).
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # no JIT, no parallel workers (base.py says why)
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} {POSTGRES_SESSION_OPTIONS}".strip()

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- helper 15b: shared private files and security -------------------------------------
STORAGES["private"] = PRIVATE_STORAGE  # archive files: the named volume or the private bucket
# The OpenAPI schema and Swagger UI only for signed-in users.
HELPDESK_API_DOCS_REQUIRE_LOGIN = env.bool("HELPDESK_API_DOCS_REQUIRE_LOGIN", default=True)
# --- end helper 15b ---------------------------------------------------------------------

# --- helper 15a: deployment (site URL, shared cache, logs, error reporting) -------------
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

from .base import CELERY_BROKER_URL  # noqa: E402

# Every link sent out starts with the public address: no default in production.
HELPDESK_SITE_URL = env.str("HELPDESK_SITE_URL")
if not HELPDESK_SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("HELPDESK_SITE_URL must be the site's public address, e.g. https://helpdesk.example.com")

# One cache for every web process (the API token throttle counts there): CACHE_URL, by
# default the broker's Redis when the broker is Redis. Short socket timeouts: a Redis outage
# makes a request fail fast, not hang.
CACHES = {
    "default": env.cache(
        "CACHE_URL", default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "locmemcache://"
    )
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"].setdefault("OPTIONS", {}).update({"socket_connect_timeout": 2, "socket_timeout": 2})

# E-mail: DJANGO_EMAIL_URL=smtp+tls://user:password@smtp.example.com:587 (else the console).
if env.str("DJANGO_EMAIL_URL", default=""):
    vars().update(env.email("DJANGO_EMAIL_URL"))

# Logs: one JSON object per line on stderr (request lines from helpdesk.logs, task lines from
# the Celery signals), phones masked on every handler; 500s e-mailed to ADMINS (POST values
# hidden by DEFAULT_EXCEPTION_REPORTER_FILTER).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask_phones": {"()": "helpdesk.logs.MaskPhonesFilter"},
        "request_id": {"()": "helpdesk.logs.RequestIdFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {"json": {"()": "helpdesk.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id", "mask_phones"],
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "mask_phones"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own handlers are replaced: one line per record, on our console.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console", "mail_admins"], "level": "ERROR", "propagate": False},
        "django.security": {"handlers": ["console", "mail_admins"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "celery": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
# The worker keeps this LOGGING instead of installing its own root handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Error reporting (optional): SENTRY_DSN=https://…@sentry.example.com/2. Personal data is
# scrubbed before anything is sent (helpdesk/sentry.py).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from helpdesk.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        release=env.str("SENTRY_RELEASE", default="") or None,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
# --- end helper 15a ---------------------------------------------------------------------

# --- helper 16b: robustness -------------------------------------------------------------
# Connections live 60 s: each is checked before its first use in a request (a PostgreSQL
# restart costs one reconnect, not a 500).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# --- end helper 16b ---------------------------------------------------------------------
