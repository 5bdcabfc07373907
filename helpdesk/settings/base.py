"""Settings shared by every environment. Everything is read through django-environ."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file beside manage.py is read when present (never required).
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Each environment module sets SECRET_KEY: local/test have a development default,
# production refuses to start without one.
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",  # the built-in widget templates, for FORM_RENDERER below
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "customers",
    "complaints",
    "followups",
    "notifications",
    "complainants",
    "benchmarks",  # seed_bench and bench (issue 17); its one page is the floor
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
# Widgets render through TEMPLATES, so our own widget templates live in templates/ too.
# TemplatesSetting, with Django's plainest widget templates written in Python (issue 17).
FORM_RENDERER = "helpdesk.form_renderer.FastWidgetRenderer"
WSGI_APPLICATION = "helpdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.unread",
                "csp.context_processors.nonce",  # {{ CSP_NONCE }} (helper 15b: Content-Security-Policy)
            ],
        },
    },
]

# Embedded default: SQLite beside manage.py. DATABASE_URL=postgres://… for PostgreSQL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)
# Each PostgreSQL session of the app (issue 17): no JIT — it compiles any query the planner
# costs high (a handler's lane, an overdue list) for 12–15 ms, to save less than that; and no
# parallel workers — starting one takes ~4 ms, for page queries that read a few index pages
# (a search with no match: 0.1 ms of work in 4.7 ms). The reports read the monthly summary.
POSTGRES_SESSION_OPTIONS = "-c jit=off -c max_parallel_workers_per_gather=0"
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} {POSTGRES_SESSION_OPTIONS}".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"  # helpdesk.home: the first page the user may open
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: the UI follows the browser (Accept-Language) with a switcher.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True  # stored in UTC, shown in TIME_ZONE
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The procedure's clock (complaints/deadlines.py). R-C5: a reply no later than 24 h after
# receipt; per-tier windows may be shorter (e.g. "A=4,B=12"), never longer.
HELPDESK_REPLY_WINDOW_HOURS = min(env.float("HELPDESK_REPLY_WINDOW_HOURS", default=24), 24)
HELPDESK_REPLY_WINDOW_HOURS_BY_TIER = {
    tier: min(float(hours), 24.0) for tier, hours in env.dict("HELPDESK_REPLY_WINDOW_HOURS_BY_TIER", default={}).items()
}
HELPDESK_PROGRESS_REPORT_HOURS = env.float("HELPDESK_PROGRESS_REPORT_HOURS", default=24)  # R-T2
HELPDESK_AUTO_CLOSE_DAYS = env.float("HELPDESK_AUTO_CLOSE_DAYS", default=7)  # R-T4
HELPDESK_BACKDATE_DAYS = env.int("HELPDESK_BACKDATE_DAYS", default=14)  # R-C1: letters and field visits logged late
# Count deadlines in working time (hours and holidays edited in the admin); default: calendar time.
HELPDESK_WORKING_CALENDAR = env.bool("HELPDESK_WORKING_CALENDAR", default=False)
HELPDESK_LIST_PAGE_SIZE = env.int("HELPDESK_LIST_PAGE_SIZE", default=25)
# Customer archive documents (R-CU2, R-CU5): stored outside any public folder, served only by
# the permission-checked download view. Size limit in bytes; allowed types by extension (the
# content is checked too).
HELPDESK_PRIVATE_MEDIA_ROOT = env.str("HELPDESK_PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private"))
HELPDESK_UPLOAD_MAX_BYTES = env.int("HELPDESK_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
HELPDESK_UPLOAD_EXTENSIONS = env.list(
    "HELPDESK_UPLOAD_EXTENSIONS", default=["pdf", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx", "txt", "csv"]
)
# Tier visit schedules (R-CU3, R-T5): how far ahead plan_visits plans.
HELPDESK_VISIT_PLAN_DAYS = env.int("HELPDESK_VISIT_PLAN_DAYS", default=90)
# Churn analysis (R-CU7, customers/churn.py): a customer is at risk when any signal is on.
# No transaction in the last N months (a customer without any counts from the day it was
# added); and, within the last WINDOW months: at least REPEAT_COMPLAINTS complaints (merged
# duplicates not counted), an unsatisfied call-back, an average survey score at or below
# LOW_SURVEY_SCORE (1–5), at least MISSED_VISITS visits due and still missed, a drop of tier;
# and a latest credit evaluation of C or D.
HELPDESK_CHURN_NO_TRANSACTION_MONTHS = env.int("HELPDESK_CHURN_NO_TRANSACTION_MONTHS", default=6)
HELPDESK_CHURN_WINDOW_MONTHS = env.int("HELPDESK_CHURN_WINDOW_MONTHS", default=6)
HELPDESK_CHURN_REPEAT_COMPLAINTS = env.int("HELPDESK_CHURN_REPEAT_COMPLAINTS", default=3)
HELPDESK_CHURN_LOW_SURVEY_SCORE = env.float("HELPDESK_CHURN_LOW_SURVEY_SCORE", default=2.5)
HELPDESK_CHURN_MISSED_VISITS = env.int("HELPDESK_CHURN_MISSED_VISITS", default=2)

# Celery: JSON only, bounded tasks, named queue. With no CELERY_BROKER_URL the broker is
# kombu's filesystem transport (no server needed: `make run` starts an embedded worker+beat);
# CELERY_BROKER_URL=redis://… for production, where more workers can be added anywhere.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_QUEUE_DIR = Path(env.str("CELERY_QUEUE_DIR", default=str(BASE_DIR / ".celery")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("queue", "processed", "control"):
        (CELERY_QUEUE_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR / "queue"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "queue"),
        "processed_folder": str(CELERY_QUEUE_DIR / "processed"),
        "control_folder": str(CELERY_QUEUE_DIR / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_DEFAULT_QUEUE = env.str("HELPDESK_CELERY_QUEUE", default="helpdesk")
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must fail fast when the broker is down (the caller's work is already saved and
# the periodic redelivery picks the message up later), not hang a web request.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2)
CELERY_TASK_PUBLISH_RETRY = False

# The beat schedule ships in code (versioned with the rules it runs; no extra database
# tables or admin needed). Every rule is idempotent, so running it often is safe.
HELPDESK_SWEEP_SECONDS = env.int("HELPDESK_SWEEP_SECONDS", default=300)
CELERY_BEAT_SCHEDULE = {
    name: {"task": task, "schedule": float(HELPDESK_SWEEP_SECONDS)}
    for name, task in [
        ("reply-deadlines", "complaints.tasks.enforce_reply_deadlines"),  # R-T1
        ("progress-reports", "complaints.tasks.flag_missing_progress_reports"),  # R-T2
        ("completion-dates", "complaints.tasks.flag_missed_completion_dates"),  # R-T3
        ("auto-close", "complaints.tasks.auto_close_after_declined_callback"),  # R-T4
        ("pending-notification-emails", "notifications.tasks.deliver_pending_emails"),
        ("overdue-phone-messages", "followups.tasks.flag_overdue_messages"),  # R-F6
    ]
}
# R-T5: the tier visit schedule, planned ahead and missed visits flagged, every morning.
CELERY_BEAT_SCHEDULE |= {
    "plan-visits": {"task": "followups.tasks.plan_visits", "schedule": crontab(hour=5, minute=10)},
    "flag-missed-visits": {"task": "followups.tasks.flag_missed_visits", "schedule": crontab(hour=0, minute=20)},
}
# R-C11: on the 1st at 07:00 local time, e-mail the previous month's summary (XLSX) to the
# managers — only when HELPDESK_MONTHLY_SUMMARY_EMAIL is on (the task checks).
CELERY_BEAT_SCHEDULE["monthly-summary"] = {
    "task": "complaints.reports.tasks.send_monthly_summary",
    "schedule": crontab(day_of_month=1, hour=7, minute=0),
}
# the kept monthly figures (issue 17): compact their change log, drop parts long unused
CELERY_BEAT_SCHEDULE["tidy-monthly-summary"] = {
    "task": "complaints.reports.tasks.tidy_monthly_summary",
    "schedule": crontab(minute=17),
}
HELPDESK_MONTHLY_SUMMARY_EMAIL = env.bool("HELPDESK_MONTHLY_SUMMARY_EMAIL", default=False)

# --- the complainant's side (issue 12: R-P1 … R-P4) -------------------------------------
# Public pages (no login): rate limits as "N/period" (s, m, h, d), per client address and per
# contact; the challenge ("off", "on", or "auto": on for an office that received more than
# HELPDESK_PUBLIC_FLOOD_PER_HOUR online complaints in the last hour).
HELPDESK_PUBLIC_SUBMIT_RATE = env.str("HELPDESK_PUBLIC_SUBMIT_RATE", default="5/h")
HELPDESK_PUBLIC_CONTACT_RATE = env.str("HELPDESK_PUBLIC_CONTACT_RATE", default="3/h")
HELPDESK_PUBLIC_PAGE_RATE = env.str("HELPDESK_PUBLIC_PAGE_RATE", default="120/h")
HELPDESK_PUBLIC_BAD_TOKEN_RATE = env.str("HELPDESK_PUBLIC_BAD_TOKEN_RATE", default="20/h")
HELPDESK_PUBLIC_CHALLENGE = env.str("HELPDESK_PUBLIC_CHALLENGE", default="auto")
HELPDESK_PUBLIC_FLOOD_PER_HOUR = env.int("HELPDESK_PUBLIC_FLOOD_PER_HOUR", default=30)
HELPDESK_PUBLIC_PHOTOS = env.int("HELPDESK_PUBLIC_PHOTOS", default=3)  # photos per online complaint or addition
HELPDESK_COMPLAINT_RETENTION_YEARS = env.int("HELPDESK_COMPLAINT_RETENTION_YEARS", default=3)  # the privacy notice
HELPDESK_LINK_SECRET = env.str("HELPDESK_LINK_SECRET", default="")  # keys the private links; SECRET_KEY if empty
# Notices to complainants (R-P4). SMS backends: "console" (log), "file" (HELPDESK_SMS_FILE_PATH),
# "http" (a gateway: URL, credentials and body template as Chinese SMS gateways take them).
HELPDESK_SMS_BACKEND = env.str("HELPDESK_SMS_BACKEND", default="console")
HELPDESK_SMS_FILE_PATH = env.str("HELPDESK_SMS_FILE_PATH", default=str(BASE_DIR / "var" / "sms"))
HELPDESK_SMS_GATEWAY_URL = env.str("HELPDESK_SMS_GATEWAY_URL", default="")
HELPDESK_SMS_GATEWAY_USERNAME = env.str("HELPDESK_SMS_GATEWAY_USERNAME", default="")
HELPDESK_SMS_GATEWAY_PASSWORD = env.str("HELPDESK_SMS_GATEWAY_PASSWORD", default="")
# empty (as compose passes an unset variable) means the default
HELPDESK_SMS_GATEWAY_BODY = (
    env.str("HELPDESK_SMS_GATEWAY_BODY", default="")
    or '{"account": "{username}", "password": "{password}", "mobile": "{to}", "content": "{text}"}'
)
HELPDESK_SMS_GATEWAY_CONTENT_TYPE = env.str("HELPDESK_SMS_GATEWAY_CONTENT_TYPE", default="") or "application/json"
HELPDESK_SMS_GATEWAY_TIMEOUT = env.float("HELPDESK_SMS_GATEWAY_TIMEOUT", default=10)
HELPDESK_SMS_MAX_CHARS = env.int("HELPDESK_SMS_MAX_CHARS", default=70)  # one SMS part (70 for Chinese text)
HELPDESK_SMS_SIGNATURE = env.str("HELPDESK_SMS_SIGNATURE", default="")  # e.g. 【某某物業】; empty: translated default
HELPDESK_SMS_QUIET_HOURS = env.str("HELPDESK_SMS_QUIET_HOURS", default="21:00-08:00")  # local time; empty: none
# Complaints by e-mail (R-C1 online): the office they go to, and the IMAP mailbox beat polls
# (imaps://user:password@host:993/INBOX; empty: no polling — pipe messages to `receive_email`).
HELPDESK_EMAIL_INTAKE_OFFICE = env.str("HELPDESK_EMAIL_INTAKE_OFFICE", default="")
HELPDESK_EMAIL_INTAKE_CATEGORY = env.str("HELPDESK_EMAIL_INTAKE_CATEGORY", default="other")
HELPDESK_IMAP_URL = env.str("HELPDESK_IMAP_URL", default="")
HELPDESK_IMAP_POLL_SECONDS = env.int("HELPDESK_IMAP_POLL_SECONDS", default=60)
CELERY_BEAT_SCHEDULE |= {
    # notices whose task message was lost, or that waited for the end of the SMS quiet hours
    "pending-notices": {"task": "notifications.tasks.deliver_pending_notices", "schedule": 60.0},
    # complaints by e-mail (does nothing while HELPDESK_IMAP_URL is empty)
    "poll-imap": {"task": "complainants.tasks.poll_imap", "schedule": float(HELPDESK_IMAP_POLL_SECONDS)},
}

# REST API (/api/v1/): session auth for the browser, tokens for integrations (managed by
# managers in the admin), token clients rate-limited; one exception handler.
REST_FRAMEWORK = {
    # Token first: a request without credentials gets 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "helpdesk.pagination.ApiPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["helpdesk.drf.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env.str("HELPDESK_API_TOKEN_RATE", default="1000/hour")},
    "EXCEPTION_HANDLER": "helpdesk.drf.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "DESCRIPTION": "Complaints, their lifecycle actions and event log, customers, departments and categories.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # served from static files, no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"ComplaintStatusEnum": "complaints.choices.Status"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "helpdesk.drf.document_error_responses",
    ],
}
# Caches (throttle counters): local memory by default; CACHE_URL=redis://… to share them.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="helpdesk@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}

# --- helper 15a: deployment (site URL, request ids and logs, errors, body limits) -------
# The public address in front of every link sent out (e-mails): helpdesk.urls_tools.
# Production requires it (helpdesk/settings/production.py).
HELPDESK_SITE_URL = env.str("HELPDESK_SITE_URL", default="http://127.0.0.1:8000")
# /health/ answers before host checks and the HTTPS redirect (the probe uses plain HTTP on
# the container's own address); every request gets an id and one log line.
MIDDLEWARE.insert(0, "helpdesk.health.HealthCheckMiddleware")
MIDDLEWARE.insert(1, "helpdesk.logs.RequestLogMiddleware")
MIDDLEWARE.insert(2, "helpdesk.limits.RequestBodyLimitMiddleware")
# Error reports (e-mails to ADMINS) never show POST values: forms carry names and phones.
DEFAULT_EXCEPTION_REPORTER_FILTER = "helpdesk.error_reports.NoPostDataExceptionReporterFilter"
# ADMINS get the 500 error e-mails: DJANGO_ADMINS="Ops <ops@example.com>,Lee <lee@example.com>".
ADMINS = [
    (name.strip() or address.strip(" >"), address.strip(" >"))
    for name, _lt, address in (entry.rpartition("<") for entry in env.list("DJANGO_ADMINS", default=[]))
    if address.strip(" >")
]
MANAGERS = ADMINS
SERVER_EMAIL = env.str("DJANGO_SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# Request-body limits, checked before the body is read: a declared Content-Length above
# HELPDESK_REQUEST_MAX_BYTES is a 413 at once (helpdesk.limits). By default one request may
# bring as many files of HELPDESK_UPLOAD_MAX_BYTES as a complaint step takes
# (HELPDESK_ATTACHMENTS_PER_STEP, complaints.attachments; an archive upload is one) plus 1 MiB
# of other fields. Non-file fields above DATA_UPLOAD_MAX_MEMORY_SIZE are a 400 (Django); files
# above FILE_UPLOAD_MAX_MEMORY_SIZE are streamed to a temporary file, not held in memory.
HELPDESK_REQUEST_MAX_BYTES = env.int(
    "HELPDESK_REQUEST_MAX_BYTES",
    default=HELPDESK_UPLOAD_MAX_BYTES * max(1, env.int("HELPDESK_ATTACHMENTS_PER_STEP", default=5)) + 1024 * 1024,
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MiB, as Django
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# --- end helper 15a ---------------------------------------------------------------------

# --- helper 15b: shared private files and security -------------------------------------
# Archive documents: one named storage, "private", never with a public URL; served only by the
# permission-checked download view, which streams through Django (customers/storage.py).
# Default: the folder HELPDESK_PRIVATE_MEDIA_ROOT (var/private for `make run`; a named volume
# shared by the containers of one host). HELPDESK_PRIVATE_STORAGE=s3: a private bucket on an
# S3-compatible object store (django-storages) shared by every host.
HELPDESK_PRIVATE_STORAGE = env.str("HELPDESK_PRIVATE_STORAGE", default="filesystem")
if HELPDESK_PRIVATE_STORAGE == "s3":
    PRIVATE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("HELPDESK_S3_BUCKET"),
            "endpoint_url": env.str("HELPDESK_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("HELPDESK_S3_REGION", default=None),
            "access_key": env.str("HELPDESK_S3_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("HELPDESK_S3_SECRET_ACCESS_KEY", default=None),
            "location": env.str("HELPDESK_S3_PREFIX", default="archive"),
            "default_acl": "private",  # objects are never public
            "querystring_auth": True,  # any URL the library could make is signed and expiring...
            "querystring_expire": 60,  # ...but the app never makes one: downloads are proxied
            "file_overwrite": False,
            "addressing_style": env.str("HELPDESK_S3_ADDRESSING_STYLE", default=None),  # "path" for MinIO
        },
    }
elif HELPDESK_PRIVATE_STORAGE == "filesystem":
    PRIVATE_STORAGE = {"BACKEND": "customers.storage.LocalPrivateStorage"}
else:
    raise environ.ImproperlyConfigured("HELPDESK_PRIVATE_STORAGE must be 'filesystem' or 's3'.")
STORAGES["private"] = PRIVATE_STORAGE  # production.py sets it again after its own STORAGES

# The admin's address (one setting; a less guessable path keeps scanners off the login).
ADMIN_URL = (env.str("DJANGO_ADMIN_URL", default="admin/").strip("/") or "admin") + "/"  # "backroom-7f3/"
# The OpenAPI schema and Swagger UI: open in development, login required in production.
HELPDESK_API_DOCS_REQUIRE_LOGIN = env.bool("HELPDESK_API_DOCS_REQUIRE_LOGIN", default=False)

# Login lock-out (django-axes) on every login form (ours and the admin's): after
# AXES_FAILURE_LIMIT wrong passwords for one username from one IP, that pair is locked for
# AXES_COOLOFF_TIME, or until an admin deletes the "access attempts" rows (admin, or
# `manage.py axes_reset_username NAME`). A successful login resets the count.
INSTALLED_APPS += ["axes", "csp"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out user+IP pairs
    # ModelBackend in fewer queries: the user with their office, all permissions at once
    "accounts.backends.StaffBackend",
]
AXES_ENABLED = env.bool("HELPDESK_AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("HELPDESK_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("HELPDESK_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.security.locked_out"  # templates/registration/locked_out.html
AXES_HTTP_RESPONSE_CODE = 429
# The IP is REMOTE_ADDR (a client-sent X-Forwarded-For is never trusted): behind one reverse
# proxy every client shares its address, so the lock is in effect per username.

# Content-Security-Policy (django-csp 4): no inline script or handler anywhere (the JS lives
# in static/js/), scripts from this site or with the per-response nonce only. Inline style
# attributes remain allowed (Django's admin and Swagger UI set them).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # last, as django-axes requires
# --- end helper 15b ---------------------------------------------------------------------

# --- helper 16b: robustness (database connections, broker, task redelivery) -------------
# A connection kept between requests is checked before its first use in a request, so a
# PostgreSQL restart costs a reconnect, not a 500 (production keeps connections 60 s).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Redis broker. Unacknowledged messages (acks_late) of a worker that died come back after
# the visibility timeout: a bit more than the longest task may take (its hard time limit),
# not kombu's default hour; every worker looks for them every 10 s. Publishing fails at once
# when the broker is down (no connection retries in the request path: the notification stays
# pending and `deliver_pending_emails` sends it), and after a failure a process leaves e-mail
# to that redelivery for HELPDESK_BROKER_BACKOFF_SECONDS (notifications/services.py).
# E-mail retries wait up to 600 s, longer than the visibility timeout: such a message may be
# delivered twice, which is harmless (a notification is sent only while pending, row-locked).
HELPDESK_CELERY_VISIBILITY_TIMEOUT = env.int("HELPDESK_CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 60)
HELPDESK_BROKER_BACKOFF_SECONDS = env.float("HELPDESK_BROKER_BACKOFF_SECONDS", default=30)
# A request waits at most this long for the broker to take its e-mail message (published from
# a background thread); a slower broker counts as down (the back-off above).
HELPDESK_BROKER_PUBLISH_WAIT = env.float("HELPDESK_BROKER_PUBLISH_WAIT", default=0.2)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": HELPDESK_CELERY_VISIBILITY_TIMEOUT,
        "unacked_restore_interval": env.int("HELPDESK_CELERY_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": 1,
        "max_retries": 0,
        "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
        # a broker that accepts the connection but never answers (hung, half-open socket)
        # fails a publish after this long, instead of never; BRPOP answers within 1 s.
        "socket_timeout": env.float("HELPDESK_BROKER_SOCKET_TIMEOUT", default=5),
    }
# The database down or lost mid-request: a JSON 503 for the API, an HTML 503 page otherwise.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.common.CommonMiddleware") + 1,
    "helpdesk.unavailable.DatabaseUnavailableMiddleware",
)
# --- end helper 16b ---------------------------------------------------------------------

# --- helper 16a: hostile input (helpdesk/hostile.py) -------------------------------------
# NUL characters and lone surrogates in the path, query or form, and a body in a non-text
# character set, are a 400 with a message before any view runs (after the locale is chosen,
# before CSRF reads the form); the API's JSON parser also refuses JSON nested deeper than 32
# levels or holding such characters, and a JSON body above DATA_UPLOAD_MAX_MEMORY_SIZE (413).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.locale.LocaleMiddleware") + 1, "helpdesk.hostile.HostileInputMiddleware"
)
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "helpdesk.hostile.HostileJSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]
# --- end helper 16a ---------------------------------------------------------------------
